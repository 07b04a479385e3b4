"""The outbox and the delivery job: emails are queued by the web app and sent only by the job runner.

A request writes an OutboxMessage row (ids and small non-personal values) and queues `deliver(message_id)`.
The job claims the row (so two runners never send it twice), mints any link token it needs (so the raw
token exists only in the job's memory and the email), renders both parts and hands the message to the
sender. A failure is logged by message id and exception class only, and huey retries with backoff.
"""

import hashlib
import json
import logging
import secrets
from datetime import timedelta
from typing import Any, Protocol

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from herbert.clock import utcnow
from herbert.extensions import db
from herbert.jobs.registry import job
from herbert.jobs.runner import enqueue
from herbert.links import public_url_for
from herbert.mail import messages
from herbert.mail.models import AccountToken, OutboxMessage
from herbert.mail.senders import OutgoingEmail, Sender, make_sender
from herbert.models import Invitation, Membership, OrganisationInvitation, Person, User

log = logging.getLogger("herbert.mail")

CLAIM_MINUTES = 10  # a claim older than this belongs to a runner that died mid-send: take it over
RETRIES = 6  # with 30 s doubling: 30 s, 1, 2, 4, 8, 16 minutes (about half an hour in all)
TOKEN_BYTES = 32  # 256 bits (B20 asks for at least 128)


class SendFailed(Exception):
    """Raised (with no text) so huey retries; the cause is logged by class name only."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Addressee(Protocol):
    id: int
    email: str


def new_message_row(user: Addressee, kind: str, to: str | None = None, **params: Any) -> OutboxMessage:
    """Add (not commit) a message; call enqueue_messages with the ids after committing."""
    row = OutboxMessage(
        id=secrets.token_hex(16), user_id=user.id, kind=kind, to_address=to or user.email, params=json.dumps(params)
    )
    db.session.add(row)
    return row


BATCH = 25  # messages per queued job when many are queued at once (one queue write per batch, not per message)


def enqueue_messages(ids: list[str]) -> None:
    """Queue delivery of many messages: a few at once for one or two, in batches for a reminder run."""
    if len(ids) <= 2:
        for message_id in ids:
            enqueue(deliver, message_id)
        return
    for start in range(0, len(ids), BATCH):
        enqueue(deliver_batch, ids[start : start + BATCH])


def queue_email(user: User, kind: str, to: str | None = None, **params: Any) -> str:
    """Queue one email now (commits): the job runner sends it."""
    row = new_message_row(user, kind, to, **params)
    db.session.commit()
    enqueue(deliver, row.id)
    return row.id


def sender() -> Sender:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if "herbert.mail.sender" not in app.extensions:
        app.extensions["herbert.mail.sender"] = make_sender(app)
    return app.extensions["herbert.mail.sender"]


def _claim(message_id: str) -> bool:
    now = utcnow()
    result = db.session.execute(
        db.update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.sent_at.is_(None),
            (OutboxMessage.claimed_at.is_(None)) | (OutboxMessage.claimed_at < now - timedelta(minutes=CLAIM_MINUTES)),
        )
        .values(claimed_at=now, attempts=OutboxMessage.attempts + 1)
    )
    db.session.commit()
    return result.rowcount == 1


def _token_row(params: dict[str, Any]) -> AccountToken | Invitation | OrganisationInvitation | None:
    """The row whose token the message's link carries, if it can still be used: an account token (reset,
    confirm), a co-carer invitation or a staff invitation."""
    now = utcnow()
    if "invitation_id" in params or "staff_invitation_id" in params:
        model = Invitation if "invitation_id" in params else OrganisationInvitation
        invitation = db.session.get(model, params.get("invitation_id") or params.get("staff_invitation_id"))
        if invitation is None or invitation.accepted_at or invitation.cancelled_at or invitation.expires_at <= now:
            return None
        return invitation
    row = db.session.get(AccountToken, params.get("token_id"))
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    return row


def _mint_token(params: dict[str, Any]) -> str | None:
    """A fresh token for the message's row, or None when it is used up, cancelled or expired."""
    row = _token_row(params)
    if row is None:
        return None
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row.token_hash = hash_token(token)  # a retried send replaces the token: only the newest link works
    db.session.commit()
    return token


