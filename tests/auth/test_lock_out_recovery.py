"""A stranger's wrong passwords cannot keep a carer out of a new browser (issue 15, security.md B19).

The account-wide back-off lets only known browsers try a password. Sign-up and a password reset make a browser
known too (not only a sign-in), so a carer on a new phone gets in at once by resetting the password by email
(through a real SMTP server on loopback); and the back-off page says so, and tells the truth about the wait.
"""

from flask import Flask
from flask.testing import FlaskClient

from tests.support.accounts import PASSWORD
from tests.support.mail import Mailbox, link_to
from tests.support.pages import csrf_token, page, post

WRONG = "wrong horse battery staple 99"
NEW_PASSWORD = "purple elephant marmalade 1999"
EMAIL = "carer@example.com"


def browser(app: Flask, ip: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def sign_in(client: FlaskClient, password: str):
    return post(client, "/sign-in", {"email": EMAIL, "password": password})


def text_of(response) -> str:
    return " ".join(page(response).get_text().split())


def strangers_guess(app: Flask, times: int) -> list[int]:
    """Wrong passwords for the carer's email, each from its own address (under every per-client limit)."""
    return [sign_in(browser(app, f"198.51.100.{n + 1}"), WRONG).status_code for n in range(times)]


def test_a_carer_locked_out_by_a_stranger_gets_in_on_a_new_browser_by_a_reset(mail_app: Flask, smtp: Mailbox):  # noqa: F811
    mail_app.config["RATELIMIT_SIGN_IN_PER_ACCOUNT"] = "5/hour;100/day"
    first_browser = browser(mail_app, "192.0.2.10")
    assert post(first_browser, "/sign-up", {"email": EMAIL, "password": PASSWORD}).status_code == 302
    first_browser.post("/sign-out", data={"csrf_token": csrf_token(first_browser, "/account")})
    assert strangers_guess(mail_app, 6) == [200] * 5 + [429]

    # A new phone: the right password is not even checked, and the page says how to get in now.
    new_phone = browser(mail_app, "192.0.2.20")
    refused = sign_in(new_phone, PASSWORD)
    assert refused.status_code == 429 and "We did not check the password" in text_of(refused)
    assert page(refused).find(id="reset-by-email")["href"] == "/forgotten-password"
    # The browser the carer signed up on is a known device, though it has never signed in.
    assert sign_in(first_browser, PASSWORD).status_code == 302

    # The reset, from the new phone, through the emailed link.
    smtp.clear()
    assert post(new_phone, "/forgotten-password", {"email": EMAIL}).status_code == 302
    reset_path = link_to(smtp.wait_for(1)[-1], "/reset-password/")
    assert post(new_phone, reset_path, {"new_password": NEW_PASSWORD}).status_code == 302
    assert new_phone.get("/people").status_code == 200  # signed in

    # The back-off is still in force for any other browser, but the new phone now signs in with its password.
    new_phone.post("/sign-out", data={"csrf_token": csrf_token(new_phone, "/account")})
    another = sign_in(browser(mail_app, "192.0.2.30"), NEW_PASSWORD)
    again = sign_in(new_phone, NEW_PASSWORD)
    print(
        f"\nLocked out by a stranger: new phone {refused.status_code}; after the reset {again.status_code};"
        f" a third browser {another.status_code}"
    )
    assert another.status_code == 429
    assert again.status_code == 302


def test_the_back_off_page_tells_the_truth_about_the_wait(app: Flask):
    """An hour when the hourly allowance is spent, a day when the daily cap is: the page and Retry-After agree."""
    post(app.test_client(), "/sign-up", {"email": EMAIL, "password": PASSWORD})
    app.config["RATELIMIT_SIGN_IN_PER_ACCOUNT"] = "3/hour;100/day"
    strangers_guess(app, 3)
    hourly = sign_in(browser(app, "192.0.2.40"), PASSWORD)
    app.config["RATELIMIT_SIGN_IN_PER_ACCOUNT"] = "20/hour;3/day"  # a new count, whose daily cap is spent first
    strangers_guess(app, 3)
    daily = sign_in(browser(app, "192.0.2.41"), PASSWORD)
    waits = [" ".join(page(r).find(id="backoff-wait").get_text().split()) for r in (hourly, daily)]
    print(f"\nBack-off waits: {waits}; Retry-After {hourly.headers['Retry-After']}, {daily.headers['Retry-After']}")
    assert hourly.status_code == daily.status_code == 429
    assert "(about 60 minutes from now)" in waits[0] and 3500 <= int(hourly.headers["Retry-After"]) <= 3600
    assert "(about 24 hours from now)" in waits[1] and 86000 <= int(daily.headers["Retry-After"]) <= 86400
    assert "an hour" not in text_of(daily)
