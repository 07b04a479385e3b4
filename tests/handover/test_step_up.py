"""Step-up before sharing with police (docs/design/security-model.md): a session signed in on a browser the account
knew before shares with no password, so a forgotten password never blocks a share, even with email off; any other
browser, and a session cookie carried to another browser, is asked; the export still asks."""

from datetime import timedelta

import pytest

from herbert import clock
from herbert.audit import Action
from herbert.extensions import db
from herbert.models import AuditEvent, Share
from tests.support.journey import create_share, page, text_of
from tests.support.pages import csrf_token

PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def email_off(carer):
    """HERBERT_MAIL_DISABLED=true, allowed in production: no reset link can reach the carer."""
    carer.app.config["MAIL_DISABLED"] = True
    yield carer
    clock.freeze(None)


def sign_in_again(carer) -> None:
    """Sign out and in on the same browser: it is now a device this account has signed in on before."""
    carer.post("/sign-out")
    token = csrf_token(carer.client, "/sign-in")
    data = {"email": "carer@example.com", "password": PASSWORD, "csrf_token": token}
    response = carer.client.post("/sign-in", data=data)
    assert response.status_code == 302


def handover(carer):
    return page(carer.client.get(f"/people/{carer.person_id}/missing/handover"))


def later(minutes: int) -> None:
    clock.freeze(clock.utcnow() + timedelta(minutes=minutes))


def test_a_known_device_shares_with_police_without_a_password_even_with_email_off(email_off):
    carer = email_off
    sign_in_again(carer)
    later(20)  # the password check is stale; the session is not (30 minutes idle)
    assert handover(carer).find("input", {"name": "password"}) is None
    link, code, _created = create_share(carer)  # no password sent
    assert link and code
    with carer.app.app_context():
        event = db.session.execute(db.select(AuditEvent).filter_by(action=Action.SHARE_CREATE.value)).scalar_one()
        assert event.detail.endswith("signed in on a known device")  # the activity log says how it was allowed
    export = page(carer.client.get(f"/people/{carer.person_id}/export"))
    assert export.find("input", {"name": "password"}) is not None  # only the police share is eased


def test_a_browser_new_to_the_account_is_asked_and_told_what_it_can_do_without_email(email_off):
    carer = email_off  # this browser signed up: its first sign-in, not a device known before
    later(20)
    ready = handover(carer)
    assert ready.find("input", {"name": "password"}) is not None
    assert ready.find("a", string="Forgotten your password?") is None  # no reset link that could never arrive
    assert "sharing with police does not ask for your password" in ready.find(id="step-up-no-email").get_text()
    form = ready.find("form", action=f"/people/{carer.person_id}/shares")
    data = {field["name"]: field.get("value", "") for field in form.select("input[name]") if field["type"] != "radio"}
    refused = carer.client.post(f"/people/{carer.person_id}/shares", data=data | {"hours": "72", "source": "v1"})
    assert refused.status_code == 200 and "Enter your password" in text_of(refused)
    with carer.app.app_context():
        assert db.session.execute(db.select(db.func.count(Share.id))).scalar() == 0


def test_a_session_cookie_taken_to_another_browser_is_asked_for_the_password(email_off):
    carer = email_off
    sign_in_again(carer)
    later(20)
    thief = carer.app.test_client()  # the session cookie alone, without the browser's device cookie
    thief.set_cookie("herbert_session", carer.client.get_cookie("herbert_session").value)
    ready = page(thief.get(f"/people/{carer.person_id}/missing/handover"))
    assert ready.find("h1").get_text(strip=True) == "Give the form to the police"  # signed in, as the carer
    assert ready.find("input", {"name": "password"}) is not None


def test_with_email_on_the_step_up_still_offers_the_reset_link(carer):
    carer.app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1)  # a server is set (nothing is sent here)
    later(20)
    forgotten = handover(carer).find("a", string="Forgotten your password?")
    assert forgotten is not None and forgotten["href"].startswith("/forgotten-password?next=")
    clock.freeze(None)