@job(retries=RETRIES, retry_delay=30, retry_backoff=2)
def deliver(message_id: str) -> None:
    """Claim, prepare and send one message. Any failure after the claim (minting its token, rendering it or
    sending it) releases the claim before huey's retry, so the retry sends it rather than finding a fresh
    claim and returning as if another runner had it."""
    if not _claim(message_id):
        return  # already sent, or another runner is sending it
    row = db.session.get(OutboxMessage, message_id)
    if row is None:
        return
    try:
        email = _prepare(row)
        if email is None:
            return  # dropped: its link expired or was used up
        sender().send(email)
    except Exception as error:  # any failure: log by id and class only (SMTP errors quote addresses), then retry
        _release(message_id, error)
        raise SendFailed() from None
    _finish(row, "")


def _prepare(row: OutboxMessage) -> OutgoingEmail | None:
    """The message ready to send (its token minted and both parts rendered), or None once it has been dropped."""
    params = json.loads(row.params)
    kind = messages.KINDS[row.kind]
    if kind.category != messages.SECURITY and (gone := _reminder_gone(row.user_id, params.get("person_id"))):
        _finish(row, gone)
        return None
    if "token" in kind.link_values:
        token = _mint_token(params)
        if token is None:
            _finish(row, "expired")
            return None
        params["token"] = token
    unsubscribe = unsubscribe_url(row.user_id, kind.category) if kind.category != messages.SECURITY else None
    rendered = messages.render(row.kind, params, unsubscribe)
    headers = {"Auto-Submitted": "auto-generated", "X-Herbert-Message": row.id}
    if unsubscribe:
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
    return OutgoingEmail(row.id, row.kind, row.to_address, rendered.subject, rendered.text, rendered.html, headers)


def _reminder_gone(user_id: int, person_id: str | None) -> str:
    """Why a reminder queued earlier must not go now ("" when it still should): its person was erased since (or
    is being erased), or its carer no longer cares for them. Checked at send time, so a reminder waiting in the
    queue or on retries when the person was erased is never sent."""
    if person_id is None:
        return ""
    person = db.session.get(Person, person_id)
    if person is None or person.status == "erased" or person.wrapped_key is None:
        return "person erased"
    carer = db.session.execute(db.select(Membership.id).filter_by(user_id=user_id, person_id=person_id)).first()
    return "" if carer is not None else "no longer their carer"


def _release(message_id: str, error: Exception) -> None:
    """Give the claim back after a failed attempt and note the exception's class (never its text)."""
    db.session.rollback()  # whatever the failure left half-done in this session
    error_class = type(error).__name__[:80]
    db.session.execute(
        db.update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(claimed_at=None, last_error=error_class)
    )
    db.session.commit()
    attempts = db.session.execute(db.select(OutboxMessage.attempts).filter_by(id=message_id)).scalar()
    log.warning("email %s not sent (attempt %s, %s); it will be retried", message_id, attempts, error_class)


@job()
def deliver_batch(message_ids: list[str]) -> None:
    """Send each message; one that fails is queued on its own, where huey retries it with backoff."""
    for message_id in message_ids:
        try:
            deliver(message_id)
        except SendFailed:
            enqueue(deliver, message_id, delay=30)


def _finish(row: OutboxMessage, error: str) -> None:
    row.sent_at = utcnow()
    row.to_address = ""  # keep no copy of the address once the message has gone
    row.last_error = error
    db.session.commit()
    log.info("email %s %s (%s)", row.id, "dropped: " + error if error else "sent", row.kind)


# --- one-click unsubscribe (RFC 8058) ------------------------------------------------------------


def _unsubscribe_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="herbert/unsubscribe/v1")


def unsubscribe_url(user_id: int, category: str) -> str:
    token = _unsubscribe_signer().dumps([user_id, category])
    return public_url_for("mail_account.unsubscribe", token=token)


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    try:
        user_id, category = _unsubscribe_signer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if category not in messages.REMINDER_CATEGORIES or not isinstance(user_id, int):
        return None
    return user_id, category
