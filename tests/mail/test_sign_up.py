"""Sign-up gives the same answer, after the same work, whether or not the address has an account (B2, with email
on); the account is made but cannot be used until its emailed link is opened with its password; with email off,
sign-up works as before. Emails read back from a real SMTP server (aiosmtpd)."""

import re
import time
from datetime import timedelta

from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from herbert import clock
from herbert.auth.passwords import hash_password
from herbert.extensions import db
from herbert.jobs import housekeeping
from herbert.jobs.runner import JobRunner
from herbert.models import User

from .conftest import PASSWORD, Mailbox, link_to, page, parts, post, sign_up, text_of, user_of

OTHER_PASSWORD = "another fine password 77"
SIGN_IN_FAILED = "Enter the email address and password for your account"


def visible_answer(client: FlaskClient, response) -> tuple:
    """All a visitor can tell from a sign-up answer: status, where it leads, which cookies it sets, the page it
    leads to, and whether they are signed in afterwards."""
    cookies = sorted(header.split("=", 1)[0] for header in response.headers.getlist("Set-Cookie"))
    landing = client.get(response.location) if response.location else response
    main = page(landing).find("main").get_text(" ", strip=True)
    return response.status_code, response.location, cookies, main, client.get("/people").status_code


def add_account(app: Flask, address: str, password: str = PASSWORD) -> None:
    with app.app_context():
        db.session.add(User(email=address, password_hash=hash_password(password), email_verified_at=clock.utcnow()))
        db.session.commit()


def test_sign_up_answers_the_same_whether_or_not_the_address_has_an_account(mail_app: Flask, smtp: Mailbox):
    add_account(mail_app, "carer@example.com")
    answers = {}
    for address in ("carer@example.com", "new@example.com"):
        browser = mail_app.test_client()
        response = post(browser, "/sign-up", {"email": address, "password": OTHER_PASSWORD})
        answers[address] = visible_answer(browser, response)
    assert answers["carer@example.com"] == answers["new@example.com"]
    status, location, _cookies, text, people = answers["new@example.com"]
    assert (status, location, people) == (302, "/sign-up/check-your-email", 302)  # nobody is signed in
    assert "Check your email" in text and "already has an account, the email says so" in text
    (existing,) = smtp.to("carer@example.com")
    assert existing["Subject"] == "You already have an account"
    plain, html = parts(existing)
    assert "Someone tried to create a Herbert Protocol form account with this email address" in plain
    assert link_to(existing, "/sign-in") and link_to(existing, "/forgotten-password")
    assert "/sign-up/finish/" not in plain + html
    (new,) = smtp.to("new@example.com")
    assert new["Subject"] == "Confirm your email address" and link_to(new, "/sign-up/finish/")
    # The existing account is untouched: its own password signs in, the one typed at sign-up does not.
    own = post(mail_app.test_client(), "/sign-in", {"email": "carer@example.com", "password": PASSWORD})
    assert own.status_code == 302
    tried = post(mail_app.test_client(), "/sign-in", {"email": "carer@example.com", "password": OTHER_PASSWORD})
    assert tried.status_code == 200 and SIGN_IN_FAILED in text_of(tried)


