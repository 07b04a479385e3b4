"""Invitations to become a co-carer: a 256-bit token shown (or emailed) once and stored as its SHA-256,
bound to one email address and one role, single use, ending after INVITATION_DAYS.

Accepting is one compare-and-swap UPDATE (not yet accepted, not cancelled, not expired, the signed-in
address matches), so two browsers racing with the same link cannot both get in.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from herbert.access import Role, role_of
from herbert.clock import utcnow
from herbert.extensions import db
from herbert.models import Invitation, Membership, Person, User

INVITATION_DAYS = 7
TOKEN_BYTES = 32  # 256 bits
ROLE_RANK = {Role.VIEWER: 0, Role.EDITOR: 1, Role.OWNER: 2}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


class InviteProblem(Exception):
    """Why an invitation could not be made, in words for the error summary."""


def create(person: Person, email: str, role: Role, invited_by: int) -> tuple[Invitation, str]:
    """A new invitation and its token (the only time the token exists outside the link)."""
    email = normalise_email(email)
    already = db.session.execute(
        db.select(Membership.id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.person_id == person.id, User.email == email)
    ).first()
    if already is not None:
        raise InviteProblem("That person already helps look after this form")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = utcnow()
    invitation = Invitation(
        person_id=person.id,
        email=email,
        role=role.value,
        token_hash=hash_token(token),
        invited_by=invited_by,
        created_at=now,
        expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    db.session.add(invitation)
    db.session.commit()
    return invitation, token


class State(StrEnum):
    OPEN = "open"
    UNKNOWN = "unknown"  # no such token (or a guess)
    USED = "used"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


def look_up(token: str) -> tuple[State, Invitation | None]:
    """What state the invitation behind a link is in (the row only when there is one)."""
    if not token or len(token) > 128:
        return State.UNKNOWN, None
    invitation = db.session.execute(db.select(Invitation).filter_by(token_hash=hash_token(token))).scalar_one_or_none()
    if invitation is None or db.session.get(Person, invitation.person_id) is None:
        return State.UNKNOWN, None
    if invitation.accepted_at is not None:
        return State.USED, invitation
    if invitation.cancelled_at is not None:
        return State.CANCELLED, invitation
    if invitation.expires_at <= utcnow():
        return State.EXPIRED, invitation
    return State.OPEN, invitation


@dataclass(frozen=True)
class Accepted:
    person_id: str
    role: Role
    already_a_carer: bool


def accept(token: str, user: User) -> Accepted | None:
    """Use the invitation for this account; None if it is not open or is for another address.

    An existing carer keeps the higher of their role and the invited one (never lowered by a link).
    """
    now = utcnow()
    token_hash = hash_token(token)
    result = db.session.execute(
        db.update(Invitation)
        .where(
            Invitation.token_hash == token_hash,
            Invitation.accepted_at.is_(None),
            Invitation.cancelled_at.is_(None),
            Invitation.expires_at > now,
            Invitation.email == normalise_email(user.email),
        )
        .values(accepted_at=now, accepted_by=user.id)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        return None
    invitation = db.session.execute(db.select(Invitation).filter_by(token_hash=token_hash)).scalar_one()
    role = role_of(invitation.role)
    membership = db.session.execute(
        db.select(Membership).filter_by(user_id=user.id, person_id=invitation.person_id)
    ).scalar_one_or_none()
    already = membership is not None
    if membership is None:
        db.session.add(Membership(user_id=user.id, person_id=invitation.person_id, role=role.value, created_at=now))
    elif ROLE_RANK[role] > ROLE_RANK[role_of(membership.role)]:
        membership.role = role.value
    else:
        role = role_of(membership.role)
    db.session.commit()
    return Accepted(invitation.person_id, role, already)


def cancel(person: Person, invitation_id: int) -> Invitation | None:
    invitation = db.session.execute(
        db.select(Invitation).filter_by(id=invitation_id, person_id=person.id)
    ).scalar_one_or_none()
    if invitation is None or invitation.accepted_at is not None or invitation.cancelled_at is not None:
        return None
    invitation.cancelled_at = utcnow()
    db.session.commit()
    return invitation


def pending(person_id: str) -> list[dict]:
    """Open invitations for the carers page: address, role, when it was sent and when it ends."""
    rows = db.session.execute(
        db.select(Invitation)
        .where(
            Invitation.person_id == person_id,
            Invitation.accepted_at.is_(None),
            Invitation.cancelled_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
        .order_by(Invitation.created_at)
    ).scalars()
    return [
        {"id": row.id, "email": row.email, "role": role_of(row.role), "sent": row.created_at, "ends": row.expires_at}
        for row in rows
    ]
