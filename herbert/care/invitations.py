"""Invitations to become a co-carer: a 256-bit token shown (or emailed) once and stored as its SHA-256,
bound to one email address and one role, single use, ending after INVITATION_DAYS.

Accepting is one compare-and-swap UPDATE (not yet accepted, not cancelled, not expired, the signed-in
address matches), so two browsers racing with the same link cannot both get in. Only an account whose
address is confirmed may accept: the link alone must not let someone create an account with the invited
address and walk in.

An invitation `for_organisation` is accepted by an admin of an organisation on its behalf: the person becomes
its resident (a family handing a form to a care home). One with `discharge_from` is a discharge or move: the
organisation's residency ends in the same transaction as the new owner joins, so the form is never without one.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import TypeVar

from herbert.access import ROLE_RANK, OrganisationRole, Role, role_of
from herbert.clock import utcnow
from herbert.extensions import db
from herbert.models import (
    Invitation,
    Membership,
    OrganisationInvitation,
    OrganisationMember,
    Person,
    Residency,
    User,
)

INVITATION_DAYS = 7
TOKEN_BYTES = 32  # 256 bits
InvitationT = TypeVar("InvitationT", Invitation, OrganisationInvitation)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


class InviteProblem(Exception):
    """Why an invitation could not be made, in words for the error summary."""


class NotVerified(Exception):
    """The signed-in account has not confirmed its email address yet, so it cannot accept."""


def create(
    person: Person,
    email: str,
    role: Role,
    invited_by: int,
    for_organisation: bool = False,
    discharge_from: str | None = None,
) -> tuple[Invitation, str]:
    """A new invitation and its token (the only time the token exists outside the link)."""
    email = normalise_email(email)
    if for_organisation:
        residency = db.session.get(Residency, person.id)
        if residency is not None and residency.organisation_id != discharge_from:
            raise InviteProblem("They already live with an organisation. It must discharge them first")
    else:
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
        for_organisation=for_organisation,
        discharge_from=discharge_from,
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
    invitation_id: int = 0
    organisation_id: str | None = None  # accepted on behalf of this organisation: the person is its resident now
    discharged_from: str | None = None  # this organisation's residency ended with the acceptance


class AlreadyResident(Exception):
    """The person lives with another organisation, which has not discharged them."""


def claim(model: type[InvitationT], token: str, user: User) -> InvitationT | None:
    """Mark an invitation (a co-carer's, or a staff member's: model says which table) used by this account, if
    it is open and for this address: one compare-and-swap, so two people racing for one link cannot both win.
    Raises NotVerified before the account's address is confirmed."""
    if user.email_verified_at is None:
        raise NotVerified
    now = utcnow()
    token_hash = hash_token(token)
    result = db.session.execute(
        db.update(model)
        .where(
            model.token_hash == token_hash,
            model.accepted_at.is_(None),
            model.cancelled_at.is_(None),
            model.expires_at > now,
            model.email == normalise_email(user.email),
        )
        .values(accepted_at=now, accepted_by=user.id)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        return None
    # populate_existing: the page may have loaded this invitation already; the caller needs it as now stored
    return db.session.execute(
        db.select(model).filter_by(token_hash=token_hash).execution_options(populate_existing=True)
    ).scalar_one()


def _end_residency(invitation: Invitation) -> str | None:
    """A discharge or move: the organisation it comes from stops looking after the person (same transaction)."""
    if invitation.discharge_from is None:
        return None
    result = db.session.execute(
        db.delete(Residency).where(
            Residency.person_id == invitation.person_id, Residency.organisation_id == invitation.discharge_from
        )
    )
    return invitation.discharge_from if result.rowcount else None


def accept(token: str, user: User) -> Accepted | None:
    """Use the invitation for this account; None if it is not open, is for another address, or is meant for an
    organisation (accept_for_organisation). Raises NotVerified before the address is confirmed.

    An existing carer keeps the higher of their role and the invited one (never lowered by a link).
    """
    state, looked_up = look_up(token)
    if state != State.OPEN or looked_up is None or looked_up.for_organisation:
        return None
    invitation = claim(Invitation, token, user)
    if invitation is None:
        return None
    now = utcnow()
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
    db.session.flush()  # the new owner first, then the organisation it replaces goes
    discharged = _end_residency(invitation)
    db.session.commit()
    return Accepted(invitation.person_id, role, already, invitation.id, None, discharged)


def accept_for_organisation(token: str, user: User, organisation_id: str) -> Accepted | None:
    """An admin accepts on behalf of one of their organisations: the person becomes its resident, with the
    invited role. None if the invitation is not open or not for this address, or they are not its admin.
    Raises AlreadyResident when the person lives with another organisation that has not discharged them."""
    state, looked_up = look_up(token)
    if state != State.OPEN or looked_up is None or not looked_up.for_organisation:
        return None
    is_admin = db.session.execute(
        db.select(OrganisationMember.id).filter_by(
            organisation_id=organisation_id, user_id=user.id, role=OrganisationRole.ADMIN.value
        )
    ).first()
    if is_admin is None:
        return None
    invitation = claim(Invitation, token, user)
    if invitation is None:
        return None
    discharged = _end_residency(invitation)
    db.session.flush()
    current = db.session.get(Residency, invitation.person_id)
    role = role_of(invitation.role)
    if current is not None and current.organisation_id != organisation_id:
        db.session.rollback()
        raise AlreadyResident
    if current is None:
        db.session.add(
            Residency(
                person_id=invitation.person_id, organisation_id=organisation_id, role=role.value, admitted_by=user.id
            )
        )
    elif ROLE_RANK[role] > ROLE_RANK[role_of(current.role)]:
        current.role = role.value
    else:
        role = role_of(current.role)
    db.session.commit()
    return Accepted(invitation.person_id, role, current is not None, invitation.id, organisation_id, discharged)


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
        {
            "id": row.id,
            "email": row.email,
            "role": role_of(row.role),
            "sent": row.created_at,
            "ends": row.expires_at,
            "for_organisation": row.for_organisation,
            "discharge": row.discharge_from is not None,
        }
        for row in rows
    ]
