"""Tables for outgoing email: the outbox, reminders already sent, account tokens and known devices.

None of them holds anything about the person cared for. The outbox keeps the carer's own address only until
the message is sent; tokens are stored as SHA-256 hashes, and minted inside the job that emails them, so the
raw token never reaches the job queue's storage.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from herbert.clock import utcnow
from herbert.extensions import db


class OutboxMessage(db.Model):
    """One email to send: what kind, to whom, with which non-personal parameters (ids, dates, a client name)."""

    __tablename__ = "outbox_messages"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random hex: logs name messages by this id only
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    to_address: Mapped[str] = mapped_column(String(320), default="")  # emptied once sent
    params: Mapped[str] = mapped_column(Text, default="{}")  # JSON: ids, dates, a coarse client; never personal data
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    claimed_at: Mapped[datetime | None] = mapped_column()  # a job is sending it right now
    sent_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(String(80), default="")  # an exception class name, never its text


class SentReminder(db.Model):
    """A reminder that has been queued: the unique key makes every reminder go once, whatever runs it twice."""

    __tablename__ = "sent_reminders"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # kind:person:what it is about:stage:user
    kind: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[str | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccountToken(db.Model):
    """A password-reset or address-confirmation token: single use, short-lived, stored only as its SHA-256."""

    __tablename__ = "account_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # reset | verify | change-email
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # set by the job that emails it
    email: Mapped[str] = mapped_column(String(320), default="")  # the address being confirmed
    next_path: Mapped[str] = mapped_column(String(200), default="")  # where a reset lands (e.g. the share page)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    # Security codes checked on the reset page with this link: at most MAX_CODE_ATTEMPTS, then the link is spent.
    code_attempts: Mapped[int] = mapped_column(default=0, server_default="0")


class KnownDevice(db.Model):
    """A browser that has signed in to an account before (its cookie's SHA-256), so a new one can be noticed."""

    __tablename__ = "known_devices"
    __table_args__ = (UniqueConstraint("user_id", "device_hash"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    device_hash: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
