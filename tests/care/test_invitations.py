"""Invitation tokens: at least 128 bits, stored only as a hash, single use, ending after 7 days, bound to the
invited address (another signed-in address is refused with a clear message), cancellable."""

from datetime import timedelta

from sqlalchemy import text

from herbert import clock
from herbert.audit import Action
from herbert.extensions import db
from herbert.models import AuditEvent, Invitation, Membership, User
from tests.support.care import Person, accept, emails_to, invite, page_text
from tests.support.carers import Carer, add_person
from tests.support.mail import CANARIES, link_to, whole_message
from tests.support.pages import csrf_token


def setup_owner(app) -> tuple[Person, str]:
    owner = Person(app, "owner@example.com")
    return owner, add_person(owner.client)


def memberships(app, person_id: str) -> dict[str, str]:
    with app.app_context():
        rows = db.session.execute(
            db.select(User.email, Membership.role)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.person_id == person_id)
        ).all()
        return dict(rows)


def test_token_is_long_random_and_stored_only_as_its_hash(app):
    owner, person_id = setup_owner(app)
    paths = {invite(owner, person_id, f"helper{n}@example.com", "editor") for n in range(3)}
    assert len(paths) == 3
    for path in paths:
        token = path.rsplit("/", 1)[1]
        assert len(token) >= 43  # 32 random bytes, URL-safe base64: 256 bits
        with app.app_context():
            dump = "\n".join(str(row) for row in db.session.execute(text("SELECT * FROM invitations")).all())
            assert token not in dump
    print(f"\nInvitation token: {len(token)} characters of URL-safe base64 ({len(token) * 6} bits)")


