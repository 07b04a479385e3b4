"""Security notices: the one call other parts of the app make when something a carer must know happens.

    notices.share_opened(share, client)      # herbert/handover: police entered the right access code
    notices.share_locked(share)              # herbert/handover: the share locked after wrong codes
    notices.account_notice(user, "password-changed")   # also "email-changed", "two-factor-off"
    notices.signed_in(user)                  # at sign-in: tells the carer about a device not seen before

Security notices go whatever the carer's email settings say. They are queued (sent by the job runner).
"""

import hashlib
import logging
import secrets

from flask import after_this_request, current_app, request

from herbert.clock import utcnow
from herbert.dates import uk_time
from herbert.extensions import db
from herbert.mail.delivery import enqueue_messages, new_message_row, queue_email
from herbert.mail.models import KnownDevice
from herbert.models import Membership, Share, User

log = logging.getLogger("herbert.mail")

DEVICE_COOKIE = "herbert_device"
DEVICE_COOKIE_DAYS = 400  # browsers cap cookie lifetimes at about 400 days


def _carers_of(person_id: str) -> list[User]:
    return list(
        db.session.execute(
            db.select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.person_id == person_id, User.disabled.is_(False))
            .order_by(User.id)
        ).scalars()
    )


def _tell_every_carer(share: Share, kind: str, **params: str) -> None:
    """Best effort: a notice that cannot be queued must never stop police opening a share."""
    try:
        ids = [
            new_message_row(user, kind, person_id=share.person_id, **params).id for user in _carers_of(share.person_id)
        ]
        db.session.commit()
        enqueue_messages(ids)
    except Exception as error:  # the police page matters more than the notice; the log says which share
        db.session.rollback()
        log.error("notice %s for share %s not queued (%s)", kind, share.id, type(error).__name__)


def share_opened(share: Share, client: str) -> None:
    _tell_every_carer(share, "share-opened", when=uk_time(utcnow()), client=client or "a browser")


def share_locked(share: Share) -> None:
    _tell_every_carer(share, "share-locked", when=uk_time(utcnow()))


def account_notice(user: User, kind: str, to: str | None = None) -> None:
    """password-changed, email-changed (to the old address: pass `to`), two-factor-off."""
    try:
        queue_email(user, kind, to=to, when=uk_time(utcnow()))
    except Exception as error:
        db.session.rollback()
        log.error("notice %s for account %s not queued (%s)", kind, user.id, type(error).__name__)


def _device_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def this_device() -> str | None:
    """The SHA-256 of this browser's device cookie, or None when it sends none (or a malformed one)."""
    token = request.cookies.get(DEVICE_COOKIE) or ""
    return _device_hash(token) if 20 <= len(token) <= 64 else None


def signed_in(user: User) -> str | None:
    """Remember this browser for this account; tell the carer when it is one we had not seen before.

    The very first sign-in of an account (at sign-up) is not news, so it only remembers the device. Returns the
    device's digest when this browser had signed in to this account before this sign-in (else None): the step-up
    before a police share trusts such a session (herbert.handover.stepup)."""
    from herbert.handover.shares.clients import describe_client

    token = request.cookies.get(DEVICE_COOKIE) or ""
    if not 20 <= len(token) <= 64:
        token = secrets.token_urlsafe(32)
    digest = _device_hash(token)
    known = db.session.execute(
        db.select(KnownDevice.id).filter_by(user_id=user.id, device_hash=digest)
    ).scalar_one_or_none()
    if known is None:
        first_device = db.session.execute(db.select(KnownDevice.id).filter_by(user_id=user.id).limit(1)).first() is None
        db.session.add(KnownDevice(user_id=user.id, device_hash=digest))
        db.session.commit()
        if not first_device:
            try:
                queue_email(
                    user,
                    "new-sign-in",
                    when=uk_time(utcnow()),
                    client=describe_client(request.headers.get("User-Agent")),
                )
            except Exception as error:
                db.session.rollback()
                log.error("notice new-sign-in for account %s not queued (%s)", user.id, type(error).__name__)

    known_before = digest if known is not None else None

    @after_this_request
    def remember_device(response):  # type: ignore[no-untyped-def]
        response.set_cookie(
            DEVICE_COOKIE,
            token,
            max_age=DEVICE_COOKIE_DAYS * 86400,
            httponly=True,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            samesite="Lax",
            path="/",
        )
        return response

    return known_before
