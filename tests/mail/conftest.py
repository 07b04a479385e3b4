"""Fixtures for the email tests: a real SMTP server on loopback (aiosmtpd) and an app that sends to it."""

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

from tests.support.mail import Mailbox, free_port


@pytest.fixture
def smtp():
    """aiosmtpd's controller on 127.0.0.1 (a free port), stopped when the test ends."""
    mailbox = Mailbox()
    mailbox.port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    yield mailbox
    controller.stop()


@pytest.fixture
def mail_app(app: Flask, smtp: Mailbox) -> Flask:
    """The test app (jobs in immediate mode) sending through the loopback SMTP server."""
    app.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_DEFAULT_SENDER="Herbert Protocol <noreply@example.org>"
    )
    app.extensions.pop("herbert.mail.sender", None)
    return app