def test_invitee_signs_up_confirms_the_address_and_gets_the_role(mail_app, smtp):
    """A new sign-up with the invited address must confirm it (the link emailed at sign-up) before accepting:
    until then a clear page says so and nothing changes."""
    app = mail_app
    owner, person_id = setup_owner(app)
    response = owner.post(f"/people/{person_id}/carers/invite", {"email": "Helper@Example.com", "role": "viewer"})
    assert response.status_code == 200
    (invitation_email,) = emails_to(smtp, "helper@example.com", "invited")
    path = link_to(invitation_email, "/invitations/")
    visitor = app.test_client()
    visitor.environ_base["REMOTE_ADDR"] = "127.0.9.9"
    landing = visitor.get(path)
    assert landing.status_code == 200
    assert "owner@example.com has invited you" in page_text(landing)
    assert f"/sign-up?next={path}" in landing.data.decode().replace("%2F", "/")
    from tests.support.accounts import PASSWORD

    token = csrf_token(visitor, f"/sign-up?next={path}")
    response = visitor.post(
        f"/sign-up?next={path}", data={"email": "helper@example.com", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302 and response.location == path
    unconfirmed = visitor.get(path)
    assert unconfirmed.status_code == 403
    assert "Confirm your email address first" in page_text(unconfirmed)
    assert "Send the link again" in page_text(unconfirmed)
    token = csrf_token(visitor, "/account")
    assert visitor.post(path, data={"csrf_token": token}).status_code == 403
    assert memberships(app, person_id) == {"owner@example.com": "owner"}
    with app.app_context():
        assert db.session.execute(db.select(Invitation.accepted_at)).scalar_one() is None

    (confirm,) = emails_to(smtp, "helper@example.com", "Confirm your email address")
    assert visitor.get(link_to(confirm, "/confirm-email/")).status_code == 200
    token = csrf_token(visitor, path)
    response = visitor.post(path, data={"csrf_token": token})
    assert response.status_code == 302 and response.location == f"/people/{person_id}"
    assert memberships(app, person_id) == {"owner@example.com": "owner", "helper@example.com": "viewer"}
    assert "You can now see this form as viewer" in page_text(visitor.get(response.location))


def test_send_the_link_again_comes_back_to_the_invitation(app):
    owner, person_id = setup_owner(app)
    path = invite(owner, person_id, "helper@example.com", "editor")
    helper = Person(app, "helper@example.com", verified=False)
    page = helper.client.get(path)
    assert page.status_code == 403 and "Confirm your email address first" in page_text(page)
    response = helper.post(f"/account/email/confirm-again?next={path}")
    assert response.status_code == 302 and response.location == path
    response = helper.post("/account/email/confirm-again?next=//evil.example/")
    assert response.status_code == 302 and response.location == "/account"


def test_single_use(app):
    owner, person_id = setup_owner(app)
    path = invite(owner, person_id, "helper@example.com", "editor")
    helper = Person(app, "helper@example.com")
    assert accept(helper, path).status_code == 302
    again = helper.client.get(path)
    assert again.status_code == 410 and "already been used" in page_text(again)
    assert helper.post(path).status_code == 410
    with app.app_context():
        assert db.session.execute(db.select(Invitation.accepted_at)).scalar_one() is not None


def refusals(app, person_id: str) -> int:
    with app.app_context():
        return db.session.execute(
            db.select(db.func.count())
            .select_from(AuditEvent)
            .filter_by(person_id=person_id, action=Action.CARER_INVITE_REFUSE.value)
        ).scalar_one()


def test_refused_for_another_signed_in_address_with_a_clear_message(app):
    owner, person_id = setup_owner(app)
    path = invite(owner, person_id, "helper@example.com", "editor")
    someone_else = Person(app, "someone@example.com")
    page = someone_else.client.get(path)
    assert page.status_code == 403
    assert "This invitation is for a different email address" in page_text(page)
    assert "You are signed in as someone@example.com" in page_text(page)
    assert someone_else.post(path).status_code == 403
    # Reloading the page does not flood the carers' activity log: one line per invitation and account.
    for _ in range(5):
        assert someone_else.client.get(path).status_code == 403
    assert refusals(app, person_id) == 1
    assert page_text(owner.client.get(f"/people/{person_id}/activity")).count("An invitation was turned down") == 1
    third = Person(app, "third@example.com")
    assert third.client.get(path).status_code == 403
    assert refusals(app, person_id) == 2
    assert someone_else.client.get(f"/people/{person_id}").status_code == 404
    assert memberships(app, person_id) == {"owner@example.com": "owner"}
    # The right address can still use it afterwards.
    helper = Person(app, "helper@example.com")
    assert accept(helper, path).status_code == 302


def test_ends_after_seven_days(app):
    owner, person_id = setup_owner(app)
    start = clock.utcnow()
    clock.freeze(start)
    path = invite(owner, person_id, "late@example.com", "editor")
    path_in_time = invite(owner, person_id, "ontime@example.com", "editor")
    clock.freeze(start + timedelta(days=7) - timedelta(minutes=1))
    on_time = Person(app, "ontime@example.com")  # (signed up now: a session from a week ago has ended)
    assert accept(on_time, path_in_time).status_code == 302
    clock.freeze(start + timedelta(days=7, minutes=1))
    late = Person(app, "late@example.com")
    page = late.client.get(path)
    assert page.status_code == 410 and "invitations last 7 days" in page_text(page)
    assert late.post(path).status_code == 410
    clock.freeze(None)
    assert "late@example.com" not in memberships(app, person_id)


def test_cancelled_and_guessed_links_do_not_work(app):
    owner, person_id = setup_owner(app)
    path = invite(owner, person_id, "helper@example.com", "editor")
    with app.app_context():
        invitation_id = db.session.execute(db.select(Invitation.id)).scalar_one()
    carers = page_text(owner.client.get(f"/people/{person_id}/carers"))
    assert "Invitations not yet accepted" in carers and "helper@example.com" in carers
    assert owner.post(f"/people/{person_id}/carers/invitations/{invitation_id}/cancel").status_code == 302
    helper = Person(app, "helper@example.com")
    page = helper.client.get(path)
    assert page.status_code == 410 and "cancelled" in page_text(page)
    guessed = helper.client.get("/invitations/" + "A" * 43)
    assert guessed.status_code == 410 and "not right" in page_text(guessed)
    assert memberships(app, person_id) == {"owner@example.com": "owner"}


def test_cannot_invite_an_existing_carer_and_a_link_never_lowers_a_role(app):
    owner, person_id = setup_owner(app)
    response = owner.post(f"/people/{person_id}/carers/invite", {"email": "owner@example.com", "role": "viewer"})
    assert response.status_code == 200 and "already helps look after this form" in page_text(response)
    path = invite(owner, person_id, "helper@example.com", "viewer")
    stale = invite(owner, person_id, "helper@example.com", "editor")
    helper = Person(app, "helper@example.com")
    assert accept(helper, stale).status_code == 302
    assert accept(helper, path).status_code == 302  # the older viewer link does not demote them
    assert memberships(app, person_id)["helper@example.com"] == "editor"


def test_hostile_invite_input_is_refused_and_nothing_stored(app):
    owner, person_id = setup_owner(app)
    for email, role, message in (
        ("", "editor", "Enter their email address"),
        ("not an email", "editor", "correct format"),
        ("a@example.com", "", "Select what they can do"),
        ("a@example.com", "superuser", "Not a valid choice"),
        ("x" * 400 + "@example.com", "editor", "correct format"),
    ):
        response = owner.post(f"/people/{person_id}/carers/invite", {"email": email, "role": role})
        assert response.status_code == 200
        assert message in page_text(response), (email[:20], role)
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Invitation)).scalar_one() == 0


def test_invitations_are_emailed_with_no_personal_data_and_the_link_works_once(mail_app, smtp):
    """With email on, the invitation goes by email (the token minted by the job that sends it, so no copy is
    shown on the page or kept anywhere but as its hash); nothing about the person is in it."""
    app = mail_app
    owner, person_id = setup_owner(app)
    Carer(owner.client, person_id).save(
        "about-the-person", "name", {"full_name": CANARIES[0], "preferred_name": CANARIES[1]}
    )
    response = owner.post(f"/people/{person_id}/carers/invite", {"email": "helper@example.com", "role": "editor"})
    assert response.status_code == 200
    assert "We have emailed the invitation to helper@example.com" in page_text(response)
    assert "/invitations/" not in response.data.decode()  # no link shown: the email holds the only one
    (message,) = emails_to(smtp, "helper@example.com", "invited")
    assert message["Subject"] == "You are invited to help keep a Herbert Protocol form"
    body = whole_message(message)
    assert "owner@example.com has invited you" in body and "as editor" in body
    for canary in CANARIES:
        assert canary.lower() not in body.lower()
    path = link_to(message, "/invitations/")
    token = path.rsplit("/", 1)[1]
    assert len(token) >= 43
    with app.app_context():
        dump = "\n".join(str(row) for row in db.session.execute(text("SELECT * FROM invitations")).all())
        assert token not in dump
        assert "helper@example.com" in dump
    helper = Person(app, "helper@example.com")
    assert accept(helper, path).status_code == 302
    assert memberships(app, person_id)["helper@example.com"] == "editor"
    assert helper.client.get(path).status_code == 410

