"""Deleting an account: its memberships go; a person it was the last owner of goes to the remaining editor with
the longest membership (a viewer only when no editor remains), or is erased when no carer remains; the
delete-account page says which, plainly, before."""

from datetime import timedelta

from herbert import clock
from herbert.extensions import db
from herbert.models import Membership, Person, User
from tests.support.accounts import PASSWORD
from tests.support.care import Person as Browser
from tests.support.care import accept, emails_to, invite, page_text
from tests.support.carers import Carer, add_person
from tests.support.mail import CANARIES, link_to, whole_message


def roles(app, person_id: str) -> dict[str, str]:
    with app.app_context():
        return dict(
            db.session.execute(
                db.select(User.email, Membership.role)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.person_id == person_id)
            ).all()
        )


def test_last_owner_deleting_their_account_hands_over_or_erases(app):
    start = clock.utcnow()
    clock.freeze(start)
    owner = Browser(app, "owner@example.com")
    shared = add_person(owner.client)
    Carer(owner.client, shared).save("about-the-person", "name", {"full_name": "Ada Shared"})
    alone = add_person(owner.client)
    Carer(owner.client, alone).save("about-the-person", "name", {"full_name": "Bea Alone"})
    only_viewer = add_person(owner.client)
    Carer(owner.client, only_viewer).save("about-the-person", "name", {"full_name": "Cy Viewed"})
    elder, younger, viewer = (Browser(app, f"{n}@example.com") for n in ("elder", "younger", "viewer"))
    accept(viewer, invite(owner, shared, "viewer@example.com", "viewer"))
    clock.freeze(start + timedelta(minutes=1))
    accept(elder, invite(owner, shared, "elder@example.com", "editor"))
    clock.freeze(start + timedelta(minutes=2))
    accept(younger, invite(owner, shared, "younger@example.com", "editor"))
    accept(viewer, invite(owner, only_viewer, "viewer@example.com", "viewer"))
    clock.freeze(None)

    with app.app_context():
        owner_id = db.session.execute(db.select(User.id).filter_by(email="owner@example.com")).scalar_one()
        assert db.session.execute(db.select(Membership).filter_by(user_id=owner_id)).first() is not None
    plan = page_text(owner.client.get("/account/delete"))
    assert "The form for Ada Shared will be handed to elder@example.com, who will become its owner" in plan
    assert "The form for Bea Alone will be erased: nobody else helps with it" in plan
    assert "The form for Cy Viewed will be handed to viewer@example.com" in plan

    response = owner.post("/account/delete", {"password": PASSWORD})
    assert response.status_code == 302
    message = page_text(owner.client.get("/"))
    assert "We erased the form for 1 person" in message and "We handed 2 forms" in message
    assert roles(app, shared) == {
        "elder@example.com": "owner",
        "younger@example.com": "editor",
        "viewer@example.com": "viewer",
    }
    assert roles(app, only_viewer) == {"viewer@example.com": "owner"}
    with app.app_context():
        assert db.session.get(Person, alone) is None
        assert db.session.execute(db.select(Membership).filter_by(user_id=owner_id)).first() is None
        assert db.session.get(User, owner_id) is None
    assert "Ada Shared" in page_text(elder.client.get(f"/people/{shared}"))
    assert elder.client.get(f"/people/{shared}/carers/invite").status_code == 200


def test_the_carer_who_becomes_owner_is_told_by_email_with_nothing_about_the_person(mail_app, smtp):
    app = mail_app
    owner = Browser(app, "owner@example.com")
    person_id = add_person(owner.client)
    Carer(owner.client, person_id).save("about-the-person", "name", {"full_name": CANARIES[0]})
    for address, role in (("editor@example.com", "editor"), ("viewer@example.com", "viewer")):
        browser = Browser(app, address)
        owner.post(f"/people/{person_id}/carers/invite", {"email": address, "role": role})
        (emailed,) = emails_to(smtp, address, "invited")
        assert accept(browser, link_to(emailed, "/invitations/")).status_code == 302
    assert owner.post("/account/delete", {"password": PASSWORD}).status_code == 302
    (message,) = emails_to(smtp, "editor@example.com", "You are now the owner")
    assert message["Subject"] == "You are now the owner of a Herbert Protocol form"
    body = whole_message(message)
    assert "deleted their account" in body and "owner@example.com" not in body
    for canary in CANARIES:
        assert canary.lower() not in body.lower()
    assert link_to(message, "/people/") == f"/people/{person_id}"
    assert emails_to(smtp, "viewer@example.com", "owner", timeout=1) == []  # only the new owner is told
