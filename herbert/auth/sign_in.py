"""Starting a signed-in session, and the half-way state between the password and the two-factor code.

Used by the sign-in pages and by a password reset (which signs the carer in with a fresh check).
"""

from datetime import datetime, timedelta

from flask import session

from herbert.audit import Action, record_event
from herbert.auth import backoff, two_factor
from herbert.auth.guard import mark_authenticated
from herbert.auth.sessions import rotate_session
from herbert.clock import utcnow
from herbert.extensions import db
from herbert.mail import notices
from herbert.models import User

PENDING_MINUTES = 5  # time allowed between the password and the two-factor code
PENDING_MAX_ATTEMPTS = 5  # wrong codes before the password must be entered again

# Server-session keys during two-factor sign-in: ids and times only, never the email or password.
PENDING_KEYS = ("pending_user_id", "pending_until", "pending_next", "pending_attempts")
# Server-session key: the digest of this browser's device cookie when it had signed in to the account before this
# session began (herbert.mail.notices.signed_in); the step-up before a police share trusts such a session.
KNOWN_DEVICE = "known_device"


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    return db.session.execute(db.select(User).filter_by(email=normalise_email(email))).scalar_one_or_none()


def start_signed_in_session(user: User) -> None:
    """A fresh session token at sign-in (no fixation), holding only the account id and when it signed in.

    Every way into an account ends here (sign-up, sign-in, the two-factor step, a password reset from the
    emailed link), so each of them makes this browser a known device of the account: one that still signs in
    while a stranger's wrong passwords hold the account's back-off (herbert.auth.backoff)."""
    session.clear()
    session["user_id"] = user.id
    mark_authenticated()
    rotate_session(session)  # type: ignore[arg-type]
    record_event(Action.SIGN_IN, actor_user_id=user.id)
    known_device = notices.signed_in(user)  # remembers this browser; emails the carer when it is a new one
    if known_device:
        session[KNOWN_DEVICE] = known_device
    backoff.remember_this_device(user.email)


def start_pending_sign_in(user: User, next_path: str) -> None:
    """Password accepted, code still to come: remember who, until when, and where to go; not signed in yet."""
    session.clear()
    session["pending_user_id"] = user.id
    session["pending_until"] = (utcnow() + timedelta(minutes=PENDING_MINUTES)).isoformat()
    session["pending_next"] = next_path
    session["pending_attempts"] = 0
    rotate_session(session)  # type: ignore[arg-type]


def pending_user() -> User | None:
    """The account half-way through two-factor sign-in, if that step has not expired."""
    user_id, until = session.get("pending_user_id"), session.get("pending_until")
    if not user_id or not until or utcnow() > datetime.fromisoformat(until):
        return None
    user = db.session.get(User, user_id)
    if user is None or user.disabled or not two_factor.is_enabled(user):
        return None
    return user


def clear_pending() -> None:
    for key in PENDING_KEYS:
        session.pop(key, None)
