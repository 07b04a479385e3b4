"""Organisations (issue 11): setting one up, admins with two-factor, staff who see residents as editors or viewers
and nothing of another organisation, removing a leaver in one step, and the last admin rule. Through the real
pages, on SQLite and PostgreSQL."""

from herbert.audit import Action
from herbert.extensions import db
from herbert.models import AuditEvent, Organisation, OrganisationInvitation, OrganisationMember, User, WebSession
from tests.support.care import (
    Person,
    invite_staff,
    join_staff,
    page_text,
    set_up_organisation,
    staff_member_id,
)
from tests.support.carers import Carer


def new_resident(admin: Person, organisation_id: str, name: str) -> str:
    """The admin admits someone with a new form and gives their name on the first page."""
    response = admin.post(f"/organisations/{organisation_id}/residents/new")
    assert response.status_code == 302, response.status_code
    person_id = response.location.split("/")[2]
    Carer(admin.client, person_id).save("about-the-person", "name", {"full_name": name})
    return person_id


def user_flag(app, email: str) -> bool:
    with app.app_context():
        return db.session.execute(db.select(User.is_org_admin).filter_by(email=email)).scalar_one()


def test_setting_up_an_organisation_makes_its_admin_turn_on_two_factor(app):
    admin = Person(app, "manager@example.com")
    response = admin.post("/organisations/new", {"name": "Rowan House", "kind": "care_home", "address": "1 Care St"})
    assert response.status_code == 302
    organisation_id = response.location.split("/")[2]
    assert user_flag(app, "manager@example.com") is True
    for path in (response.location, f"/organisations/{organisation_id}/staff", "/people", "/account"):
        got = admin.client.get(path)
        assert got.status_code == 302 and got.location == "/account/two-factor/set-up", path
    from tests.support.care import turn_on_two_factor

    turn_on_two_factor(admin)
    page = admin.client.get(response.location)
    assert page.status_code == 200 and "Rowan House" in page_text(page) and "No residents yet" in page_text(page)
    # Admins cannot turn two-factor off.
    admin.post("/account/two-factor/turn-off", {})
    with app.app_context():
        user = db.session.execute(db.select(User).filter_by(email="manager@example.com")).scalar_one()
        assert user.totp_secret_sealed is not None


def test_hostile_organisation_details_are_refused_and_nothing_stored(app):
    carer = Person(app, "manager@example.com")
    for data, message in (
        ({"kind": "care_home", "address": "1 Care St"}, "Enter the name of the organisation"),
        ({"name": "x" * 201, "kind": "care_home", "address": "1 Care St"}, "200 characters or fewer"),
        ({"name": "Home", "kind": "prison", "address": "1 Care St"}, "Not a valid choice"),
        ({"name": "Home", "kind": "care_home", "address": ""}, "Enter the address"),
        ({"name": "Home", "kind": "care_home", "address": "a" * 501}, "500 characters or fewer"),
        ({"name": "Home", "kind": "care_home", "address": "1 St", "phone": "call me"}, "as a phone number"),
    ):
        response = carer.post("/organisations/new", data)
        assert response.status_code == 200, data
        assert message in page_text(response), message
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Organisation)).scalar_one() == 0
        assert db.session.execute(db.select(db.func.count()).select_from(OrganisationMember)).scalar_one() == 0
    assert user_flag(app, "manager@example.com") is False
    assert carer.client.get("/people").status_code == 200  # no two-factor demanded of someone who runs nothing


