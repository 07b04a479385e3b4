"""The audit trail: an append-only table of events chained by SHA-256, so edits, deletions and reordering show.

Event text never holds personal data: an action name, ids, and short fixed details only.

Page views are summarised, not appended without bound: a view event (SUMMARISED_ACTIONS) is recorded at
most once per carer, person and action in any hour (VIEW_WINDOW); later views in that hour add nothing.
The activity log groups consecutive repeats ("Form viewed (3 times)"). Every action has a plain-English
label (ACTION_LABELS; a test checks that every action the code records has one).

Each event's hash covers its own id, time, actor, person, action, detail and the previous event's hash.
Appends are serialised (a PostgreSQL transaction-scoped advisory lock; on SQLite a write statement that
takes the database's single write lock before the chain head is read), so concurrent writers in several
processes can never both chain onto the same predecessor. `verify_chain` walks the table in id order and
reports the first event that does not fit.
"""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import g, has_request_context
from sqlalchemy import event as sa_event
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from herbert.clock import utcnow
from herbert.extensions import db
from herbert.models import AuditEvent

GENESIS = "0" * 64
DETAIL_MAX = 200
# Any fixed 64-bit number: the advisory lock that serialises appends to the chain on PostgreSQL.
POSTGRES_LOCK_KEY = 0x48455242_41554454  # "HERB" "AUDT"
SUMMARISED_ACTIONS = frozenset({"person.view", "version.view"})
VIEW_WINDOW = timedelta(hours=1)

# What the carer reads in the activity log, for every action the code records.
ACTION_LABELS = {
    "account-created": "Account created",
    "account-deleted": "Account deleted",
    "sign-in": "Signed in",
    "sign-out": "Signed out",
    "password-changed": "Password changed",
    "reauthenticated": "Password checked again",
    "step-up-failed": "Wrong password when confirming it was you",
    "two-factor-on": "Two-factor sign-in turned on",
    "two-factor-off": "Two-factor sign-in turned off",
    "recovery-codes-replaced": "New recovery codes made",
    "person.create": "Record started",
    "person.view": "Form viewed",
    "person.erase": "Record erased",
    "section.edit": "Form changed",
    "edit": "Form changed",
    "version.publish": "Version confirmed",
    "version.view": "Earlier version viewed",
    "photo.add": "Photo added",
    "photo.edit": "Photo details changed",
    "photo.primary": "Main photo changed",
    "photo.remove": "Photo removed",
    "pdf.download": "PDF downloaded",
    "missing.report": "Reported missing",
    "missing.edit": "Missing-now details changed",
    "missing.pdf": "Missing-now PDF made",
    "share.create": "Police share created",
    "share.open": "Police share opened",
    "share.wrong-code": "Wrong access code entered",
    "share.locked": "Police share locked after 5 wrong codes",
    "share.revoke": "Police share ended",
    "share.pdf": "Police downloaded the PDF",
    "share.export": "Police downloaded the export",
    "export": "Export downloaded",
    "import": "Record imported",
    "found": "Marked as found",
    "email-changed": "Email address changed",
    "password-reset": "Password reset by email",
    "carer.invite": "Invited a carer",
    "carer.invite-cancel": "Cancelled an invitation",
    "carer.invite-refused": "An invitation was turned down",
    "carer.join": "Joined as a carer",
    "carer.role": "Changed a carer's role",
    "carer.remove": "Removed a carer",
    "carer.leave": "Left the form",
    "carer.handover": "Handed ownership over",
    "section.conflict": "Kept their answers after a clash",
}


def action_label(action: str) -> str:
    """The plain-English label; an unknown action reads as "Other activity", never as a code."""
    return ACTION_LABELS.get(action, "Other activity")


def _timestamp(at: datetime) -> str:
    return at.isoformat(timespec="microseconds")


