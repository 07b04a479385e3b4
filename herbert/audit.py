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
from enum import StrEnum

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
VIEW_WINDOW = timedelta(hours=1)

class Action(StrEnum):
    """Every action the audit trail records, named "what.happened" (what the event is about, then what it did)."""

    ACCOUNT_CREATE = "account.create"
    ACCOUNT_DELETE = "account.delete"
    SIGN_IN = "account.sign-in"
    SIGN_OUT = "account.sign-out"
    # Action names, not passwords (bandit and ruff read "PASSWORD" in the name as one):
    PASSWORD_CHANGE = "account.password-change"  # noqa: S105  # nosec B105
    PASSWORD_RESET = "account.password-reset"  # noqa: S105  # nosec B105
    EMAIL_CHANGE = "account.email-change"
    REAUTHENTICATE = "account.reauthenticate"
    STEP_UP_FAIL = "account.step-up-fail"
    TWO_FACTOR_ON = "two-factor.turn-on"
    TWO_FACTOR_OFF = "two-factor.turn-off"
    RECOVERY_CODES_REPLACE = "two-factor.new-recovery-codes"
    PERSON_CREATE = "person.create"
    PERSON_VIEW = "person.view"
    PERSON_ERASE = "person.erase"
    SECTION_EDIT = "section.edit"
    SECTION_CONFLICT = "section.conflict"
    VERSION_PUBLISH = "version.publish"
    VERSION_VIEW = "version.view"
    PHOTO_ADD = "photo.add"
    PHOTO_CHANGE = "photo.change"
    PHOTO_MAKE_MAIN = "photo.make-main"
    PHOTO_REMOVE = "photo.remove"
    PDF_DOWNLOAD = "pdf.download"
    MISSING_REPORT = "missing.report"
    MISSING_EDIT = "missing.edit"
    MISSING_PDF = "missing.pdf"
    MISSING_FOUND = "missing.found"
    SHARE_CREATE = "share.create"
    SHARE_OPEN = "share.open"
    SHARE_WRONG_CODE = "share.wrong-code"
    SHARE_LOCK = "share.lock"
    SHARE_END = "share.end"
    SHARE_PDF = "share.pdf"
    SHARE_EXPORT = "share.export"
    RECORD_EXPORT = "record.export"
    RECORD_IMPORT = "record.import"
    CARER_INVITE = "carer.invite"
    CARER_INVITE_CANCEL = "carer.invite-cancel"
    CARER_INVITE_REFUSE = "carer.invite-refuse"
    CARER_JOIN = "carer.join"
    CARER_ROLE = "carer.role"
    CARER_REMOVE = "carer.remove"
    CARER_LEAVE = "carer.leave"
    CARER_HANDOVER = "carer.handover"
    ORGANISATION_CREATE = "organisation.create"
    STAFF_INVITE = "staff.invite"
    STAFF_INVITE_CANCEL = "staff.invite-cancel"
    STAFF_INVITE_REFUSE = "staff.invite-refuse"
    STAFF_JOIN = "staff.join"
    STAFF_CHANGE = "staff.change"
    STAFF_REMOVE = "staff.remove"
    RESIDENT_ADMIT = "resident.admit"
    RESIDENT_UNIT = "resident.unit"
    RESIDENT_DISCHARGE_START = "resident.discharge-start"
    RESIDENT_DISCHARGE = "resident.discharge"


SUMMARISED_ACTIONS = frozenset({Action.PERSON_VIEW, Action.VERSION_VIEW})
# Recorded at most once per actor, person and detail, ever: a stranger reloading an invitation meant for someone
# else must not be able to flood the carers' activity log.
ONCE_ACTIONS = frozenset({Action.CARER_INVITE_REFUSE, Action.STAFF_INVITE_REFUSE})

