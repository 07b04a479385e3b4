"""Forgotten password on a 375-pixel phone in Chromium: sign-in page → email → new password → signed in,
every page at zero axe violations; prints the tap count and the time it took (with a real job runner and
a real SMTP server on loopback delivering the email)."""

import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.support.browser import NARROW, PHONE, Journey, tab_to
from tests.support.http_servers import free_port
from tests.support.mail import Mailbox

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
MAX_TAPS = 6


@pytest.fixture
def mail_runner(live_server):
    """aiosmtpd on loopback, and a job runner for the live server's instance that sends to it."""
    mailbox = Mailbox(port=free_port())
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    env = live_server.environment() | {"HERBERT_MAIL_SERVER": "127.0.0.1", "HERBERT_MAIL_PORT": str(mailbox.port)}
    runner = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "herbert", "jobs", "run", "--no-periodic"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield mailbox
    runner.send_signal(signal.SIGINT)
    try:
        runner.wait(timeout=20)
    except subprocess.TimeoutExpired:
        runner.kill()
    controller.stop()


def tap(journey: Journey, role: str, name: str) -> None:
    with journey.navigation():
        journey.page.locator("main").get_by_role(role, name=re.compile(f"^{re.escape(name)}")).first.click()


def test_forgotten_password_on_a_phone(make_journey, mail_runner: Mailbox):
    carer = make_journey(viewport=PHONE)
    email = carer.sign_up()
    carer.sign_out()
    carer.visit("/sign-in")
    started = time.monotonic()
    taps = 0
    tap(carer, "link", "Forgotten your password?")
    taps += 1
    carer.fill("Email address", email)  # tapping into the field and typing counts as one tap
    taps += 1
    tap(carer, "button", "Send the link")
    taps += 1
    assert carer.page.locator("h1").inner_text() == "Check your email"
    deadline = time.monotonic() + 60
    while not [m for m in mail_runner.to(email) if m["Subject"] == "Reset your password"]:
        assert time.monotonic() < deadline, "the reset email never arrived"
        time.sleep(0.2)
    message = [m for m in mail_runner.to(email) if m["Subject"] == "Reset your password"][-1]
    arrived = time.monotonic() - started
    path = re.search(r"https?://[^/\s]+(/reset-password/[A-Za-z0-9_\-]+)", message.get_body(("plain",)).get_content())
    carer.visit(path.group(1))  # tapping the link in the email
    taps += 1
    carer.page.locator("input[name=new_password]").fill("purple elephant marmalade 1999")
    taps += 1
    tap(carer, "button", "Save password and sign in")
    taps += 1
    assert carer.path == "/people", carer.path
    assert carer.page.get_by_role("button", name="Sign out").is_visible()
    elapsed = time.monotonic() - started
    print(
        f"\nForgotten password to signed in on a 375 px phone: {taps} taps; email at the SMTP server after "
        f"{arrived:.1f} s; whole journey (robot typing) {elapsed:.1f} s"
    )
    assert taps <= MAX_TAPS
    for path in ("/account/notifications", "/account/email"):
        carer.visit(path)


def test_email_pages_pass_axe_on_a_narrow_phone(make_journey, mail_runner: Mailbox, live_server):
    """Confirm an address, a used link, email settings and one-click unsubscribe, at 320 px."""
    from itsdangerous import URLSafeSerializer

    carer = make_journey(viewport=NARROW)
    email = carer.sign_up()
    deadline = time.monotonic() + 60
    while not mail_runner.to(email):
        assert time.monotonic() < deadline, "the confirmation email never arrived"
        time.sleep(0.2)
    body = mail_runner.to(email)[0].get_body(("plain",)).get_content()
    confirm = re.search(r"https?://[^/\s]+(/confirm-email/[A-Za-z0-9_\-]+)", body).group(1)
    carer.visit(confirm)
    assert carer.page.locator("h1").inner_text() == "Email address confirmed"
    carer.visit(confirm, status=410)  # used: the "expired or used" page
    carer.visit("/account/notifications")
    carer.page.get_by_label("Reminders when a form is due for review").uncheck()
    carer.submit("Save")
    assert not carer.page.get_by_label("Reminders when a form is due for review").is_checked()
    with sqlite3.connect(live_server.instance / "herbert.db") as database:
        (user_id,) = database.execute("SELECT id FROM users WHERE email = ?", (email,)).fetchone()
    secret = (live_server.instance / "secret_key").read_text().strip()
    token = URLSafeSerializer(secret, salt="herbert/unsubscribe/v1").dumps([user_id, "photo"])
    carer.visit(f"/email/unsubscribe/{token}")
    carer.submit("Stop these reminders")
    assert carer.page.locator("h1").inner_text() == "You will not get these reminders"


def test_forgotten_password_by_keyboard_alone_at_320px(make_journey):
    carer = make_journey(viewport=NARROW)
    carer.visit("/sign-in")
    page = carer.page
    tab_to(page, "main a[href^='/forgotten-password']")
    with carer.navigation():
        page.keyboard.press("Enter")
    tab_to(page, "#email")
    page.keyboard.type("nobody@example.com")
    tab_to(page, "main button[type=submit], main input[type=submit]")
    with carer.navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == "Check your email"