def test_staff_see_their_organisations_residents_only_as_the_admin_chose(app):
    admin = Person(app, "manager@example.com")
    home = set_up_organisation(admin)
    editor, viewer = Person(app, "nurse@example.com"), Person(app, "carer.assistant@example.com")
    join_staff(admin, home, editor, "staff", "editor")
    join_staff(admin, home, viewer, "staff", "viewer")
    resident = new_resident(admin, home, "Ada Resident")
    other_admin = Person(app, "elsewhere@example.com")
    elsewhere = set_up_organisation(other_admin, "Birch Court")
    other_staff = Person(app, "other.nurse@example.com")
    join_staff(other_admin, elsewhere, other_staff)
    new_resident(other_admin, elsewhere, "Bea Elsewhere")

    # Editors edit; viewers read and are told why they cannot edit; the other organisation sees nothing.
    assert "Ada Resident" in page_text(editor.client.get(f"/people/{resident}"))
    Carer(editor.client, resident).save("about-the-person", "name", {"full_name": "Ada Resident"}, "later")
    assert viewer.client.get(f"/people/{resident}").status_code == 200
    refused = viewer.client.get(f"/people/{resident}/about-the-person/name")
    assert refused.status_code == 403 and "manager@example.com" in page_text(refused)
    for outsider in (other_admin, other_staff):
        assert outsider.client.get(f"/people/{resident}").status_code == 404
        assert outsider.client.get(f"/organisations/{home}/residents").status_code == 404
    for member in (editor, viewer):
        board = page_text(member.client.get(f"/organisations/{home}/residents"))
        assert "Ada Resident" in board and "Bea Elsewhere" not in board
        assert member.client.get(f"/organisations/{elsewhere}/residents").status_code == 404
        staff_page = member.client.get(f"/organisations/{home}/staff")
        assert staff_page.status_code == 403 and "Only an admin can do this" in page_text(staff_page)
    # Staff are not admins: no two-factor demanded of them.
    assert user_flag(app, "nurse@example.com") is False and user_flag(app, "manager@example.com") is True


def test_a_leaver_is_removed_in_one_step_and_what_they_did_stays(app):
    admin = Person(app, "manager@example.com")
    home = set_up_organisation(admin)
    leaver = Person(app, "leaver@example.com")
    spare_link = invite_staff(admin, home, "leaver@example.com", "admin")  # a second invitation, never used
    join_staff(admin, home, leaver, "staff", "editor")
    resident = new_resident(admin, home, "Ada Resident")
    Carer(leaver.client, resident).save("about-the-person", "name", {"full_name": "Ada Resident"}, "later")
    other_device = Person.__new__(Person)  # the leaver signed in on a second device too
    other_device.client = app.test_client()
    other_device.client.environ_base["REMOTE_ADDR"] = "127.0.77.1"
    from tests.support.accounts import AuthActions

    AuthActions(other_device.client).sign_in("leaver@example.com")
    with app.app_context():
        leaver_id = db.session.execute(db.select(User.id).filter_by(email="leaver@example.com")).scalar_one()
        sessions = db.select(db.func.count()).select_from(WebSession).filter_by(user_id=leaver_id)
        assert db.session.execute(sessions).scalar_one() == 2
    member_id = staff_member_id(app, home, "leaver@example.com")

    confirm = admin.client.get(f"/organisations/{home}/staff/{member_id}/remove")
    assert "they stop seeing every resident" in page_text(confirm)
    response = admin.post(f"/organisations/{home}/staff/{member_id}/remove", {"confirm": "yes"})
    assert response.status_code == 302
    assert "has been removed" in page_text(admin.client.get(response.location))

    # Every session of theirs has ended; signed in again, every resident is a 404 and the organisation too.
    for client in (leaver.client, other_device.client):
        got = client.get(f"/people/{resident}")
        assert got.status_code == 302 and got.location.startswith("/sign-in")
    leaver.auth.sign_in("leaver@example.com")
    assert leaver.client.get(f"/people/{resident}").status_code == 404
    spare = leaver.client.get(spare_link)  # an older invitation cannot bring them back
    assert spare.status_code == 410 and "cancelled" in page_text(spare)
    assert leaver.client.get(f"/organisations/{home}/residents").status_code == 404
    with app.app_context():
        assert db.session.execute(db.select(OrganisationMember).filter_by(user_id=leaver_id)).first() is None
        invitations = db.session.execute(db.select(OrganisationInvitation).filter_by(email="leaver@example.com"))
        assert all(row.cancelled_at or row.accepted_at for row in invitations.scalars())
        actions = dict(
            db.session.execute(
                db.select(AuditEvent.action, db.func.count())
                .filter_by(actor_user_id=leaver_id)
                .group_by(AuditEvent.action)
            ).all()
        )
        assert actions.get(Action.SECTION_EDIT.value) == 1  # what they did stays, under their user id
        removal = db.session.execute(db.select(AuditEvent).filter_by(action=Action.STAFF_REMOVE.value)).scalar_one()
        assert removal.detail == f"organisation {home}, user {leaver_id}"
    activity = page_text(admin.client.get(f"/organisations/{home}/activity"))
    assert "Removed a member of staff" in activity and "leaver@example.com" in activity

    # An admin who leaves stops being asked for two-factor as an admin (they may turn it off now).
    deputy = Person(app, "deputy@example.com")
    join_staff(admin, home, deputy, "admin")
    assert user_flag(app, "deputy@example.com") is True
    deputy_id = staff_member_id(app, home, "deputy@example.com")
    assert admin.post(f"/organisations/{home}/staff/{deputy_id}/remove", {"confirm": "yes"}).status_code == 302
    assert user_flag(app, "deputy@example.com") is False


