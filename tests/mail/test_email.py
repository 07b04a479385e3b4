"""Reminders, security notices and what every email carries, read back from a real SMTP server (aiosmtpd)."""

import logging
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask

from herbert import clock, create_app
from herbert.extensions import db
from herbert.handover.shares import lifecycle as shares
from herbert.mail.delivery import queue_email
from herbert.mail.models import OutboxMessage, SentReminder
from herbert.mail.reminders import review_stage
from herbert.models import Membership, Person, User
from herbert.records import erasure, store
from tests.support.mail import CANARIES, Mailbox, add_canary_person, link_to, parts, whole_message
from tests.support.pages import page as page_of
from tests.support.pages import post, text_of

PASSWORD = "correct horse battery staple 42"
TODAY = date(2026, 12, 1)


def add_carer(app: Flask, address: str, verified: bool = True) -> int:
    with app.app_context():
        from herbert.auth.passwords import hash_password

        user = User(
            email=address, password_hash=hash_password(PASSWORD), email_verified_at=clock.utcnow() if verified else None
        )
        db.session.add(user)
        db.session.commit()
        return user.id


def share_with(app: Flask, person_id: str, other_user: int) -> None:
    with app.app_context():
        db.session.add(Membership(user_id=other_user, person_id=person_id, role="carer"))
        db.session.commit()


def run_reminders(app: Flask, day: date) -> dict[str, int]:
    result = app.test_cli_runner().invoke(args=["reminders", "send", "--today", day.isoformat()])
    assert result.exit_code == 0, result.output
    return {line.split(": ")[0]: int(line.split(": ")[1]) for line in result.output.splitlines() if ": " in line}


def no_canaries(messages) -> None:
    for message in messages:
        text = whole_message(message)
        for canary in CANARIES:
            assert canary.lower() not in text.lower(), f"{canary!r} in a {message['Subject']!r} email"


# --- review reminders -----------------------------------------------------------------------------


def test_review_stages():
    due = date(2027, 1, 31)
    stages = {day: review_stage(due, due + timedelta(days=day)) for day in range(-40, 70)}
    assert stages[-31] is None and stages[-30] == "soon" and stages[-1] == "soon"
    assert stages[0] == "due" and stages[13] == "due"
    assert stages[14] == "overdue-1" and stages[28] == "overdue-2" and stages[42] == "overdue-3"
    assert stages[55] == "overdue-3" and stages[56] is None  # at most three while overdue


def test_review_reminder_email_with_one_click_unsubscribe(mail_app: Flask, smtp: Mailbox):
    user_id = add_carer(mail_app, "carer@example.com")
    person_id = add_canary_person(mail_app, user_id, review_on=TODAY + timedelta(days=30))
    assert run_reminders(mail_app, TODAY) == {"review": 1, "photo": 0, "draft": 0}
    (message,) = smtp.wait_for(1)
    assert message["Subject"] == "A Herbert Protocol form you keep is due for review"
    assert message["To"] == "carer@example.com"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = message["List-Unsubscribe"]
    assert unsubscribe.startswith("<http://localhost/email/unsubscribe/") and unsubscribe.endswith(">")
    plain, html = parts(message)
    assert "due for review on 31 December 2026" in plain and "31 December 2026" in html
    client = mail_app.test_client()
    post(client, "/sign-in", {"email": "carer@example.com", "password": PASSWORD})
    assert client.get(link_to(message, f"/people/{person_id}")).status_code == 200  # the link works
    assert run_reminders(mail_app, TODAY) == {"review": 0, "photo": 0, "draft": 0}  # once only
    # RFC 8058: the mail provider POSTs with no cookies and no CSRF token.
    one_click = mail_app.test_client().post(
        unsubscribe[1:-1].removeprefix("http://localhost"), data={"List-Unsubscribe": "One-Click"}
    )
    assert one_click.status_code == 200 and "You will not get these reminders" in text_of(one_click)
    assert run_reminders(mail_app, TODAY + timedelta(days=30)) == {"review": 0, "photo": 0, "draft": 0}
    settings = client.get("/account/notifications")
    assert "cannot be turned off" in text_of(settings)


