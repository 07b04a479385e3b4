"""Fixtures for the email tests: a real SMTP server on loopback (aiosmtpd) and an app that sends to it."""

import email
import email.policy
import re
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from herbert.extensions import db
from herbert.models import User

# Canary strings put into every field of the person's record: none may ever appear in an email.
CANARIES = ["Zephyrine Quillfeather", "Zephy", "77 Canary Wharf Lane", "ZQ9 9QZ", "Donepezil-canary", "Kestrel Ward"]


@dataclass
class Mailbox:
    """What the SMTP server received, parsed back into messages."""

    port: int = 0
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.arrived:
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 20.0) -> list[EmailMessage]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.messages) >= count, timeout=timeout)
        return list(self.messages)

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages if address in message["To"]]

    def clear(self) -> None:
        with self.arrived:
            self.messages.clear()
            self.envelopes.clear()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.data, "html.parser")


def text_of(response) -> str:
    return " ".join(page(response).get_text().split())


def csrf(client: FlaskClient, path: str) -> str:
    return page(client.get(path)).find("input", {"name": "csrf_token"})["value"]


def post(client: FlaskClient, path: str, data: dict | None = None, token_from: str | None = None, **kwargs):
    data = dict(data or {})
    data.setdefault("csrf_token", csrf(client, token_from or path))
    return client.post(path, data=data, **kwargs)


def parts(message: EmailMessage) -> tuple[str, str]:
    """The plain-text and HTML parts of a message (both must be there)."""
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None and html is not None, "an email without both parts"
    return plain.get_content(), html.get_content()


def links(message: EmailMessage) -> list[str]:
    plain, html = parts(message)
    return re.findall(r"https?://[^\s<>\"]+", plain + " " + html)


def link_to(message: EmailMessage, path_start: str) -> str:
    """The message's link whose path starts with path_start, as a path the test client can GET."""
    for url in links(message):
        assert url.startswith("http://localhost/"), f"a link not built from PUBLIC_URL: {url}"
        path = url.removeprefix("http://localhost")
        if path.startswith(path_start):
            return path
    raise AssertionError(f"no {path_start} link in the email")


def user_of(app: Flask, address: str) -> User:
    with app.app_context():
        user = db.session.execute(db.select(User).filter_by(email=address)).scalar_one()
        db.session.expunge(user)
        return user


def whole_message(message: EmailMessage) -> str:
    """Everything a reader could see: headers and every part, decoded."""
    plain, html = parts(message)
    return "\n".join(f"{key}: {value}" for key, value in message.items()) + plain + html