# What the carer reads in the activity log, for every action.
ACTION_LABELS: dict[Action, str] = {
    Action.ACCOUNT_CREATE: "Account created",
    Action.ACCOUNT_DELETE: "Account deleted",
    Action.SIGN_IN: "Signed in",
    Action.SIGN_OUT: "Signed out",
    Action.PASSWORD_CHANGE: "Password changed",
    Action.PASSWORD_RESET: "Password reset by email",
    Action.EMAIL_CHANGE: "Email address changed",
    Action.REAUTHENTICATE: "Password checked again",
    Action.STEP_UP_FAIL: "Wrong password when confirming it was you",
    Action.TWO_FACTOR_ON: "Two-factor sign-in turned on",
    Action.TWO_FACTOR_OFF: "Two-factor sign-in turned off",
    Action.RECOVERY_CODES_REPLACE: "New recovery codes made",
    Action.PERSON_CREATE: "Record started",
    Action.PERSON_VIEW: "Form viewed",
    Action.PERSON_ERASE: "Record erased",
    Action.SECTION_EDIT: "Form changed",
    Action.SECTION_CONFLICT: "Kept their answers after a clash",
    Action.VERSION_PUBLISH: "Version confirmed",
    Action.VERSION_VIEW: "Earlier version viewed",
    Action.PHOTO_ADD: "Photo added",
    Action.PHOTO_CHANGE: "Photo details changed",
    Action.PHOTO_MAKE_MAIN: "Main photo changed",
    Action.PHOTO_REMOVE: "Photo removed",
    Action.PDF_DOWNLOAD: "PDF downloaded",
    Action.MISSING_REPORT: "Reported missing",
    Action.MISSING_EDIT: "Missing-now details changed",
    Action.MISSING_PDF: "Missing-now PDF made",
    Action.MISSING_FOUND: "Marked as found",
    Action.SHARE_CREATE: "Police share created",
    Action.SHARE_OPEN: "Police share opened",
    Action.SHARE_WRONG_CODE: "Wrong access code entered",
    Action.SHARE_LOCK: "Police share locked after 5 wrong codes",
    Action.SHARE_END: "Police share ended",
    Action.SHARE_PDF: "Police downloaded the PDF",
    Action.SHARE_EXPORT: "Police downloaded the export",
    Action.RECORD_EXPORT: "Export downloaded",
    Action.RECORD_IMPORT: "Record imported",
    Action.CARER_INVITE: "Invited a carer",
    Action.CARER_INVITE_CANCEL: "Cancelled an invitation",
    Action.CARER_INVITE_REFUSE: "An invitation was turned down",
    Action.CARER_JOIN: "Joined as a carer",
    Action.CARER_ROLE: "Changed a carer's role",
    Action.CARER_REMOVE: "Removed a carer",
    Action.CARER_LEAVE: "Left the form",
    Action.CARER_HANDOVER: "Handed ownership over",
    Action.ORGANISATION_CREATE: "Organisation set up",
    Action.STAFF_INVITE: "Invited a member of staff",
    Action.STAFF_INVITE_CANCEL: "Cancelled a staff invitation",
    Action.STAFF_INVITE_REFUSE: "A staff invitation was turned down",
    Action.STAFF_JOIN: "Joined the staff",
    Action.STAFF_CHANGE: "Changed what a member of staff can do",
    Action.STAFF_REMOVE: "Removed a member of staff",
    Action.RESIDENT_ADMIT: "Admitted as a resident",
    Action.RESIDENT_UNIT: "Unit or floor changed",
    Action.RESIDENT_DISCHARGE_START: "Discharge or move started",
    Action.RESIDENT_DISCHARGE: "Discharged or moved",
}
# Names events were recorded under before the actions were one enumeration: old rows keep their label.
LEGACY_ACTIONS: dict[str, Action] = {
    "account-created": Action.ACCOUNT_CREATE,
    "account-deleted": Action.ACCOUNT_DELETE,
    "sign-in": Action.SIGN_IN,
    "sign-out": Action.SIGN_OUT,
    "password-changed": Action.PASSWORD_CHANGE,
    "password-reset": Action.PASSWORD_RESET,
    "email-changed": Action.EMAIL_CHANGE,
    "reauthenticated": Action.REAUTHENTICATE,
    "step-up-failed": Action.STEP_UP_FAIL,
    "two-factor-on": Action.TWO_FACTOR_ON,
    "two-factor-off": Action.TWO_FACTOR_OFF,
    "recovery-codes-replaced": Action.RECOVERY_CODES_REPLACE,
    "edit": Action.SECTION_EDIT,
    "photo.edit": Action.PHOTO_CHANGE,
    "photo.primary": Action.PHOTO_MAKE_MAIN,
    "found": Action.MISSING_FOUND,
    "share.locked": Action.SHARE_LOCK,
    "share.revoke": Action.SHARE_END,
    "export": Action.RECORD_EXPORT,
    "import": Action.RECORD_IMPORT,
    "carer.invite-refused": Action.CARER_INVITE_REFUSE,
}