def test_every_stage_once_then_stop_and_a_new_version_starts_afresh(mail_app: Flask, smtp: Mailbox):
    user_id = add_carer(mail_app, "carer@example.com")
    due = TODAY + timedelta(days=30)
    person_id = add_canary_person(mail_app, user_id, review_on=due)
    sent = sum(run_reminders(mail_app, TODAY + timedelta(days=day))["review"] for day in range(0, 100))
    assert sent == 5  # 30 days before, on the day, and three times while overdue
    with mail_app.app_context():  # reviewed: a new version moves the date
        person = db.session.get(Person, person_id)
        store.publish(
            person, user_id, store.load_draft(person), datetime.combine(due + timedelta(days=400), datetime.min.time())
        )
    assert run_reminders(mail_app, TODAY + timedelta(days=101))["review"] == 0


def test_unverified_carers_get_no_reminders_and_erased_people_none(mail_app: Flask, smtp: Mailbox):
    unverified = add_carer(mail_app, "new@example.com", verified=False)
    add_canary_person(mail_app, unverified, review_on=TODAY)
    verified = add_carer(mail_app, "carer@example.com")
    erased = add_canary_person(mail_app, verified, review_on=TODAY)
    with mail_app.app_context():
        erasure.erase_person(db.session.get(Person, erased))
    assert run_reminders(mail_app, TODAY)["review"] == 0


def test_a_reminder_queued_before_an_erasure_is_never_sent(app: Flask, smtp: Mailbox, caplog):
    """Reminders are queued while the mail server is down (waiting on huey's retries); meanwhile one person is
    erased and a co-carer of the other stops caring for them. When the server is back, only the reminder that
    still applies goes."""
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1)  # nothing listens there
    user_id = add_carer(app, "carer@example.com")
    sister = add_carer(app, "sister@example.com")
    erased = add_canary_person(app, user_id, review_on=TODAY)
    kept = add_canary_person(app, user_id, review_on=TODAY)
    share_with(app, kept, sister)
    assert run_reminders(app, TODAY)["review"] == 3
    with app.app_context():
        unsent = db.select(db.func.count(OutboxMessage.id)).where(OutboxMessage.sent_at.is_(None))
        assert db.session.execute(unsent).scalar() == 3  # all waiting on retries
        erasure.erase_person(db.session.get(Person, erased))
        db.session.execute(db.delete(Membership).filter_by(user_id=sister, person_id=kept))
        db.session.commit()
    app.config.update(MAIL_PORT=smtp.port)
    app.extensions.pop("herbert.mail.sender")
    with caplog.at_level(logging.INFO, logger="herbert.mail"):
        assert run_due_retries(app, 35) == 3
    (message,) = smtp.wait_for(1)
    assert message["To"] == "carer@example.com" and link_to(message, "/people/") == f"/people/{kept}"
    assert run_due_retries(app, 3600) == 0  # the dropped ones are done with, not retried
    with app.app_context():
        rows = db.session.execute(db.select(OutboxMessage)).scalars().all()
        assert all(row.sent_at is not None and row.to_address == "" for row in rows)
        assert sorted(row.last_error for row in rows) == ["", "no longer their carer", "person erased"]
    assert "dropped: person erased" in caplog.text
    assert len(smtp.wait_for(2, timeout=1)) == 1


@pytest.mark.parametrize(
    ("review_answers", "due"),
    [
        ({"date_completed": "2026-06-20", "next_review_date": "2026-12-11"}, date(2026, 12, 11)),  # its own date
        ({"date_completed": "2026-06-20"}, date(2026, 12, 20)),  # six months after it was completed
        ({}, date(2027, 6, 1)),  # six months from the day it was imported
        ({"date_completed": "2025-01-02", "next_review_date": "2025-07-02"}, TODAY),  # long overdue: due now
    ],
)
def test_an_imported_form_gets_its_review_reminder(mail_app: Flask, smtp: Mailbox, review_answers: dict, due: date):
    from herbert.handover.transfer import export
    from herbert.handover.transfer.importer import import_package

    exporter = add_carer(mail_app, "old-service@example.com", verified=False)
    importer = add_carer(mail_app, "carer@example.com")
    with mail_app.app_context():
        person = db.session.get(Person, store.create_person(exporter))
        store.save_section(person, "about-the-person", {"full_name": CANARIES[0]})
        store.save_section(person, "consent-and-review", review_answers)
        store.publish(person, exporter, store.load_draft(person), None)
        package = export.build_package(export.content_for_person(person), None)
        clock.freeze(datetime.combine(TODAY, datetime.min.time()) + timedelta(hours=10))
        try:
            imported = import_package(package, importer)
        finally:
            clock.freeze(None)
        assert db.session.get(Person, imported).next_review_on == datetime.combine(due, datetime.min.time())
    assert run_reminders(mail_app, due)["review"] == 1
    (message,) = smtp.wait_for(1)
    assert message["To"] == "carer@example.com"
    assert "is due for review today" in parts(message)[0]
    assert link_to(message, "/people/") == f"/people/{imported}"