def event_hash(
    prev_hash: str,
    event_id: int,
    at: datetime,
    actor: int | None,
    person_id: str | None,
    action: str,
    detail: str,
) -> str:
    """SHA-256 over an unambiguous JSON encoding of the event and its predecessor's hash."""
    material = json.dumps(
        ["herbert-audit-v1", prev_hash, event_id, _timestamp(at), actor, person_id, action, detail],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(material.encode()).hexdigest()


def _serialise_appends(session: Session) -> None:
    """Take the lock that makes 'read the chain head, then append' atomic across processes."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": POSTGRES_LOCK_KEY})
    elif dialect == "sqlite":
        # A write statement makes pysqlite BEGIN and SQLite take its RESERVED (single-writer) lock, waiting
        # up to busy_timeout for any other writer; the head read below then sees every committed event.
        session.execute(text("DELETE FROM audit_events WHERE 1 = 0"))


def record_event(
    action: str,
    person_id: str | None = None,
    detail: str = "",
    actor_user_id: int | None = None,
) -> None:
    """Append one event and commit it (with anything else pending in the session).

    The actor defaults to the signed-in account. `detail` must be short and hold no personal data.
    """
    if actor_user_id is None and has_request_context() and g.get("user") is not None:
        actor_user_id = g.user.id
    session = db.session
    detail = detail[:DETAIL_MAX]
    try:
        _serialise_appends(session)
        if action in SUMMARISED_ACTIONS and _viewed_recently(action, person_id, actor_user_id, detail):
            session.commit()  # release the append lock; nothing new to record
            return
        last = session.execute(db.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).scalar()
        prev_hash = last or GENESIS
        at = utcnow()
        event = AuditEvent(
            at=at,
            actor_user_id=actor_user_id,
            person_id=person_id,
            action=action[:40],
            detail=detail,
            prev_hash=prev_hash,
            hash="",
        )
        session.add(event)
        session.flush()  # assigns the id, which the hash covers
        event.hash = event_hash(prev_hash, event.id, at, actor_user_id, person_id, event.action, detail)
        session.commit()
    except Exception:
        session.rollback()
        raise


def _viewed_recently(action: str, person_id: str | None, actor: int | None, detail: str) -> bool:
    """The same view by the same carer is already recorded within the last VIEW_WINDOW (read under the lock)."""
    since = utcnow() - VIEW_WINDOW
    query = (
        db.select(AuditEvent.id)
        .where(
            AuditEvent.action == action,
            AuditEvent.person_id == person_id,
            AuditEvent.actor_user_id.is_(None) if actor is None else AuditEvent.actor_user_id == actor,
            AuditEvent.detail == detail,
            AuditEvent.at >= since,
        )
        .limit(1)
    )
    return db.session.execute(query).first() is not None


@dataclass(frozen=True)
class ActivityEntry:
    """One line of the activity log: the newest time, the label, and how many events it stands for."""

    at: datetime
    action: str
    label: str
    count: int = 1


def grouped_activity(events: list[AuditEvent]) -> list[ActivityEntry]:
    """Newest first, with consecutive events of the same action folded into one line with a count."""
    entries: list[ActivityEntry] = []
    for event in events:
        if entries and entries[-1].action == event.action:
            last = entries[-1]
            entries[-1] = ActivityEntry(last.at, last.action, last.label, last.count + 1)
        else:
            entries.append(ActivityEntry(event.at, event.action, action_label(event.action)))
    return entries


# --- append-only guard ----------------------------------------------------------------------------


class AuditTrailIsAppendOnly(Exception):
    """Raised when code tries to change or delete an audit event through the ORM."""


@sa_event.listens_for(Session, "before_flush")
def _refuse_changes_to_events(session: Session, flush_context, instances) -> None:  # noqa: ARG001
    for obj in session.deleted:
        if isinstance(obj, AuditEvent):
            raise AuditTrailIsAppendOnly("audit events cannot be deleted")
    for obj in session.dirty:
        if not isinstance(obj, AuditEvent):
            continue
        changed = {attr.key: attr.history for attr in inspect(obj).attrs if attr.history.has_changes()}
        # The one permitted change: filling in the hash right after the insert assigned the id.
        if not changed or (set(changed) == {"hash"} and list(changed["hash"].deleted) in ([""], [])):
            continue
        raise AuditTrailIsAppendOnly("audit events cannot be changed")


# --- verification ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainReport:
    """The result of walking the chain: how many events were checked, and the first broken one (if any)."""

    checked: int
    broken_event_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_event_id is None


def _events_in_order(batch: int = 1000) -> Iterator[AuditEvent]:
    last_id = None
    while True:
        query = db.select(AuditEvent).order_by(AuditEvent.id).limit(batch)
        if last_id is not None:
            query = query.where(AuditEvent.id > last_id)
        rows = list(db.session.execute(query).scalars())
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id
        db.session.expunge_all()


def verify_chain() -> ChainReport:
    """Recompute every hash in id order; the first mismatch is where the trail was altered."""
    expected_prev = GENESIS
    checked = 0
    for ev in _events_in_order():
        if ev.prev_hash != expected_prev:
            return ChainReport(checked, ev.id, "does not follow the event before it (an event was removed or moved)")
        recomputed = event_hash(ev.prev_hash, ev.id, ev.at, ev.actor_user_id, ev.person_id, ev.action, ev.detail)
        if ev.hash != recomputed:
            return ChainReport(checked, ev.id, "its contents were changed after it was recorded")
        expected_prev = ev.hash
        checked += 1
    return ChainReport(checked)


def events_for_person(person_id: str, limit: int = 50) -> list[AuditEvent]:
    """The newest events about one person, for the carer's overview page."""
    return list(
        db.session.execute(
            db.select(AuditEvent).where(AuditEvent.person_id == person_id).order_by(AuditEvent.id.desc()).limit(limit)
        ).scalars()
    )