def test_sign_up_takes_the_same_time_whether_or_not_the_address_has_an_account(mail_app: Flask):
    """The request hashes the password and queues one job either way; only the job looks the address up. (With a
    real queue: in immediate mode the job would run inside the request.)"""
    mail_app.config.update(
        JOBS_IMMEDIATE=False, RATELIMIT_SIGN_UP_PER_IP="1000/minute", RATELIMIT_SIGN_UP_PER_EMAIL="1000/hour"
    )
    mail_app.extensions["herbert.jobs"] = JobRunner(mail_app)
    add_account(mail_app, "carer@example.com")
    browser = mail_app.test_client()
    token = page(browser.get("/sign-up")).find("input", {"name": "csrf_token"})["value"]
    timings: dict[str, list[float]] = {"new address": [], "existing account": []}
    for round_number in range(9):  # interleaved, so machine load affects both alike
        for case in timings:
            address = f"new{round_number}@example.com" if case == "new address" else "carer@example.com"
            started = time.perf_counter()
            response = browser.post(
                "/sign-up", data={"email": address, "password": OTHER_PASSWORD, "csrf_token": token}
            )
            timings[case].append(time.perf_counter() - started)
            assert response.status_code == 302
    fastest = {case: min(values) for case, values in timings.items()}
    ratio = fastest["existing account"] / fastest["new address"]
    print(f"\nB2 sign-up: fastest ms {', '.join(f'{c} {v * 1000:.1f}' for c, v in fastest.items())}; ratio {ratio:.2f}")
    assert 0.5 <= ratio <= 2.0
    with mail_app.app_context():
        assert db.session.execute(db.select(db.func.count(User.id))).scalar() == 1  # nothing decided in the request


def test_a_new_account_cannot_be_used_until_its_link_is_opened_with_its_password(mail_app: Flask, smtp: Mailbox):
    browser = mail_app.test_client()
    post(browser, "/sign-up?next=/account", {"email": "new@example.com", "password": PASSWORD})
    # Meanwhile the account answers sign-in exactly as an address without one does.
    waiting = post(mail_app.test_client(), "/sign-in", {"email": "new@example.com", "password": PASSWORD})
    unknown = post(mail_app.test_client(), "/sign-in", {"email": "nobody@example.com", "password": PASSWORD})
    assert waiting.status_code == unknown.status_code == 200
    assert text_of(waiting) == text_of(unknown) and SIGN_IN_FAILED in text_of(waiting)
    path = link_to(smtp.to("new@example.com")[-1], "/sign-up/finish/")
    opened = browser.get(path)
    assert opened.status_code == 200 and opened.headers["Referrer-Policy"] == "no-referrer"
    assert "Finish creating your account" in text_of(opened)
    wrong = post(browser, path, {"password": OTHER_PASSWORD})
    assert wrong.status_code == 200 and "The password is not correct" in text_of(wrong)
    assert browser.get("/people").status_code == 302
    finished = post(browser, path, {"password": PASSWORD})
    assert finished.status_code == 302 and finished.location == "/account"  # where sign-up was heading
    assert browser.get("/people").status_code == 200
    user = user_of(mail_app, "new@example.com")
    assert not user.pending_confirmation and user.email_verified_at is not None
    assert browser.get(path).status_code == 410  # single use
    signed_in = post(mail_app.test_client(), "/sign-in", {"email": "new@example.com", "password": PASSWORD})
    assert signed_in.status_code == 302


def test_someone_who_signs_up_with_your_address_cannot_hand_you_an_account_they_can_open(
    mail_app: Flask, smtp: Mailbox
):
    """Pre-account hijacking: a stranger signs up with the carer's address and a password of their own. The link
    reaches the carer, who cannot finish without that password; signing up again does not change it; a reset
    (from the same page) gives the carer the account with a password only they know."""
    stranger = mail_app.test_client()
    post(stranger, "/sign-up", {"email": "carer@example.com", "password": OTHER_PASSWORD})
    carer = mail_app.test_client()
    post(carer, "/sign-up", {"email": "carer@example.com", "password": PASSWORD})  # the carer tries too
    first, second = smtp.to("carer@example.com")
    assert first["Subject"] == second["Subject"] == "Confirm your email address"
    path = link_to(second, "/sign-up/finish/")
    refused = post(carer, path, {"password": PASSWORD})  # the first password stands
    assert refused.status_code == 200 and "The password is not correct" in text_of(refused)
    forgotten = page(refused).find("a", string="Forgotten your password?")["href"]
    assert post(carer, forgotten, {"email": "carer@example.com"}).status_code == 302
    reset = link_to(smtp.to("carer@example.com")[-1], "/reset-password/")
    assert post(carer, reset, {"new_password": PASSWORD}).status_code == 302
    assert carer.get("/people").status_code == 200
    user = user_of(mail_app, "carer@example.com")
    assert not user.pending_confirmation and user.email_verified_at is not None
    gone = post(stranger, "/sign-in", {"email": "carer@example.com", "password": OTHER_PASSWORD})
    assert gone.status_code == 200 and SIGN_IN_FAILED in text_of(gone)
    assert stranger.get(link_to(first, "/sign-up/finish/")).status_code == 410