def test_every_verified_carer_of_the_person_is_reminded(mail_app: Flask, smtp: Mailbox):
    first = add_carer(mail_app, "carer@example.com")
    second = add_carer(mail_app, "sister@example.com")
    person_id = add_canary_person(mail_app, first, review_on=TODAY)
    share_with(mail_app, person_id, second)
    assert run_reminders(mail_app, TODAY)["review"] == 2
    assert sorted(m["To"] for m in smtp.wait_for(2)) == ["carer@example.com", "sister@example.com"]


def test_photo_reminders_at_6_and_12_months_and_one_draft_nudge(mail_app: Flask, smtp: Mailbox):
    user_id = add_carer(mail_app, "carer@example.com")
    add_canary_person(mail_app, user_id, photo_taken=TODAY - timedelta(days=200))
    add_canary_person(mail_app, user_id, publish=False)
    with mail_app.app_context():  # the draft was started 8 days ago
        db.session.execute(
            db.update(Person)
            .where(Person.status == "draft")
            .values(created_at=datetime.combine(TODAY - timedelta(days=8), datetime.min.time()))
        )
        db.session.commit()
    assert run_reminders(mail_app, TODAY) == {"review": 0, "photo": 1, "draft": 1}
    assert run_reminders(mail_app, TODAY + timedelta(days=1)) == {"review": 0, "photo": 0, "draft": 0}
    assert run_reminders(mail_app, TODAY + timedelta(days=200))["photo"] == 1  # now over 12 months
    subjects = sorted(m["Subject"] for m in smtp.wait_for(3))
    assert subjects == ["A photo on a Herbert Protocol form is getting old"] * 2 + ["Finish your Herbert Protocol form"]
    assert "more than 12 months old" in parts(smtp.messages[-1])[0]


def test_a_reminder_raced_by_two_runs_is_sent_once(mail_app: Flask, smtp: Mailbox):
    """Another process got there first (its row exists): this run must skip it, not fail or send again."""
    user_id = add_carer(mail_app, "carer@example.com")
    person_id = add_canary_person(mail_app, user_id, review_on=TODAY)
    with mail_app.app_context():
        db.session.add(
            SentReminder(
                key=f"review:{person_id}:{TODAY.isoformat()}:due:{user_id}",
                kind="review",
                user_id=user_id,
                person_id=person_id,
            )
        )
        db.session.commit()
    assert run_reminders(mail_app, TODAY)["review"] == 0
    assert smtp.messages == []


# --- security notices -----------------------------------------------------------------------------


def open_share(app: Flask, person_id: str, user_id: int) -> tuple[str, str]:
    with app.app_context():
        person = db.session.get(Person, person_id)
        issued = shares.create_share(person, user_id, {"document": store.load_draft(person), "photos": []}, 24)
        return issued.token, issued.code


def police_post(app: Flask, token: str, code: str):
    police = app.test_client()
    return post(
        police,
        f"/police/share/{token}",
        {"code": code},
        headers={"User-Agent": "Mozilla/5.0 (Linux; Android 14) Chrome/120.0 Mobile Safari/537.36"},
    )


