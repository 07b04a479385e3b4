"""The "People who can see this form" page: roles, change role, remove (access ends at once), leave, the last
owner's hand-over, and the one activity trail every carer sees with who did what."""

import re

from herbert.extensions import db
from herbert.models import AuditEvent, Membership, User
from tests.support.care import Person, accept, invite, page_text
from tests.support.carers import Carer, add_person


def family(app) -> tuple[Person, Person, Person, str]:
    owner, editor, viewer = (Person(app, f"{name}@example.com") for name in ("owner", "editor", "viewer"))
    person_id = add_person(owner.client)
    Carer(owner.client, person_id).save("about-the-person", "name", {"full_name": "Mary Canary"})
    accept(editor, invite(owner, person_id, "editor@example.com", "editor"))
    accept(viewer, invite(owner, person_id, "viewer@example.com", "viewer"))
    return owner, editor, viewer, person_id


def membership_id(app, person_id: str, email: str) -> int:
    with app.app_context():
        return db.session.execute(
            db.select(Membership.id)
            .join(User, User.id == Membership.user_id)
            .where(Membership.person_id == person_id, User.email == email)
        ).scalar_one()


def test_everyone_sees_who_can_see_the_form_only_owners_can_change_it(app):
    owner, editor, viewer, person_id = family(app)
    url = f"/people/{person_id}/carers"
    for carer in (owner, editor, viewer):
        text = page_text(carer.client.get(url))
        assert "People who can see this form" in text
        for email, role in (("owner", "Owner"), ("editor", "Editor"), ("viewer", "Viewer")):
            assert f"{email}@example.com" in text
            assert re.search(rf"{email}@example\.com[^@]{{0,80}} Role {role} Since", text), (email, role)
        assert "Since" in text and "Last active" in text
    assert "You are a viewer" in page_text(viewer.client.get("/people"))
    assert "You are an editor" in page_text(editor.client.get("/people"))
    assert "You are a" not in page_text(owner.client.get("/people"))
    assert "Change role" in page_text(owner.client.get(url))
    assert "Change role" not in page_text(editor.client.get(url))
    assert "Invite someone" not in page_text(viewer.client.get(url))


def test_changing_a_role_takes_effect_on_the_next_request(app):
    owner, editor, _viewer, person_id = family(app)
    page = f"/people/{person_id}/about-the-person/name"
    assert editor.client.get(page).status_code == 200
    target = membership_id(app, person_id, "editor@example.com")
    response = owner.post(f"/people/{person_id}/carers/{target}/role", {"role": "viewer"})
    assert response.status_code == 302
    refused = editor.client.get(page)
    assert refused.status_code == 403
    assert "You can see this form as viewer, so you cannot change this form" in page_text(refused)
    assert editor.client.get(f"/people/{person_id}/missing/last-seen").status_code == 200  # still the emergency


def test_a_removed_carer_loses_access_at_once_but_keeps_their_account(app):
    owner, editor, _viewer, person_id = family(app)
    assert editor.client.get(f"/people/{person_id}").status_code == 200
    target = membership_id(app, person_id, "editor@example.com")
    assert owner.post(f"/people/{person_id}/carers/{target}/remove", {"confirm": "no"}).status_code == 302
    assert editor.client.get(f"/people/{person_id}").status_code == 200
    assert owner.post(f"/people/{person_id}/carers/{target}/remove", {"confirm": "yes"}).status_code == 302
    for path in ("", "/about-the-person/name", "/pdf/draft", "/missing/last-seen", "/carers", "/activity"):
        assert editor.client.get(f"/people/{person_id}{path}").status_code == 404, path
    assert editor.client.get("/account").status_code == 200
    assert "Mary Canary" not in page_text(editor.client.get("/people"))


def test_leave_and_the_last_owner_must_hand_over(app):
    owner, editor, viewer, person_id = family(app)
    assert viewer.post(f"/people/{person_id}/carers/leave", {"confirm": "yes"}).status_code == 302
    assert viewer.client.get(f"/people/{person_id}").status_code == 404

    leave = owner.client.get(f"/people/{person_id}/carers/leave")
    assert "You are the only owner" in page_text(leave)
    own = membership_id(app, person_id, "owner@example.com")
    demote = owner.post(f"/people/{person_id}/carers/{own}/role", {"role": "editor"})
    assert demote.status_code == 200 and "The form must always have an owner" in page_text(demote)
    missing_choice = owner.post(f"/people/{person_id}/carers/leave", {})
    assert "Select who should own the form" in page_text(missing_choice)
    assert owner.client.get(f"/people/{person_id}").status_code == 200

    successor = membership_id(app, person_id, "editor@example.com")
    response = owner.post(f"/people/{person_id}/carers/leave", {"successor": str(successor)})
    assert response.status_code == 302
    assert owner.client.get(f"/people/{person_id}").status_code == 404
    assert "Invite someone" in page_text(editor.client.get(f"/people/{person_id}/carers"))


def test_every_carer_sees_the_same_trail_with_who_did_what(app):
    owner, editor, viewer, person_id = family(app)
    Carer(editor.client, person_id).save("about-the-person", "name", {"full_name": "Mary Canary Smith"})
    viewer.client.get(f"/people/{person_id}")
    trails = [page_text(carer.client.get(f"/people/{person_id}/activity")) for carer in (owner, editor, viewer)]
    assert trails[0].split("Newest first.")[1][:400] == trails[2].split("Newest first.")[1][:400]
    text = trails[1]
    assert "Invited a carer" in text and "Joined as a carer" in text
    assert "editor@example.com" in text and "owner@example.com" in text and "viewer@example.com" in text
    with app.app_context():
        details = db.session.execute(db.select(AuditEvent.action, AuditEvent.detail)).all()
    for action, detail in details:
        assert "Mary" not in detail and "@" not in detail, (action, detail)