def test_the_organisation_always_keeps_an_admin(app):
    admin = Person(app, "manager@example.com")
    home = set_up_organisation(admin)
    me = staff_member_id(app, home, "manager@example.com")
    response = admin.post(f"/organisations/{home}/staff/{me}", {"post": "staff", "resident_role": "editor"})
    assert response.status_code == 200 and "must always have an admin" in page_text(response)
    response = admin.post(f"/organisations/{home}/staff/{me}/remove", {"confirm": "yes"})
    assert response.status_code == 200 and "must always have an admin" in page_text(response)
    assert user_flag(app, "manager@example.com") is True
    deputy = Person(app, "deputy@example.com")
    join_staff(admin, home, deputy, "admin")
    response = admin.post(f"/organisations/{home}/staff/{me}", {"post": "staff", "resident_role": "viewer"})
    assert response.status_code == 302
    assert user_flag(app, "manager@example.com") is False
    assert admin.client.get(f"/organisations/{home}/staff").status_code == 403


def test_hostile_staff_invitations_are_refused_and_nothing_stored(app):
    admin = Person(app, "manager@example.com")
    home = set_up_organisation(admin)
    for data, message in (
        ({"email": "", "post": "staff", "resident_role": "editor"}, "Enter their email address"),
        ({"email": "nope", "post": "staff", "resident_role": "editor"}, "correct format"),
        ({"email": "a@example.com", "post": "owner", "resident_role": "editor"}, "Not a valid choice"),
        ({"email": "a@example.com", "post": "staff", "resident_role": "owner"}, "Not a valid choice"),
        ({"email": "manager@example.com", "post": "staff", "resident_role": "editor"}, "already on the staff"),
    ):
        response = admin.post(f"/organisations/{home}/staff/invite", data)
        assert response.status_code == 200 and message in page_text(response), message
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(OrganisationInvitation)).scalar_one() == 0


def test_the_only_admin_cannot_delete_their_account_until_someone_else_is_one(app):
    from tests.support.accounts import PASSWORD

    admin = Person(app, "manager@example.com")
    home = set_up_organisation(admin)
    page = admin.client.get("/account/delete")
    assert "You are the only admin of Rowan House" in page_text(page)
    response = admin.post("/account/delete", {"password": PASSWORD})
    assert response.status_code == 200 and "Make someone else an admin first" in page_text(response)
    with app.app_context():
        assert db.session.execute(db.select(User).filter_by(email="manager@example.com")).first() is not None
    deputy = Person(app, "deputy@example.com")
    join_staff(admin, home, deputy, "admin")
    assert admin.post("/account/delete", {"password": PASSWORD}).status_code == 302
    with app.app_context():
        assert db.session.execute(db.select(User).filter_by(email="manager@example.com")).first() is None
    assert deputy.client.get(f"/organisations/{home}/staff").status_code == 200