def test_police_opening_a_share_tells_every_carer_at_once(mail_app: Flask, smtp: Mailbox):
    first = add_carer(mail_app, "carer@example.com")
    second = add_carer(mail_app, "sister@example.com", verified=False)  # security notices go regardless
    person_id = add_canary_person(mail_app, first)
    share_with(mail_app, person_id, second)
    token, code = open_share(mail_app, person_id, first)
    assert police_post(mail_app, token, code).status_code == 303
    messages = smtp.wait_for(2)
    assert sorted(m["To"] for m in messages) == ["carer@example.com", "sister@example.com"]
    plain, _html = parts(messages[0])
    assert messages[0]["Subject"] == "Police opened a form you shared"
    assert "(Chrome on Android)" in plain and "List-Unsubscribe" not in messages[0]
    no_canaries(messages)


def test_a_share_locked_by_wrong_codes_is_told_to_the_carers(mail_app: Flask, smtp: Mailbox):
    user_id = add_carer(mail_app, "carer@example.com")
    person_id = add_canary_person(mail_app, user_id)
    token, _code = open_share(mail_app, person_id, user_id)
    statuses = [police_post(mail_app, token, "WRNG-CODE").status_code for _ in range(5)]
    assert statuses[-1] == 423
    (message,) = smtp.wait_for(1)
    assert message["Subject"] == "A share link was locked"


def test_new_device_and_password_change_notices(mail_app: Flask, client, smtp: Mailbox):
    post(client, "/sign-up", {"email": "carer@example.com", "password": PASSWORD})
    smtp.wait_for(1)
    smtp.clear()
    post(client, "/sign-out", {}, token_from="/account")
    post(client, "/sign-in", {"email": "carer@example.com", "password": PASSWORD})
    assert smtp.messages == []  # the same browser: not news
    other = mail_app.test_client()
    post(
        other,
        "/sign-in",
        {"email": "carer@example.com", "password": PASSWORD},
        headers={"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Safari/605.1"},
    )
    (notice,) = smtp.wait_for(1)
    assert notice["Subject"] == "New sign-in to your account" and "Safari on iPhone" in parts(notice)[0]
    smtp.clear()
    response = post(
        client,
        "/account/change-password",
        {"current_password": PASSWORD, "new_password": "purple elephant marmalade 1999"},
    )
    assert response.status_code == 302
    (changed,) = smtp.wait_for(1)
    assert changed["Subject"] == "Your password was changed"


def test_change_of_email_is_confirmed_on_the_new_address_and_told_to_the_old(mail_app: Flask, client, smtp: Mailbox):
    post(client, "/sign-up", {"email": "carer@example.com", "password": PASSWORD})
    smtp.wait_for(1)
    smtp.clear()
    response = post(client, "/account/email", {"email": "New.Address@example.com"})
    assert response.status_code == 302, text_of(response)
    (confirm,) = smtp.wait_for(1)
    assert confirm["To"] == "new.address@example.com"
    with mail_app.app_context():
        assert db.session.execute(db.select(User.email)).scalar_one() == "carer@example.com"  # not yet
    assert client.get(link_to(confirm, "/confirm-email/")).status_code == 200
    messages = smtp.wait_for(2)
    assert messages[1]["To"] == "carer@example.com"
    assert messages[1]["Subject"] == "Your account email address was changed"
    with mail_app.app_context():
        user = db.session.execute(db.select(User)).scalar_one()
        assert user.email == "new.address@example.com" and user.email_verified_at is not None


def test_no_personal_data_about_the_person_in_any_email(mail_app: Flask, client, smtp: Mailbox):
    """Canary scan: every kind of email, for a person whose every field is a canary."""
    post(client, "/sign-up", {"email": "carer@example.com", "password": PASSWORD})
    with mail_app.app_context():
        user = db.session.execute(db.select(User)).scalar_one()
        user.email_verified_at = clock.utcnow()
        db.session.commit()
        user_id = user.id
    add_canary_person(mail_app, user_id, review_on=TODAY, photo_taken=TODAY - timedelta(days=400))
    draft = add_canary_person(mail_app, user_id, publish=False)
    with mail_app.app_context():
        db.session.execute(db.update(Person).where(Person.id == draft).values(created_at=datetime(2026, 1, 1)))
        db.session.commit()
    run_reminders(mail_app, TODAY)
    person_id = add_canary_person(mail_app, user_id)
    token, code = open_share(mail_app, person_id, user_id)
    police_post(mail_app, token, code)
    locked, _ = open_share(mail_app, person_id, user_id)
    for _ in range(5):
        police_post(mail_app, locked, "WRNG-CODE")
    post(mail_app.test_client(), "/forgotten-password", {"email": "carer@example.com"})
    messages = smtp.wait_for(8)
    kinds = {m["Subject"] for m in messages}
    assert len(kinds) >= 7, kinds
    no_canaries(messages)
    for message in messages:
        for url in [u for u in whole_message(message).split() if u.startswith("http")]:
            assert url.startswith(("http://localhost/", "<http://localhost/")), url


