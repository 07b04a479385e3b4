"""Sign-up with email on, in Chromium on a 320-pixel phone: "Check your email", the emailed link, the password
again (a wrong one first), signed in; every page at zero axe violations. A live server of this module's own,
with a mail server set, a real job runner and aiosmtpd on loopback."""

import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from mail.conftest import Mailbox, free_port

from .harness import NARROW, LiveServer, unique_email

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]


class MailLiveServer(LiveServer):
    """The usual live server, with email on (a mail server set), as in production."""

    def __init__(self, folder: Path, mail_port: int):
        super().__init__(folder)
        self.mail_port = mail_port

    def environment(self) -> dict[str, str]:
        return super().environment() | {"HERBERT_MAIL_SERVER": "127.0.0.1", "HERBERT_MAIL_PORT": str(self.mail_port)}


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox(port=free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox) -> Iterator[LiveServer]:
    """This module's server (email on) and its job runner, in place of the suite's shared server."""
    server = MailLiveServer(tmp_path_factory.mktemp("live-server-mail"), mailbox.port)
    runner = None
    try:
        server.start()
        runner = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "herbert", "jobs", "run", "--no-periodic"],
            cwd=ROOT,
            env=server.environment(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        yield server
    finally:
        if runner is not None:
            runner.send_signal(signal.SIGINT)
            try:
                runner.wait(timeout=20)
            except subprocess.TimeoutExpired:
                runner.kill()
        server.stop()


def emailed_path(mailbox: Mailbox, address: str, path_start: str) -> str:
    deadline = time.monotonic() + 60
    while not mailbox.to(address):
        assert time.monotonic() < deadline, "the email never arrived"
        time.sleep(0.2)
    body = mailbox.to(address)[-1].get_body(("plain",)).get_content()
    return re.search(rf"https?://[^/\s]+({re.escape(path_start)}[A-Za-z0-9_\-]+)", body).group(1)


def test_sign_up_by_email_on_a_narrow_phone(make_journey, mailbox: Mailbox):
    carer = make_journey(viewport=NARROW)
    email = unique_email("sign-up")
    carer.visit("/sign-up")
    carer.fill("Email address", email)
    carer.page.locator("input[name=password]").fill("correct horse battery staple 42")
    carer.submit("Create account")
    assert carer.path == "/sign-up/check-your-email"
    assert carer.page.locator("h1").inner_text() == "Check your email"
    carer.visit(emailed_path(mailbox, email, "/sign-up/finish/"))  # tapping the link in the email
    assert carer.page.locator("h1").inner_text() == "Finish creating your account"
    carer.page.locator("input[name=password]").fill("not the password I chose")
    carer.submit("Finish and sign in")
    assert carer.error_state()  # the error summary and the field's message, axe-checked too
    carer.page.locator("input[name=password]").fill("correct horse battery staple 42")
    carer.submit("Finish and sign in")
    assert carer.path == "/people", carer.path
    assert carer.page.get_by_role("button", name="Sign out").is_visible()
