"""A real SMTP server's mailbox (aiosmtpd) and reading the messages it received: parts, links, everything a
reader could see. The carer's record holds CANARIES; none may ever appear in an email."""

import email
import email.policy
import re
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from email.message import EmailMessage

from flask import Flask

from herbert.extensions import db
from herbert.models import Person
from herbert.photos import cleaning
from herbert.records import store
from tests.support.photos import jpeg

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


def whole_message(message: EmailMessage) -> str:
    """Everything a reader could see: headers and every part, decoded."""
    plain, html = parts(message)
    return "\n".join(f"{key}: {value}" for key, value in message.items()) + plain + html


def add_canary_person(
    app: Flask, user_id: int, review_on: date | None = None, photo_taken: date | None = None, publish: bool = True
) -> str:
    """A person whose every field holds a canary string."""
    with app.app_context():
        person = db.session.get(Person, store.create_person(user_id))
        store.save_section(
            person,
            "about-the-person",
            {"full_name": CANARIES[0], "preferred_name": CANARIES[1], "address": CANARIES[2], "postcode": CANARIES[3]},
        )
        store.save_section(person, "health-and-medication", {"other_conditions": CANARIES[4]})
        store.save_summary(person, {"name": CANARIES[0], "preferred_name": CANARIES[1]})
        if photo_taken:
            store.add_photo(
                person,
                cleaning.clean_photo(jpeg(320, 240)).jpeg,
                {"kind": "head_and_shoulders", "taken_on": photo_taken.isoformat(), "caption": CANARIES[5]},
            )
        if publish:
            review = datetime.combine(review_on, datetime.min.time()) if review_on else None
            store.publish(person, user_id, store.load_draft(person), review)
        return person.id