HOSTILE_HOST = {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"}


def post_from_host(client, path: str, data: dict, headers: dict):
    """GET the form and POST it, both carrying `headers` (cookies follow the host the client was told)."""
    token = page_of(client.get(path, headers=headers)).find("input", {"name": "csrf_token"})["value"]
    return client.post(path, data=data | {"csrf_token": token}, headers=headers)


def test_email_links_come_from_public_url_never_from_the_request_host(mail_app: Flask, smtp: Mailbox):
    """The requests that make these emails name another host (Host and X-Forwarded-Host); PUBLIC_URL differs from
    the test client's own host too, so a link built from the request would show here."""
    mail_app.config["PUBLIC_URL"] = "https://herbert.example.org"
    user_id = add_carer(mail_app, "carer@example.com")
    person_id = add_canary_person(mail_app, user_id)
    token, code = open_share(mail_app, person_id, user_id)
    police = mail_app.test_client()
    assert post_from_host(police, f"/police/share/{token}", {"code": code}, HOSTILE_HOST).status_code == 303
    stranger = mail_app.test_client()
    response = post_from_host(stranger, "/forgotten-password", {"email": "carer@example.com"}, HOSTILE_HOST)
    assert response.status_code == 302
    messages = smtp.wait_for(2)
    assert sorted(m["Subject"] for m in messages) == ["Police opened a form you shared", "Reset your password"]
    for message in messages:
        text = whole_message(message)
        urls = re.findall(r"https?://[^\s<>\"]+", text)
        assert urls and all(url.startswith("https://herbert.example.org/") for url in urls), urls
        assert "evil.example" not in text and "localhost" not in text, text
        assert message["Message-ID"].endswith("@herbert.example.org>")  # not the server's own host name


# --- failures, the log, production --------------------------------------------------------------


def run_due_retries(app: Flask, seconds_from_now: float) -> int:
    """What huey's consumer does when its clock reaches now + seconds: the scheduler takes the retries due by then
    from huey's schedule, and a worker executes each at that time. Returns how many ran."""
    huey = app.extensions["herbert.jobs"].huey
    when = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=seconds_from_now)
    due = huey.read_schedule(when)
    with app.app_context():
        for task in due:
            huey.execute(task, timestamp=when)
    return len(due)


def outbox_row(app: Flask, message_id: str) -> OutboxMessage:
    with app.app_context():
        row = db.session.get(OutboxMessage, message_id)
        db.session.expunge(row)
        return row


def test_a_failed_send_is_retried_by_huey_with_backoff_and_logged_by_id_only(app: Flask, smtp: Mailbox, caplog):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1)  # nothing listens there
    user_id = add_carer(app, "carer@example.com")
    with app.app_context(), caplog.at_level(logging.WARNING, logger="herbert.mail"):
        message_id = queue_email(db.session.get(User, user_id), "password-changed", when="today")
    row = outbox_row(app, message_id)
    assert row.sent_at is None and row.claimed_at is None and row.attempts == 1
    assert row.last_error == "ConnectionRefusedError"
    # huey's own retry: 30 s later, then 60 s (backoff 2), each one a real attempt at the unreachable server.
    assert run_due_retries(app, 25) == 0
    with caplog.at_level(logging.WARNING, logger="herbert.mail"):
        assert run_due_retries(app, 35) == 1
    assert outbox_row(app, message_id).attempts == 2
    assert run_due_retries(app, 55) == 0  # the delay doubled
    app.config.update(MAIL_PORT=smtp.port)  # the mail server is back
    app.extensions.pop("herbert.mail.sender")
    assert run_due_retries(app, 65) == 1
    (message,) = smtp.wait_for(1)
    assert message["Subject"] == "Your password was changed"
    row = outbox_row(app, message_id)
    assert row.sent_at is not None and row.attempts == 3 and row.to_address == ""
    assert run_due_retries(app, 3600) == 0  # nothing left scheduled
    logged = caplog.text
    assert f"email {message_id} not sent (attempt 1, ConnectionRefusedError)" in logged
    assert f"email {message_id} not sent (attempt 2, ConnectionRefusedError)" in logged
    assert "carer@example.com" not in logged and "Connection refused" not in logged


