"""Email verification at sign-up and "Forgotten your password?", read back from a real SMTP server."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pyotp
from flask import Flask
from flask.testing import FlaskClient

from herbert import clock
from herbert.extensions import db
from herbert.mail.models import AccountToken
from herbert.models import WebSession
from tests.support.accounts import user_row
from tests.support.mail import Mailbox, link_to, parts
from tests.support.pages import csrf_token, page, post, text_of

PASSWORD = "correct horse battery staple 42"
NEW_PASSWORD = "purple elephant marmalade 1999"
PARALLEL = 12


def sign_up(client: FlaskClient, address: str = "carer@example.com"):
    response = post(client, "/sign-up", {"email": address, "password": PASSWORD})
    assert response.status_code == 302, text_of(response)
    return response


def ask_for_reset(client: FlaskClient, address: str, next_path: str | None = None):
    path = "/forgotten-password" + (f"?next={next_path}" if next_path else "")
    return post(client, path, {"email": address})


def test_sign_up_sends_a_verification_email_and_the_link_confirms_the_address(mail_app: Flask, client, smtp: Mailbox):
    sign_up(client)
    assert client.get("/people").status_code == 200  # the carer can start at once
    (message,) = smtp.wait_for(1)
    assert message["To"] == "carer@example.com"
    assert message["Subject"] == "Confirm your email address"
    assert "List-Unsubscribe" not in message
    plain, html = parts(message)
    assert "Confirm your email address" in plain and "<a href=" in html
    assert user_row(mail_app, "carer@example.com").email_verified_at is None
    path = link_to(message, "/confirm-email/")
    response = client.get(path)
    assert response.status_code == 200 and "Email address confirmed" in text_of(response)
    assert user_row(mail_app, "carer@example.com").email_verified_at is not None
    assert client.get(path).status_code == 410  # single use


def test_reset_by_email_ends_every_session_and_signs_in(mail_app: Flask, client, smtp: Mailbox):
    sign_up(client)
    other_device = mail_app.test_client()
    post(other_device, "/sign-in", {"email": "carer@example.com", "password": PASSWORD})
    assert other_device.get("/people").status_code == 200
    fresh = mail_app.test_client()
    response = ask_for_reset(fresh, "carer@example.com")
    assert response.status_code == 302 and response.location.endswith("/forgotten-password/check-your-email")
    message = smtp.to("carer@example.com")[-1]
    assert message["Subject"] == "Reset your password"
    path = link_to(message, "/reset-password/")
    token = path.rsplit("/", 1)[1]
    assert len(token) >= 43  # 256 bits in URL-safe base64 (at least 128 asked)
    with mail_app.app_context():
        hashes = [row.token_hash for row in db.session.execute(db.select(AccountToken)).scalars()]
        assert token not in hashes and all(h is None or len(h) == 64 for h in hashes)
    form_page = fresh.get(path)
    assert form_page.status_code == 200 and form_page.headers["Referrer-Policy"] == "no-referrer"
    response = post(fresh, path, {"new_password": NEW_PASSWORD})
    assert response.status_code == 302, text_of(response)
    assert fresh.get("/people").status_code == 200  # signed in
    assert other_device.get("/people").status_code == 302  # every other session ended
    assert client.get("/people").status_code == 302
    assert post(fresh, path, {"new_password": "another fine password 77"}, token_from="/account").status_code == 410
    notice = smtp.to("carer@example.com")[-1]
    assert notice["Subject"] == "Your password was changed"
    signed_out = mail_app.test_client()
    assert post(signed_out, "/sign-in", {"email": "carer@example.com", "password": NEW_PASSWORD}).status_code == 302


def test_the_same_answer_whether_or_not_the_address_has_an_account(mail_app: Flask, client, smtp: Mailbox):
    sign_up(client)
    smtp.clear()
    known = ask_for_reset(mail_app.test_client(), "carer@example.com")
    unknown = ask_for_reset(mail_app.test_client(), "nobody@example.com")
    assert known.status_code == unknown.status_code == 302 and known.location == unknown.location
    assert [m["To"] for m in smtp.wait_for(1)] == ["carer@example.com"]


def test_a_reset_link_expires_after_an_hour(mail_app: Flask, client, smtp: Mailbox):
    sign_up(client)
    ask_for_reset(client, "carer@example.com")
    path = link_to(smtp.to("carer@example.com")[-1], "/reset-password/")
    clock.freeze(clock.utcnow() + timedelta(minutes=61))
    assert client.get(path).status_code == 410
    clock.freeze(None)


def test_reset_requests_are_rate_limited_per_address(mail_app: Flask, client, smtp: Mailbox):
    sign_up(client)
    statuses = [ask_for_reset(mail_app.test_client(), "carer@example.com").status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]


def turn_on_two_factor(client: FlaskClient) -> list[str]:
    """Two-factor sign-in on for the signed-in carer, through the pages; returns the recovery codes shown."""
    set_up = page(client.get("/account/two-factor/set-up"))
    secret = re.sub(r"\s", "", set_up.find(id="secret-key").get_text())
    response = post(client, "/account/two-factor/set-up", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200
    return [code.get_text() for code in page(response).select(".app-recovery-codes code")]


def test_reset_with_two_factor_still_asks_for_the_code(mail_app: Flask, client, smtp: Mailbox):
    sign_up(client)
    recovery = turn_on_two_factor(client)
    fresh = mail_app.test_client()
    ask_for_reset(fresh, "carer@example.com")
    path = link_to(smtp.to("carer@example.com")[-1], "/reset-password/")
    refused = post(fresh, path, {"new_password": NEW_PASSWORD})
    assert refused.status_code == 200 and "Enter the security code" in text_of(refused)
    wrong = post(fresh, path, {"new_password": NEW_PASSWORD, "code": "000000"})
    assert "not correct" in text_of(wrong)
    assert fresh.get("/people").status_code == 302  # not signed in yet, link not used up
    accepted = post(fresh, path, {"new_password": NEW_PASSWORD, "code": recovery[0]})
    assert accepted.status_code == 302 and fresh.get("/people").status_code == 200


def test_five_wrong_codes_spend_the_reset_link(mail_app: Flask, client, smtp: Mailbox):
    sign_up(client)
    recovery = turn_on_two_factor(client)
    fresh = mail_app.test_client()
    ask_for_reset(fresh, "carer@example.com")
    path = link_to(smtp.to("carer@example.com")[-1], "/reset-password/")
    answers = [post(fresh, path, {"new_password": NEW_PASSWORD, "code": f"00000{n}"}) for n in range(5)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 200, 410]
    assert "You can try 4 more times with this link" in text_of(answers[0])
    assert "You can try 1 more time with this link" in text_of(answers[3])
    assert "This link has stopped working" in text_of(answers[4])
    right = post(fresh, path, {"new_password": NEW_PASSWORD, "code": recovery[0]}, token_from="/forgotten-password")
    assert right.status_code == 410  # spent: not even the right code opens it now
    assert fresh.get("/people").status_code == 302
    signed_out = mail_app.test_client()  # the password did not change
    assert post(signed_out, "/sign-in", {"email": "carer@example.com", "password": PASSWORD}).status_code == 302
    ask_for_reset(fresh, "carer@example.com")  # a new link gets a new allowance
    path = link_to(smtp.to("carer@example.com")[-1], "/reset-password/")
    assert post(fresh, path, {"new_password": NEW_PASSWORD, "code": recovery[1]}).status_code == 302


def test_parallel_wrong_codes_check_at_most_five_per_link(mail_app: Flask, client, smtp: Mailbox, backend: str):
    """Twelve wrong codes sent at the same moment, each from its own browser and address: only five are checked
    (four told "not correct", then the link is spent), on SQLite and PostgreSQL."""
    sign_up(client)
    turn_on_two_factor(client)
    ask_for_reset(mail_app.test_client(), "carer@example.com")
    path = link_to(smtp.to("carer@example.com")[-1], "/reset-password/")
    browsers = []
    for n in range(PARALLEL):
        browser = mail_app.test_client()
        browser.environ_base["REMOTE_ADDR"] = f"10.7.0.{n}"  # the per-address limit is not what is under test
        browsers.append((browser, csrf_token(browser, path)))
    barrier = threading.Barrier(PARALLEL)

    def wrong_code(item: tuple[FlaskClient, str]) -> int:
        browser, token = item
        barrier.wait()
        data = {"new_password": NEW_PASSWORD, "code": "123456", "csrf_token": token}
        return browser.post(path, data=data).status_code

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        statuses = sorted(pool.map(wrong_code, browsers))
    print(f"\nreset codes in parallel: {statuses.count(200)} told wrong, {statuses.count(410)} refused")
    assert statuses == [200] * 4 + [410] * (PARALLEL - 4)
    with mail_app.app_context():
        row = db.session.execute(db.select(AccountToken).filter_by(purpose="reset")).scalar_one()
        assert row.code_attempts == 5 and row.used_at is not None


def test_a_reset_leaves_no_valid_session_rows_behind(mail_app: Flask, client, smtp: Mailbox):
    sign_up(client)
    user_id = user_row(mail_app, "carer@example.com").id
    ask_for_reset(mail_app.test_client(), "carer@example.com")
    path = link_to(smtp.to("carer@example.com")[-1], "/reset-password/")
    fresh = mail_app.test_client()
    post(fresh, path, {"new_password": NEW_PASSWORD})
    with mail_app.app_context():
        rows = db.session.execute(db.select(WebSession).filter_by(user_id=user_id)).scalars().all()
        assert len(rows) == 1  # only the session the reset just started
