"""How an email leaves: a small Sender interface, with SMTP (Flask-Mail) and the log as the two built in.

An operator who wants a provider API (for example GOV.UK Notify) writes a class with the same `send` and
names it in HERBERT_MAIL_SENDER ("package.module:Class"); it is built with the app and called only from the
job runner.
"""

import importlib
import logging
from dataclasses import dataclass, field
from email.utils import make_msgid
from typing import Protocol
from urllib.parse import urlsplit

from flask import Flask
from flask_mail import Mail, Message

log = logging.getLogger("herbert.mail")


@dataclass(frozen=True)
class OutgoingEmail:
    message_id: str  # our outbox id: the only thing logs name
    kind: str
    to: str
    subject: str
    text: str
    html: str
    headers: dict[str, str] = field(default_factory=dict)


class Sender(Protocol):
    def send(self, email: OutgoingEmail) -> None:
        """Hand the message over, or raise: the delivery job retries with backoff."""


class SmtpSender:
    """SMTP through Flask-Mail, configured by HERBERT_MAIL_SERVER, _PORT, _USE_TLS, _USE_SSL, _USERNAME, ..."""

    def __init__(self, app: Flask):
        app.config.setdefault("MAIL_SUPPRESS_SEND", False)  # the log sender is how email is switched off
        app.config.setdefault("MAIL_DEBUG", False)  # smtplib's debug output would print whole messages
        self.host = urlsplit(app.config["PUBLIC_URL"]).hostname or "localhost"
        if not app.config.get("MAIL_DEFAULT_SENDER"):  # From: noreply at the public host name
            app.config["MAIL_DEFAULT_SENDER"] = f"{app.config['SERVICE_NAME']} <noreply@{self.host}>"
        self.mail = Mail(app)

    def send(self, email: OutgoingEmail) -> None:
        message = Message(
            subject=email.subject,
            recipients=[email.to],
            body=email.text,
            html=email.html,
            extra_headers=dict(email.headers),
        )
        message.msgId = make_msgid(domain=self.host)  # not the server's own host name, which says where it runs
        self.mail.send(message)


class LogSender:
    """Email is off: write the message to the log instead (development), or only its id (production)."""

    def __init__(self, app: Flask):
        self.show_body = app.config["ENV"] != "production"

    def send(self, email: OutgoingEmail) -> None:
        if self.show_body:  # the body holds links with tokens but nothing about the person; never the address
            log.info(
                "email off: message %s (%s) not sent:\n%s\n\n%s",
                email.message_id,
                email.kind,
                email.subject,
                email.text,
            )
        else:
            log.info("email off: message %s (%s) not sent", email.message_id, email.kind)


def make_sender(app: Flask) -> Sender:
    dotted = app.config.get("MAIL_SENDER")
    if dotted:
        module_name, _, class_name = dotted.partition(":")
        return getattr(importlib.import_module(module_name), class_name)(app)
    if app.config.get("MAIL_SERVER") and not app.config.get("MAIL_DISABLED"):
        return SmtpSender(app)
    return LogSender(app)


def email_reaches_carers(app: Flask) -> bool:
    """True when emails really leave (a mail server or another sender is set, and email is not disabled), so a
    page may rely on the carer getting one; False when they go to the log or nowhere (pages that would email a
    link then show it for the carer to pass on instead)."""
    configured = bool(app.config.get("MAIL_SERVER") or app.config.get("MAIL_SENDER"))
    return configured and not app.config.get("MAIL_DISABLED")


def check_mail_settings(app: Flask) -> None:
    """Production needs a mail server (or an explicit HERBERT_MAIL_DISABLED=true); say plainly when email is off."""
    if email_reaches_carers(app):
        return
    if app.config["ENV"] == "production" and not app.config.get("MAIL_DISABLED"):
        raise RuntimeError(
            "No mail server: set HERBERT_MAIL_SERVER (and HERBERT_MAIL_DEFAULT_SENDER), or HERBERT_MAIL_DISABLED=true "
            "to run without email (carers then get no password resets, reminders or security notices)"
        )
    if not app.testing:
        log.warning("Email is OFF: no HERBERT_MAIL_SERVER is set, so emails are written to this log, not sent.")