def test_a_message_that_fails_before_the_send_gives_its_claim_back_for_the_retry(
    mail_app: Flask, smtp: Mailbox, caplog
):
    """A failure while preparing the message (here: rendering it, for want of a value) must not leave the row
    claimed: huey's retry would find a fresh claim and return as if it were sent, and it never would be."""
    user_id = add_carer(mail_app, "carer@example.com")
    with mail_app.app_context(), caplog.at_level(logging.WARNING):
        message_id = queue_email(db.session.get(User, user_id), "password-changed")  # no "when": rendering raises
    row = outbox_row(mail_app, message_id)
    assert row.claimed_at is None and row.sent_at is None and row.attempts == 1 and row.last_error == "KeyError"
    with caplog.at_level(logging.WARNING):
        assert run_due_retries(mail_app, 35) == 1
    assert outbox_row(mail_app, message_id).attempts == 2  # the retry really tried again
    assert f"email {message_id} not sent (attempt 2, KeyError)" in caplog.text
    assert "'when'" not in caplog.text  # the exception's text stays out of the log, huey's included
    with mail_app.app_context():  # the cause goes away (the value the text needs is there now)
        db.session.execute(
            db.update(OutboxMessage).where(OutboxMessage.id == message_id).values(params='{"when": "today"}')
        )
        db.session.commit()
    assert run_due_retries(mail_app, 65) == 1
    (message,) = smtp.wait_for(1)
    assert message["Subject"] == "Your password was changed"
    assert outbox_row(mail_app, message_id).sent_at is not None


def test_with_no_mail_server_messages_go_to_the_log(app: Flask, caplog):
    user_id = add_carer(app, "carer@example.com")
    with app.app_context(), caplog.at_level(logging.INFO, logger="herbert.mail"):
        queue_email(db.session.get(User, user_id), "password-changed", when="today")
    assert "Your password was changed" in caplog.text and "carer@example.com" not in caplog.text


def test_production_refuses_to_start_without_a_mail_server(tmp_path, monkeypatch):
    monkeypatch.setenv("HERBERT_INSTANCE_PATH", str(tmp_path))
    settings = {
        "ENV": "production",
        "SECRET_KEY": "k" * 40,
        "PUBLIC_URL": "https://herbert.example.org",
        "KEYRING": None,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite'}",
    }
    with pytest.raises(RuntimeError, match="HERBERT_MAIL_SERVER"):
        create_app(settings)
    app = create_app(settings | {"MAIL_DISABLED": True})
    assert app.config["MAIL_DISABLED"] is True
    with app.app_context():
        db.engine.dispose()


def test_turning_two_factor_off_is_told_to_the_carer(mail_app: Flask, client, smtp: Mailbox):
    import re

    import pyotp
    from bs4 import BeautifulSoup

    post(client, "/sign-up", {"email": "carer@example.com", "password": PASSWORD})
    set_up = BeautifulSoup(client.get("/account/two-factor/set-up").data, "html.parser")
    secret = re.sub(r"\s", "", set_up.find(id="secret-key").get_text())
    assert post(client, "/account/two-factor/set-up", {"code": pyotp.TOTP(secret).now()}).status_code == 200
    smtp.wait_for(1)
    smtp.clear()
    response = post(client, "/account/two-factor/turn-off", {})
    assert response.status_code == 302
    (notice,) = smtp.wait_for(1)
    assert notice["Subject"] == "Two-factor sign-in was turned off" and "List-Unsubscribe" not in notice
