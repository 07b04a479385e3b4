"""A forgotten password never keeps a carer from sharing with police: the reset link from the share page's
step-up lands straight back on the share page, already confirmed, and the share goes out without a password."""

from datetime import timedelta

from flask import Flask

from herbert import clock
from herbert.extensions import db
from herbert.models import User

from .conftest import Mailbox, link_to, page, post, text_of
from .test_email import add_person

PASSWORD = "correct horse battery staple 42"


def test_reset_from_the_share_page_lands_back_on_it_and_shares_without_a_password(
    mail_app: Flask, client, smtp: Mailbox
):
    post(client, "/sign-up", {"email": "carer@example.com", "password": PASSWORD})
    with mail_app.app_context():
        user_id = db.session.execute(db.select(User.id)).scalar_one()
    person_id = add_person(mail_app, user_id)
    handover = f"/people/{person_id}/missing/handover"
    clock.freeze(clock.utcnow() + timedelta(minutes=10))  # the last password check is stale now
    try:
        ready = page(client.get(handover))
        assert ready.find("input", {"name": "password"}) is not None  # step-up asked on the page
        forgotten = ready.find("a", string="Forgotten your password?")["href"]
        assert forgotten.startswith("/forgotten-password?next=")
        assert post(client, forgotten, {"email": "carer@example.com"}).status_code == 302
        reset_path = link_to(smtp.to("carer@example.com")[-1], "/reset-password/")
        response = post(client, reset_path, {"new_password": "purple elephant marmalade 1999"})
        assert response.status_code == 302 and response.location == handover  # straight back
        ready = page(client.get(handover))
        assert ready.find("input", {"name": "password"}) is None  # the reset was the fresh check
        form = ready.find("form", action=f"/people/{person_id}/shares")
        data = {
            field["name"]: field.get("value", "") for field in form.select("input[name]") if field["type"] != "radio"
        }
        data |= {"hours": "72", "source": "v1"}
        created = client.post(f"/people/{person_id}/shares", data=data)
        assert created.status_code == 200 and page(created).find(id="share-link") is not None, text_of(created)
    finally:
        clock.freeze(None)


def test_the_landing_page_cannot_point_off_site(mail_app: Flask, client, smtp: Mailbox):
    post(client, "/sign-up", {"email": "carer@example.com", "password": PASSWORD})
    fresh = mail_app.test_client()
    post(fresh, "/forgotten-password?next=//evil.example/steal", {"email": "carer@example.com"})
    reset_path = link_to(smtp.to("carer@example.com")[-1], "/reset-password/")
    response = post(fresh, reset_path, {"new_password": "purple elephant marmalade 1999"})
    assert response.status_code == 302 and response.location == "/people"
