"""The rules about a person's carers: who they are, changing roles, removing, leaving, handing over,
and what happens to each person when a carer deletes their account.

A person always keeps at least one owner while they have any carer: the last owner cannot be demoted,
removed or leave without handing ownership over (or erasing the person). The organisation a person lives
with counts as an owner when it holds that role. Each change that could take the last owner away decides
under the person's lock (store.lock_person), so two owners demoting or removing each other at the same
moment cannot both succeed.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from herbert.access import Role, role_of
from herbert.audit import Action, record_event
from herbert.clock import utcnow
from herbert.dates import uk_time
from herbert.extensions import db
from herbert.mail.delivery import queue_email
from herbert.models import Invitation, Membership, Person, User
from herbert.records import erasure, store

log = logging.getLogger(__name__)


class LastOwner(Exception):
    """The change would leave the person with no owner."""


class CarerGone(Exception):
    """The carer's row was removed meanwhile (by another owner, or they left)."""


def _locked(row: Membership) -> Membership:
    """Take the person's lock, then read the carer's row again as it is now (it may have changed or gone)."""
    row_id, person_id = row.id, row.person_id
    store.lock_person(person_id)
    current = db.session.execute(
        db.select(Membership).filter_by(id=row_id).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if current is None:
        db.session.rollback()
        raise CarerGone
    return current


def _would_leave_no_owner(row: Membership) -> bool:
    """Whether taking this carer's ownership away leaves none (read under the person's lock)."""
    return role_of(row.role) == Role.OWNER and store.owner_count(row.person_id, except_membership=row.id) == 0


@dataclass(frozen=True)
class Carer:
    membership_id: int
    user_id: int
    email: str
    role: Role
    since: datetime
    last_active: datetime | None


def carers_of(person_id: str) -> list[Carer]:
    """Everyone who can see the form: owners first, then editors, then viewers, longest-standing first."""
    rows = db.session.execute(
        db.select(Membership, User.email)
        .join(User, User.id == Membership.user_id)
        .where(Membership.person_id == person_id)
        .order_by(Membership.created_at, Membership.id)
    ).all()
    order = {Role.OWNER: 0, Role.EDITOR: 1, Role.VIEWER: 2}
    carers = [Carer(m.id, m.user_id, email, role_of(m.role), m.created_at, m.last_active_at) for m, email in rows]
    return sorted(carers, key=lambda carer: order[carer.role])


def membership(person: Person, membership_id: int) -> Membership | None:
    return db.session.execute(
        db.select(Membership).filter_by(id=membership_id, person_id=person.id)
    ).scalar_one_or_none()


def change_role(row: Membership, role: Role) -> Role:
    """Set a carer's role; returns the old one. Refuses to demote the last owner."""
    current = _locked(row)
    old = role_of(current.role)
    if role != Role.OWNER and _would_leave_no_owner(current):
        db.session.rollback()
        raise LastOwner
    current.role = role.value
    db.session.commit()
    return old


def remove(row: Membership) -> None:
    """End a carer's access at once: every later request of theirs for this person is a 404.

    Open invitations to the same address end too, so a removed carer cannot come back with an old link.
    """
    current = _locked(row)
    if _would_leave_no_owner(current):
        db.session.rollback()
        raise LastOwner
    email = db.session.execute(db.select(User.email).filter_by(id=current.user_id)).scalar_one()
    db.session.execute(
        db.update(Invitation)
        .where(
            Invitation.person_id == current.person_id,
            Invitation.email == email,
            Invitation.accepted_at.is_(None),
            Invitation.cancelled_at.is_(None),
        )
        .values(cancelled_at=utcnow())
    )
    db.session.delete(current)
    db.session.commit()


def leave(row: Membership) -> None:
    """A carer stops seeing the form. Refuses when they are its last owner (they hand over first)."""
    current = _locked(row)
    if _would_leave_no_owner(current):
        db.session.rollback()
        raise LastOwner
    db.session.delete(current)
    db.session.commit()


def hand_over_and_leave(leaving: Membership, successor: Membership) -> None:
    """The last owner leaves, making another carer owner in the same transaction."""
    if successor.person_id != leaving.person_id or successor.id == leaving.id:
        raise ValueError("the successor must be another carer of the same person")
    successor_id = successor.id
    current = _locked(leaving)
    chosen = db.session.execute(
        db.select(Membership).filter_by(id=successor_id).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if chosen is None:
        db.session.rollback()
        raise CarerGone
    chosen.role = Role.OWNER.value
    db.session.delete(current)
    db.session.commit()


# --- deleting an account --------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What deleting the account does to one person: kept by others, handed to someone, or erased."""

    person_id: str
    name: str
    what: str  # "stays" | "handed" | "erased"
    successor_user_id: int | None = None
    successor_email: str = ""


def _successor(person_id: str, leaving_user_id: int) -> tuple[int, str] | None:
    """The remaining editor with the longest membership; failing that the longest-standing other carer
    (a viewer: handing the form over beats erasing it while someone still relies on it)."""
    rows = db.session.execute(
        db.select(Membership.user_id, User.email, Membership.role)
        .join(User, User.id == Membership.user_id)
        .where(Membership.person_id == person_id, Membership.user_id != leaving_user_id)
        .order_by(Membership.created_at, Membership.id)
    ).all()
    editors = [row for row in rows if role_of(row[2]) == Role.EDITOR]
    chosen = editors[0] if editors else (rows[0] if rows else None)
    return (chosen[0], chosen[1]) if chosen is not None else None


def account_deletion_plan(user_id: int) -> list[Outcome]:
    """For the delete-account page (said plainly before) and for the deletion itself (done after)."""
    outcomes = []
    rows = db.session.execute(
        db.select(Membership, Person)
        .join(Person, Person.id == Membership.person_id)
        .where(Membership.user_id == user_id, Person.wrapped_key.is_not(None))
        .order_by(Membership.created_at)
    ).all()
    for row, person in rows:
        try:
            name = store.load_summary(person).get("name", "")
        except store.RecordUnreadable:
            name = ""
        other_owners = store.owner_count(person.id, except_membership=row.id)  # the care home they live with counts
        if role_of(row.role) != Role.OWNER or other_owners:
            outcomes.append(Outcome(person.id, name, "stays"))
            continue
        successor = _successor(person.id, user_id)
        if successor is None:
            outcomes.append(Outcome(person.id, name, "erased"))
        else:
            outcomes.append(Outcome(person.id, name, "handed", successor[0], successor[1]))
    return outcomes


def release_account(user_id: int) -> list[Outcome]:
    """Before an account is deleted: hand over or erase each person it was the last owner of, then drop
    all its memberships. Returns what was done (for the message and the audit trail)."""
    outcomes = account_deletion_plan(user_id)
    for outcome in outcomes:
        person = db.session.get(Person, outcome.person_id)
        if person is None:
            continue
        if outcome.what == "erased":
            detail = "last carer deleted their account"
            record_event(Action.PERSON_ERASE, person_id=person.id, detail=detail, actor_user_id=user_id)
            erasure.erase_person(person)
        elif outcome.what == "handed":
            db.session.execute(
                db.update(Membership)
                .where(Membership.person_id == person.id, Membership.user_id == outcome.successor_user_id)
                .values(role=Role.OWNER.value)
            )
            db.session.commit()
            record_event(
                Action.CARER_HANDOVER,
                person_id=person.id,
                detail=f"user {outcome.successor_user_id} became owner: the last owner deleted their account",
                actor_user_id=user_id,
            )
            _tell_new_owner(outcome)
    db.session.execute(db.delete(Membership).where(Membership.user_id == user_id))
    db.session.commit()
    return outcomes


def _tell_new_owner(outcome: Outcome) -> None:
    """Email the carer who became owner (nothing about the person: the link leads to the form after sign-in).
    Best effort: a message that cannot be queued must not stop the account being deleted."""
    successor = db.session.get(User, outcome.successor_user_id)
    if successor is None or successor.disabled:
        return
    try:
        queue_email(successor, "owner-now", when=uk_time(utcnow()), person_id=outcome.person_id)
    except Exception as error:  # noqa: BLE001 - any failure to queue: logged by class, the deletion goes on
        db.session.rollback()
        log.error("owner-now notice for account %s not queued (%s)", successor.id, type(error).__name__)