def action_of(name: str) -> Action | None:
    """The Action an event's stored name stands for (today's or a legacy name), or None."""
    if name in LEGACY_ACTIONS:
        return LEGACY_ACTIONS[name]
    try:
        return Action(name)
    except ValueError:
        return None


def action_label(name: str) -> str:
    """The plain-English label; an unknown action reads as "Other activity", never as a code."""
    action = action_of(name)
    return ACTION_LABELS[action] if action is not None else "Other activity"


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
    action: Action,
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
        if action in SUMMARISED_ACTIONS and _recorded_since(action, person_id, actor_user_id, detail, VIEW_WINDOW):
            session.commit()  # release the append lock; nothing new to record
            return
        if action in ONCE_ACTIONS and _recorded_since(action, person_id, actor_user_id, detail, None):
            session.commit()
            return
        last = session.execute(db.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).scalar()
        prev_hash = last or GENESIS
        at = utcnow()
        event = AuditEvent(
            at=at,
            actor_user_id=actor_user_id,
            person_id=person_id,
            action=Action(action).value,
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


def _recorded_since(
    action: str, person_id: str | None, actor: int | None, detail: str, window: timedelta | None
) -> bool:
    """The same event by the same actor is already recorded within `window` (ever, when None); read under the
    append lock, so two requests at once cannot both find nothing."""
    query = (
        db.select(AuditEvent.id)
        .where(
            AuditEvent.action == action,
            AuditEvent.person_id.is_(None) if person_id is None else AuditEvent.person_id == person_id,
            AuditEvent.actor_user_id.is_(None) if actor is None else AuditEvent.actor_user_id == actor,
            AuditEvent.detail == detail,
        )
        .limit(1)
    )
    if window is not None:
        query = query.where(AuditEvent.at >= utcnow() - window)
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


# What an organisation's admins can look for in its audit view: who viewed, edited, printed and shared.
ORGANISATION_EVENT_KINDS: dict[str, tuple[str, frozenset[Action]]] = {
    "viewed": ("Viewed", frozenset({Action.PERSON_VIEW, Action.VERSION_VIEW})),
    "edited": (
        "Edited",
        frozenset(
            {
                Action.SECTION_EDIT,
                Action.SECTION_CONFLICT,
                Action.VERSION_PUBLISH,
                Action.PHOTO_ADD,
                Action.PHOTO_CHANGE,
                Action.PHOTO_MAKE_MAIN,
                Action.PHOTO_REMOVE,
                Action.RESIDENT_UNIT,
                Action.MISSING_EDIT,
                Action.MISSING_FOUND,
            }
        ),
    ),
    "printed": ("Printed or downloaded", frozenset({Action.PDF_DOWNLOAD, Action.MISSING_PDF, Action.RECORD_EXPORT})),
    "shared": (
        "Shared",
        frozenset(
            {
                Action.MISSING_REPORT,
                Action.SHARE_CREATE,
                Action.SHARE_OPEN,
                Action.SHARE_END,
                Action.SHARE_PDF,
                Action.SHARE_EXPORT,
                Action.CARER_INVITE,
                Action.CARER_JOIN,
            }
        ),
    ),
}


def organisation_marker(organisation_id: str) -> str:
    """How an event about an organisation starts its detail ("organisation <id>, ..."): its audit view finds
    staff changes, admissions and discharges by this, and residents' events by their person id."""
    return f"organisation {organisation_id},"


def events_for_organisation(
    organisation_id: str, person_ids: list[str], kind: str = "", limit: int = 200
) -> list[AuditEvent]:
    """The newest events about an organisation's residents and its own staff, admissions and discharges (a
    discharged resident's discharge stays in view; the rest of their trail leaves with them)."""
    about = AuditEvent.detail.like(organisation_marker(organisation_id) + "%")
    if person_ids:
        about = about | AuditEvent.person_id.in_(person_ids)
    query = db.select(AuditEvent).where(about)
    if kind in ORGANISATION_EVENT_KINDS:
        query = query.where(AuditEvent.action.in_([action.value for action in ORGANISATION_EVENT_KINDS[kind][1]]))
    return list(db.session.execute(query.order_by(AuditEvent.id.desc()).limit(limit)).scalars())