def test_five_wrong_passwords_spend_the_sign_up_link(mail_app: Flask, smtp: Mailbox):
    browser = mail_app.test_client()
    post(browser, "/sign-up", {"email": "new@example.com", "password": PASSWORD})
    path = link_to(smtp.to("new@example.com")[-1], "/sign-up/finish/")
    statuses = [post(browser, path, {"password": f"wrong guess {n}"}).status_code for n in range(5)]
    assert statuses == [200, 200, 200, 200, 410]
    assert post(browser, path, {"password": PASSWORD}, token_from="/sign-in").status_code == 410


def test_sign_up_emails_to_one_address_are_limited(mail_app: Flask, smtp: Mailbox):
    """Each accepted sign-up emails the address, so a stranger cannot flood someone's inbox from many places."""
    statuses = []
    for n in range(4):
        browser = mail_app.test_client()
        browser.environ_base["REMOTE_ADDR"] = f"10.8.0.{n}"
        statuses.append(post(browser, "/sign-up", {"email": "carer@example.com", "password": PASSWORD}).status_code)
    assert statuses == [302, 302, 302, 429]
    assert len(smtp.to("carer@example.com")) == 3


def test_unfinished_accounts_are_deleted_a_day_after_their_link_expires(mail_app: Flask, smtp: Mailbox):
    post(mail_app.test_client(), "/sign-up", {"email": "new@example.com", "password": PASSWORD})
    sign_up(mail_app.test_client(), smtp, "carer@example.com")
    with mail_app.app_context():
        clock.freeze(clock.utcnow() + timedelta(days=7, hours=23))
        housekeeping.purge_sessions()
        assert db.session.execute(db.select(db.func.count(User.id))).scalar() == 2
        clock.freeze(clock.utcnow() + timedelta(days=1, hours=2))
        housekeeping.purge_sessions()
        emails = db.session.execute(db.select(User.email)).scalars().all()
    clock.freeze(None)
    assert emails == ["carer@example.com"]  # the finished account stays


def test_with_email_off_sign_up_signs_in_at_once_and_says_when_an_address_is_taken(app: Flask, client, caplog):
    """No mail server (development) or HERBERT_MAIL_DISABLED=true: nothing could tell the carer by email, so the
    account is made at once, and the page itself says when the address has one (rate limited per IP)."""
    assert post(client, "/sign-up", {"email": "carer@example.com", "password": PASSWORD}).location == "/people"
    assert client.get("/people").status_code == 200
    taken = post(app.test_client(), "/sign-up", {"email": "carer@example.com", "password": OTHER_PASSWORD})
    assert taken.status_code == 200 and "An account with this email address already exists" in text_of(taken)
    assert not user_of(app, "carer@example.com").pending_confirmation


def test_the_sign_up_emails_carry_no_link_from_the_request_host(mail_app: Flask, smtp: Mailbox):
    mail_app.config["PUBLIC_URL"] = "https://herbert.example.org"
    add_account(mail_app, "carer@example.com")
    hostile = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    for address in ("carer@example.com", "new@example.com"):
        browser = mail_app.test_client()
        token = BeautifulSoup(browser.get("/sign-up", headers=hostile).data, "html.parser").find(
            "input", {"name": "csrf_token"}
        )["value"]
        data = {"email": address, "password": OTHER_PASSWORD, "csrf_token": token}
        assert browser.post("/sign-up", data=data, headers=hostile).status_code == 302
    for message in smtp.wait_for(2):
        plain, html = parts(message)
        urls = re.findall(r"https?://[^\s<>\"]+", plain + html)
        assert urls and all(url.startswith("https://herbert.example.org/") for url in urls), urls
