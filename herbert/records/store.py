"""The record store: the only module that turns people's data into ciphertext and back.

Views, templates, the PDF and the export get plain dicts from here and never see sealed bytes.
Each person has their own AES-256 data key, wrapped by the key wrapper (herbert.records.keys: the local
keyring, or a KMS later). Every sealed value is bound by associated data to its table, row and part,
so moving ciphertext between rows, sections or people makes it fail to open. Erasing a person first
makes the keyring refuse their key for good (which older backups cannot undo), then destroys the
wrapped key, then their rows and blobs.

Failures to open are logged with ids only (never plaintext) and raised as RecordUnreadable; a person,
version or photo that is not there raises RecordNotFound (a 404 page: herbert.errors). No Flask here: the
unwrapped keys of a request or command live in its database session's `info`, which ends with it.

Account secrets (two-factor) are sealed here too, under the keyring, through the same envelope.
"""

import json
import logging
import random
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from herbert import crypto
from herbert.clock import utcnow
from herbert.extensions import db
from herbert.models import (
    DraftSection,
    GeocodedPoints,
    Membership,
    Organisation,
    OrganisationMember,
    Person,
    Photo,
    Residency,
    Revision,
    User,
)
from herbert.records.blobs import BlobMissing, blob_store
from herbert.records.keys import forget_cached_keyring, key_wrapper, load_keyring

log = logging.getLogger(__name__)

PHOTO_ID = re.compile(r"^[0-9a-f]{32}$")
SAVE_ATTEMPTS = 10
T = TypeVar("T")


class RecordUnreadable(Exception):
    """A sealed value failed to open (tampered, moved, or its key is gone). Holds no plaintext."""


class RecordNotFound(LookupError):
    """No such person (for this carer), version or photo: shown as the 404 page, the same as an id that never
    existed, so ids reveal nothing."""


class SectionChanged(Exception):
    """A section save was based on a revision that another save has since replaced (no silent overwrite)."""

    def __init__(self, section: str, expected: int, current: int):
        super().__init__(f"section {section} is at revision {current}, not {expected}")
        self.section = section
        self.expected = expected
        self.current = current


@dataclass(frozen=True)
class PersonSummary:
    """What the dashboard shows for one person. `readable` is False when their record would not open
    (the dashboard can say so; the name is then blank rather than the whole dashboard failing)."""

    id: str
    status: str
    name: str
    preferred_name: str
    updated_at: datetime
    next_review_on: datetime | None
    latest_version: int | None
    readable: bool = True
    role: str = "owner"  # this account's role for them (herbert.access)


# --- keys -----------------------------------------------------------------------------------------


KEY_CACHE = "herbert_data_keys"


def _cached_keys() -> dict[tuple[str, str, bytes], bytes]:
    """Unwrapped data keys for this request (or CLI command) only: the session is removed with the app context."""
    cache: dict[tuple[str, str, bytes], bytes] = db.session.info.setdefault(KEY_CACHE, {})
    return cache


def forget_cached_keys(person_id: str | None = None) -> None:
    """Drop the unwrapped keys held for this request or command (one person's, or all of them and look at the
    keyring file again: long-running commands call it per batch)."""
    cache = _cached_keys()
    if person_id is not None:
        for cache_key in [k for k in cache if k[0] == person_id]:
            del cache[cache_key]
        return
    cache.clear()
    forget_cached_keyring()


def data_key(person: Person) -> bytes:
    """Unwrap a person's data key; fails closed if it was shredded, erased or cannot be opened."""
    if person.wrapped_key is None or person.kek_id is None:
        raise RecordUnreadable(f"person {person.id} has been erased")
    wrapper = key_wrapper()
    if wrapper.is_forgotten(person.id):
        log.warning("data key of erased person %s was asked for and refused", person.id)
        raise RecordUnreadable(f"person {person.id} has been erased")
    return _unwrap_once(person.id, person.kek_id, person.wrapped_key, wrapper)


def _unwrap_once(person_id: str, kek_id: str, wrapped_key: bytes, wrapper: crypto.KeyWrapper) -> bytes:
    """Unwrap a data key once per request (the wrapper still refuses an erased person's key), from the
    person's columns: a list reads only the columns it needs, not whole Person rows."""
    cache = _cached_keys()
    cache_key = (person_id, kek_id, bytes(wrapped_key))
    key = cache.get(cache_key)
    if key is None:
        try:
            key = wrapper.unwrap_data_key(kek_id, bytes(wrapped_key), person_id)
        except crypto.DecryptionError:
            log.error("data key of person %s (key-encryption key %s) failed to unwrap", person_id, kek_id)
            raise RecordUnreadable(f"data key of person {person_id} cannot be opened") from None
        cache[cache_key] = key
    return key


def rewrap_key(person: Person) -> bool:
    """Re-wrap one person's data key under the active key (no commit). True if it changed anything."""
    wrapper = key_wrapper()
    if person.wrapped_key is None or person.kek_id == wrapper.active_id:
        return False
    person.kek_id, person.wrapped_key = wrapper.wrap_data_key(data_key(person), person.id)
    return True


def rewrap_batch(limit: int, exclude: Iterable[str] = (), after: str = "") -> tuple[int, list[str], str | None]:
    """Re-wrap up to `limit` people whose keys are not under the active key and whose id sorts after `after`,
    and commit.

    Returns (how many moved, ids whose key would not unwrap, the last id looked at or None when there was
    none): the caller passes that id as `after` next time, so each batch starts where the last one ended
    instead of scanning past everyone already re-wrapped (which made rotation quadratic in the number of
    people), and excludes the failed ids.
    Each row is updated only if it still holds the wrapped key that was read (compare-and-swap), so a
    person erased meanwhile is never given their key back. People the keyring records as erased are
    deleted instead. Used by `flask keys rotate`.
    """
    wrapper = key_wrapper()
    active = wrapper.active_id
    query = (
        db.select(Person.id, Person.kek_id, Person.wrapped_key)
        .where(Person.wrapped_key.is_not(None), Person.kek_id != active, Person.id > after)
        .order_by(Person.id)
        .limit(limit)
    )
    excluded = list(exclude)
    if excluded:
        query = query.where(Person.id.not_in(excluded))
    changed, failed, last = 0, [], None
    for person_id, kek_id, wrapped in db.session.execute(query).all():
        last = person_id
        if wrapper.is_forgotten(person_id):
            delete_erased_person(person_id)  # erased, not yet swept: nothing to keep
            continue
        try:
            key = wrapper.unwrap_data_key(kek_id, bytes(wrapped), person_id)
        except crypto.DecryptionError:
            log.error("data key of person %s (key-encryption key %s) failed to unwrap", person_id, kek_id)
            failed.append(person_id)
            continue
        new_kek_id, new_wrapped = wrapper.wrap_data_key(key, person_id)
        result = db.session.execute(
            db.update(Person)
            .where(Person.id == person_id, Person.kek_id == kek_id, Person.wrapped_key == wrapped)
            .values(kek_id=new_kek_id, wrapped_key=new_wrapped)
            .execution_options(synchronize_session=False)
        )
        changed += result.rowcount
    db.session.commit()
    forget_cached_keys()
    return changed, failed, last


def people_by_key() -> dict[str, int]:
    """How many people's data keys each key-encryption key wraps (for rotation and retirement)."""
    return dict(
        db.session.execute(
            db.select(Person.kek_id, db.func.count()).where(Person.wrapped_key.is_not(None)).group_by(Person.kek_id)
        ).all()
    )


def _seal_json(person: Person, table: str, record_id: str | int, part: str, value: Any) -> bytes:
    plaintext = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    return crypto.seal(data_key(person), plaintext, crypto.associated_data(table, record_id, part))


def _open_json(person: Person, table: str, record_id: str | int, part: str, sealed: bytes | None) -> Any:
    if sealed is None:
        log.error("sealed %s %s of person %s (%s) is missing", table, record_id, person.id, part)
        raise RecordUnreadable(f"{table} {record_id} cannot be opened")
    return _open_json_with(crypto.Opener(data_key(person)), person.id, table, record_id, part, sealed)


def _open_json_with(
    opener: crypto.Opener, person_id: str, table: str, record_id: str | int, part: str, sealed: bytes
) -> Any:
    """Open with a key already set up (a list that opens many values of one person sets it up once)."""
    try:
        return json.loads(opener.open(sealed, crypto.associated_data(table, record_id, part)))
    except (crypto.DecryptionError, ValueError):
        log.error("sealed %s %s of person %s (%s) failed to open", table, record_id, person_id, part)
        raise RecordUnreadable(f"{table} {record_id} cannot be opened") from None


def _retrying(attempt: Callable[[], T], what: str) -> T:
    """Run a read-then-write step, retrying when another process got there first (unique key taken,
    row changed underneath): the loser re-reads and writes again instead of showing an error."""
    for tries in range(SAVE_ATTEMPTS):
        try:
            return attempt()
        except (IntegrityError, StaleDataError):
            db.session.rollback()
            time.sleep(random.uniform(0, 0.005 * (tries + 1)))  # noqa: S311  # nosec B311
    raise RuntimeError(f"could not {what} after {SAVE_ATTEMPTS} attempts")


# --- people and access ----------------------------------------------------------------------------


def create_person(user_id: int, organisation_id: str | None = None) -> str:
    """A new, empty person with a fresh data key, owned by this account, or, when admitted by an
    organisation, by that organisation (so its staff reach them through it, and a leaver keeps nothing)."""
    person_id = secrets.token_hex(16)
    kek_id, wrapped = key_wrapper().wrap_data_key(crypto.new_data_key(), person_id)
    person = Person(id=person_id, kek_id=kek_id, wrapped_key=wrapped)
    db.session.add(person)
    if organisation_id is None:
        db.session.add(Membership(user_id=user_id, person_id=person_id, role="owner"))
    else:
        db.session.flush()  # the person row first: the residency refers to it
        db.session.add(Residency(person_id=person_id, organisation_id=organisation_id, admitted_by=user_id))
    db.session.commit()
    return person_id


@dataclass(frozen=True)
class Routes:
    """How one account reaches one person: its own carer row, and/or a post on the staff of the organisation
    the person lives with (the residency and the staff row). herbert.access turns these into one role."""

    membership: Membership | None
    residency: Residency | None
    staff: OrganisationMember | None


def person_for(user_id: int, person_id: str) -> Person:
    """The person if this account cares for them; otherwise 404, the same as a person that never existed."""
    return routes_to(user_id, person_id)[0]


def routes_to(user_id: int, person_id: str) -> tuple[Person, Routes]:
    """The person and every way this account reaches them, in one query; 404 (RecordNotFound) for an account
    with no way at all: not a carer, not on the staff of their organisation (staff of another one included)."""
    row = db.session.execute(
        db.select(Person, Membership, Residency, OrganisationMember)
        .outerjoin(Membership, (Membership.person_id == Person.id) & (Membership.user_id == user_id))
        .outerjoin(Residency, Residency.person_id == Person.id)
        .outerjoin(
            OrganisationMember,
            (OrganisationMember.organisation_id == Residency.organisation_id) & (OrganisationMember.user_id == user_id),
        )
        .where(Person.id == person_id, Person.wrapped_key.is_not(None))
    ).one_or_none()
    if row is None or (row[1] is None and row[3] is None) or key_wrapper().is_forgotten(row[0].id):
        raise RecordNotFound("no such record")
    person, membership, residency, staff = row
    return person, Routes(membership, residency if staff is not None else None, staff)


def post_for(user_id: int, organisation_id: str) -> tuple[Organisation, OrganisationMember]:
    """The organisation and this account's post on its staff; 404 (RecordNotFound) for anyone not on it."""
    row = db.session.execute(
        db.select(Organisation, OrganisationMember)
        .join(OrganisationMember, OrganisationMember.organisation_id == Organisation.id)
        .where(Organisation.id == organisation_id, OrganisationMember.user_id == user_id)
    ).one_or_none()
    if row is None:
        raise RecordNotFound("no such organisation")
    return row[0], row[1]


TOUCH_MEMBERSHIP_EVERY = 60  # seconds: "last active" on the carers and staff pages, written at most once a minute


def touch_membership(row: Membership | OrganisationMember) -> None:
    """Record that this carer (or member of staff) used a record just now (at most one write a minute)."""
    now = utcnow()
    if row.last_active_at is None or (now - row.last_active_at).total_seconds() > TOUCH_MEMBERSHIP_EVERY:
        db.session.execute(db.update(type(row)).where(type(row).id == row.id).values(last_active_at=now))
        db.session.commit()


def owner_emails(person_id: str) -> list[str]:
    """Who can change a role (the 403 page names them): the person's owners, then the admins of the
    organisation they live with when it holds the owner role."""
    owners = list(
        db.session.execute(
            db.select(User.email)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.person_id == person_id, Membership.role == "owner")
            .order_by(Membership.created_at, Membership.id)
        ).scalars()
    )
    admins = db.session.execute(
        db.select(User.email)
        .join(OrganisationMember, OrganisationMember.user_id == User.id)
        .join(Residency, Residency.organisation_id == OrganisationMember.organisation_id)
        .where(Residency.person_id == person_id, Residency.role == "owner", OrganisationMember.role == "admin")
        .order_by(OrganisationMember.created_at, OrganisationMember.id)
    ).scalars()
    return owners + [email for email in admins if email not in owners]


def owner_count(person_id: str, except_membership: int | None = None, except_residency: bool = False) -> int:
    """How many owners the person has: carers who own the form, plus the organisation they live with when it
    holds the owner role. Read it under lock_person when a change depends on it."""
    carers = db.select(db.func.count()).select_from(Membership).filter_by(person_id=person_id, role="owner")
    if except_membership is not None:
        carers = carers.where(Membership.id != except_membership)
    count = int(db.session.execute(carers).scalar_one())
    if not except_residency:
        count += int(
            db.session.execute(
                db.select(db.func.count()).select_from(Residency).filter_by(person_id=person_id, role="owner")
            ).scalar_one()
        )
    return count


def lock_person(person_id: str) -> None:
    """Serialise changes to who looks after one person until the next commit or rollback.

    Ends the current transaction first, then an UPDATE that changes nothing: PostgreSQL holds that row's lock
    until the commit (a second transaction waits for it, then sees what the first one committed); SQLite takes
    its single write lock, waiting for (not failing on) another writer. So "is there still another owner?"
    and the change that depends on the answer happen as one step, and two owners demoting each other at the
    same moment cannot both succeed.
    """
    db.session.commit()
    db.session.execute(
        db.update(Person)
        .where(Person.id == person_id)
        .values(updated_at=Person.updated_at)  # names the column, so its onupdate does not fire
        .execution_options(synchronize_session=False)
    )


def people_for(user_id: int) -> list[PersonSummary]:
    """Everyone this account cares for, newest first, with names opened for the dashboard."""
    rows = db.session.execute(
        db.select(Person, Membership.role)
        .join(Membership)
        .where(Membership.user_id == user_id, Person.wrapped_key.is_not(None))
        .order_by(Person.updated_at.desc())
    ).all()
    latest = dict(
        db.session.execute(
            db.select(Revision.person_id, db.func.max(Revision.number))
            .join(Membership, Membership.person_id == Revision.person_id)
            .where(Membership.user_id == user_id)
            .group_by(Revision.person_id)
        ).all()
    )
    wrapper = key_wrapper()
    return [
        _summarise(person, latest.get(person.id), role) for person, role in rows if not wrapper.is_forgotten(person.id)
    ]


def _summarise(person: Person, latest_version: int | None, role: str = "owner") -> PersonSummary:
    try:
        summary, readable = load_summary(person), True
    except RecordUnreadable:
        summary, readable = {}, False
    return PersonSummary(
        id=person.id,
        status=person.status,
        name=summary.get("name", ""),
        preferred_name=summary.get("preferred_name", ""),
        updated_at=person.updated_at,
        next_review_on=person.next_review_on,
        latest_version=latest_version,
        readable=readable,
        role=role,
    )


@dataclass(frozen=True)
class ResidentSummary:
    """What the residents dashboard needs about one resident, opened in memory. `photos` holds each photo's
    kind and date taken only (for its freshness); `readable` is False when their record would not open."""

    id: str
    status: str
    name: str
    preferred_name: str
    unit: str
    updated_at: datetime
    next_review_on: datetime | None
    latest_version: int | None
    admitted_at: datetime
    photos: tuple[dict[str, Any], ...] = ()
    readable: bool = True


def residents_of(organisation_id: str) -> list[ResidentSummary]:
    """Everyone an organisation looks after, names and photo dates opened in memory.

    Three queries whatever the number of residents (the people's columns, their latest version numbers, their
    photos' sealed details), then one key unwrap and a few AES-GCM opens per resident: no query per resident.
    Only the columns needed are read (whole Person rows cost a sixth of the time at 500 residents).
    """
    rows = db.session.execute(
        db.select(
            Person.id,
            Person.status,
            Person.kek_id,
            Person.wrapped_key,
            Person.summary_sealed,
            Person.updated_at,
            Person.next_review_on,
            Residency.admitted_at,
        )
        .join(Residency, Residency.person_id == Person.id)
        .where(Residency.organisation_id == organisation_id, Person.wrapped_key.is_not(None))
    ).all()
    latest = dict(
        db.session.execute(
            db.select(Revision.person_id, db.func.max(Revision.number))
            .join(Residency, Residency.person_id == Revision.person_id)
            .where(Residency.organisation_id == organisation_id)
            .group_by(Revision.person_id)
        ).all()
    )
    sealed_photos: dict[str, list[tuple[str, bytes]]] = {}
    for person_id, photo_id, sealed in db.session.execute(
        db.select(Photo.person_id, Photo.id, Photo.details_sealed)
        .join(Residency, Residency.person_id == Photo.person_id)
        .where(Residency.organisation_id == organisation_id)
    ).all():
        sealed_photos.setdefault(person_id, []).append((photo_id, sealed))
    wrapper = key_wrapper()
    residents = []
    for row in rows:
        if wrapper.is_forgotten(row.id):
            continue  # erased: not listed at all
        try:
            opener = crypto.Opener(_unwrap_once(row.id, row.kek_id, row.wrapped_key, wrapper))
            summary = {}
            if row.summary_sealed is not None:
                summary = _open_json_with(opener, row.id, "people", row.id, "summary", row.summary_sealed)
            photos = tuple(
                _photo_dates(_open_json_with(opener, row.id, "photos", photo_id, "details", sealed))
                for photo_id, sealed in sealed_photos.get(row.id, [])
            )
            readable = True
        except RecordUnreadable:
            summary, photos, readable = {}, (), False
        residents.append(
            ResidentSummary(
                id=row.id,
                status=row.status,
                name=summary.get("name", ""),
                preferred_name=summary.get("preferred_name", ""),
                unit=summary.get("unit", ""),
                updated_at=row.updated_at,
                next_review_on=row.next_review_on,
                latest_version=latest.get(row.id),
                admitted_at=row.admitted_at,
                photos=photos,
                readable=readable,
            )
        )
    return residents


def _photo_dates(details: dict[str, Any]) -> dict[str, Any]:
    """Only what a photo's freshness needs: its kind and when it was taken (never its caption)."""
    return {"kind": details.get("kind"), "taken_on": details.get("taken_on")}


def names_of(person_ids: Iterable[str]) -> dict[str, str]:
    """Names for a list of people (e.g. an audit view), opened in memory in one query; "" when unreadable."""
    ids = list(set(person_ids))
    if not ids:
        return {}
    names = {}
    for person in db.session.execute(
        db.select(Person).where(Person.id.in_(ids), Person.wrapped_key.is_not(None))
    ).scalars():
        try:
            names[person.id] = load_summary(person).get("name", "")
        except RecordUnreadable:
            names[person.id] = ""
    return names


def load_summary(person: Person) -> dict[str, str]:
    if person.summary_sealed is None:
        data_key(person)  # an erased or unreadable person fails here too, not just when they have a summary
        return {}
    return _open_json(person, "people", person.id, "summary", person.summary_sealed)


def save_summary(person: Person, summary: dict[str, str]) -> None:
    """The few facts the dashboards list (name, preferred name, a resident's unit), sealed like everything else."""
    person.summary_sealed = _seal_json(person, "people", person.id, "summary", summary)
    person.updated_at = utcnow()
    db.session.commit()


def update_summary(person: Person, **values: str) -> None:
    """Change some of the summary's facts and keep the others (a name change keeps the resident's unit)."""
    save_summary(person, load_summary(person) | values)


# --- the working draft ----------------------------------------------------------------------------


def load_draft(person: Person) -> dict[str, dict[str, Any]]:
    """Every saved section of the draft: {section slug: answers}."""
    rows = db.session.execute(db.select(DraftSection).filter_by(person_id=person.id)).scalars()
    return {
        row.section: _open_json(person, "draft_sections", person.id, row.section, row.answers_sealed) for row in rows
    }


def load_section(person: Person, section: str) -> dict[str, Any]:
    row = db.session.execute(
        db.select(DraftSection).filter_by(person_id=person.id, section=section)
    ).scalar_one_or_none()
    if row is None:
        return {}
    return _open_json(person, "draft_sections", person.id, section, row.answers_sealed)


def load_section_revision(person: Person, section: str) -> tuple[dict[str, Any], int]:
    """One section's answers and its revision (0 when never saved): what a save is based on."""
    row = db.session.execute(
        db.select(DraftSection).filter_by(person_id=person.id, section=section)
    ).scalar_one_or_none()
    if row is None:
        return {}, 0
    return _open_json(person, "draft_sections", person.id, section, row.answers_sealed), row.revision


def save_section(person: Person, section: str, answers: dict[str, Any], based_on: int | None = None) -> int:
    """Seal and store one section of the draft, replacing what was there (committed before returning).

    With `based_on` (the revision the carer's page was built from) the write is a compare-and-swap: if
    another save got there first, nothing is written and SectionChanged is raised, so two carers never
    silently overwrite each other. Without it (imports, whole-draft jobs) the save always lands.
    Returns the section's new revision.
    """
    sealed = _seal_json(person, "draft_sections", person.id, section, answers)
    where = (DraftSection.person_id == person.id, DraftSection.section == section)

    def attempt() -> int:
        now = utcnow()
        if based_on == 0:  # the carer saw no saved answers: only an insert may land
            db.session.add(DraftSection(person_id=person.id, section=section, answers_sealed=sealed, revision=1))
            person.updated_at = now
            try:
                db.session.commit()
            except IntegrityError:
                db.session.rollback()
                raise SectionChanged(section, 0, -1) from None
            return 1
        condition = where if based_on is None else (*where, DraftSection.revision == based_on)
        # One UPDATE that compares and bumps the revision itself: no read-then-write window to lose.
        result = db.session.execute(
            db.update(DraftSection)
            .where(*condition)
            .values(answers_sealed=sealed, revision=DraftSection.revision + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            db.session.rollback()
            if based_on is not None:
                raise SectionChanged(section, based_on, -1)
            db.session.add(DraftSection(person_id=person.id, section=section, answers_sealed=sealed, revision=1))
        person.updated_at = now
        db.session.flush()
        revision = db.session.execute(db.select(DraftSection.revision).where(*where)).scalar_one()
        db.session.commit()
        return revision

    return _retrying(attempt, "save the section")


def replace_draft(person: Person, document: dict[str, dict[str, Any]]) -> None:
    """Make the draft equal to a whole document (e.g. starting a new draft from a published version)."""
    sealed = {
        section: _seal_json(person, "draft_sections", person.id, section, answers)
        for section, answers in document.items()
    }

    def attempt() -> None:
        # Revisions only ever go up, so a page opened before this replacement is still seen as stale.
        revisions = dict(
            db.session.execute(
                db.select(DraftSection.section, DraftSection.revision).filter_by(person_id=person.id)
            ).all()
        )
        db.session.execute(db.delete(DraftSection).filter_by(person_id=person.id))
        for section, value in sealed.items():
            db.session.add(
                DraftSection(
                    person_id=person.id, section=section, answers_sealed=value, revision=revisions.get(section, 0) + 1
                )
            )
        person.updated_at = utcnow()
        db.session.commit()

    _retrying(attempt, "replace the draft")


# --- published versions ---------------------------------------------------------------------------


def publish(person: Person, user_id: int, document: dict[str, Any], next_review_on: datetime | None) -> int:
    """Store an immutable version of the whole form; returns its number (1, 2, ...)."""

    def attempt() -> int:
        number = (
            db.session.execute(db.select(db.func.max(Revision.number)).filter_by(person_id=person.id)).scalar() or 0
        ) + 1
        sealed = _seal_json(person, "revisions", person.id, f"v{number}", document)
        db.session.add(Revision(person_id=person.id, number=number, document_sealed=sealed, published_by=user_id))
        person.status = "published" if person.status == "draft" else person.status
        person.next_review_on = next_review_on
        person.updated_at = utcnow()
        db.session.commit()
        return number

    return _retrying(attempt, "publish")


def list_revisions(person: Person) -> list[dict[str, Any]]:
    rows = db.session.execute(
        db.select(Revision).filter_by(person_id=person.id).order_by(Revision.number.desc())
    ).scalars()
    return [{"number": r.number, "published_at": r.published_at, "published_by": r.published_by} for r in rows]


def load_revision(person: Person, number: int) -> dict[str, Any]:
    row = db.session.execute(db.select(Revision).filter_by(person_id=person.id, number=number)).scalar_one_or_none()
    if row is None:
        raise RecordNotFound("no such record")
    return _open_json(person, "revisions", person.id, f"v{number}", row.document_sealed)


# --- sealed values for other tables (missing reports, shares) -------------------------------------


def seal_for(person: Person, table: str, record_id: str | int, part: str, value: Any) -> bytes:
    """Seal a JSON value with the person's key, bound to (table, record_id, part)."""
    return _seal_json(person, table, record_id, part, value)


def open_for(person: Person, table: str, record_id: str | int, part: str, sealed: bytes) -> Any:
    return _open_json(person, table, record_id, part, sealed)


def seal_bytes_for(person: Person, table: str, record_id: str | int, part: str, data: bytes) -> bytes:
    """Seal raw bytes (a kept PDF) with the person's key, bound to (table, record_id, part): no JSON, no base64."""
    return crypto.seal(data_key(person), data, crypto.associated_data(table, record_id, part))


def open_bytes_for(person: Person, table: str, record_id: str | int, part: str, sealed: bytes) -> bytes:
    try:
        return crypto.open_sealed(data_key(person), sealed, crypto.associated_data(table, record_id, part))
    except crypto.DecryptionError:
        log.error("sealed %s %s of person %s (%s) failed to open", table, record_id, person.id, part)
        raise RecordUnreadable(f"{table} {record_id} cannot be opened") from None


# --- geocoded points (the search aid) -------------------------------------------------------------


def load_points(person: Person) -> dict[str, Any]:
    """The person's geocoded postcodes, {postcode: [lat, lon] or None}; {} when none were stored."""
    row = db.session.get(GeocodedPoints, person.id)
    if row is None:
        return {}
    return _open_json(person, "geocoded_points", person.id, "points", row.points_sealed) or {}


def save_points(person: Person, points: dict[str, Any]) -> None:
    """Replace the person's geocoded postcodes (sealed like every answer), and commit."""
    row = db.session.get(GeocodedPoints, person.id)
    sealed = _seal_json(person, "geocoded_points", person.id, "points", points)
    if row is None:
        db.session.add(GeocodedPoints(person_id=person.id, points_sealed=sealed))
    else:
        row.points_sealed = sealed
        row.updated_at = utcnow()
    db.session.commit()


# --- photos ---------------------------------------------------------------------------------------


def _photo_key(photo_id: str) -> str:
    """A photo's blob key is its random 128-bit id: it names no one, and is not the person's id."""
    if not PHOTO_ID.match(photo_id):
        raise ValueError("not a photo id")  # ids are ours (random hex): anything else never names a blob
    return photo_id


def _photo_aad(person: Person, photo_id: str) -> bytes:
    return crypto.associated_data("photo_blobs", photo_id, person.id)


def _delete_blobs(photo_ids: Iterable[str]) -> None:
    """Delete blobs whose rows are already gone. A store that fails here (object storage unreachable) leaves
    orphans for the sweep rather than failing a deletion that has already happened in the database."""
    store = blob_store()
    for photo_id in photo_ids:
        try:
            store.delete(_photo_key(photo_id))
        except Exception as error:  # noqa: BLE001 - any storage failure: the sweep finishes the job
            log.warning("photo blob %s could not be deleted now (%s); the sweep will remove it", photo_id,
                        type(error).__name__)  # fmt: skip


def probe_blob_store() -> None:
    """Write, read back and delete one sealed probe blob under a random key (`flask blobs check`): proves the
    configured store is reachable, writable and read-after-write consistent. Raises RuntimeError if not."""
    key = f"probe-{secrets.token_hex(16)}"
    sealed = crypto.seal(crypto.new_data_key(), secrets.token_bytes(32), crypto.associated_data("probe", key))
    store = blob_store()
    store.put(key, sealed)
    try:
        if store.get(key) != sealed or not store.exists(key):
            raise RuntimeError(f"{store.describe()} did not give back what was written")
    finally:
        store.delete(key)
    if store.exists(key):
        raise RuntimeError(f"{store.describe()} kept a blob after it was deleted")


def forget_kept_version_pdfs(person: Person) -> None:
    """Drop every kept version PDF of the person (the caller commits). A version's PDF also shows the current
    photos and the open missing-now report, so when one of those changes the kept copy goes at once, rather than
    at the next download: a deleted photo or a closed report must not live on inside a sealed PDF."""
    db.session.execute(
        db.update(Revision)
        .where(Revision.person_id == person.id, Revision.pdf_sealed.is_not(None))
        .values(pdf_sealed=None)
    )


def add_photo(person: Person, jpeg: bytes, details: dict[str, Any]) -> str:
    """Store an already-cleaned JPEG (see herbert.photos) sealed in the blob store, details in the row.

    The blob is written before the row is committed: a crash in between leaves a blob without a row,
    which the start-up sweep removes; it never leaves a row whose photo is missing.
    """
    photo_id = secrets.token_hex(16)
    blob_store().put(_photo_key(photo_id), crypto.seal(data_key(person), jpeg, _photo_aad(person, photo_id)))
    try:
        has_primary = (
            db.session.execute(db.select(Photo.id).filter_by(person_id=person.id, is_primary=True)).first() is not None
        )
        photo = Photo(
            id=photo_id,
            person_id=person.id,
            details_sealed=_seal_json(person, "photos", photo_id, "details", details),
            is_primary=not has_primary,
            byte_size=len(jpeg),
        )
        db.session.add(photo)
        person.updated_at = utcnow()
        forget_kept_version_pdfs(person)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        _delete_blobs([photo_id])
        raise
    return photo_id


def list_photos(person: Person) -> list[dict[str, Any]]:
    """Every photo's details: {id, is_primary, created_at, **details} — primary first, then newest."""
    rows = db.session.execute(
        db.select(Photo).filter_by(person_id=person.id).order_by(Photo.is_primary.desc(), Photo.created_at.desc())
    ).scalars()
    return [
        {"id": row.id, "is_primary": row.is_primary, "created_at": row.created_at}
        | _open_json(person, "photos", row.id, "details", row.details_sealed)
        for row in rows
    ]


def _photo_row(person: Person, photo_id: str) -> Photo:
    row = db.session.execute(db.select(Photo).filter_by(id=photo_id, person_id=person.id)).scalar_one_or_none()
    if row is None:
        raise RecordNotFound("no such record")
    return row


def open_photo(person: Person, photo_id: str) -> bytes:
    """The photo's JPEG bytes, decrypted in memory only."""
    _photo_row(person, photo_id)
    key = data_key(person)
    try:
        sealed = blob_store().get(_photo_key(photo_id))
    except BlobMissing:
        log.error("photo %s of person %s is missing from the blob store", photo_id, person.id)
        raise RecordUnreadable(f"photo {photo_id} is missing from the blob store") from None
    try:
        return crypto.open_sealed(key, sealed, _photo_aad(person, photo_id))
    except crypto.DecryptionError:
        log.error("photo %s of person %s failed to open", photo_id, person.id)
        raise RecordUnreadable(f"photo {photo_id} cannot be opened") from None


def update_photo_details(person: Person, photo_id: str, details: dict[str, Any]) -> None:
    row = _photo_row(person, photo_id)
    row.details_sealed = _seal_json(person, "photos", photo_id, "details", details)
    person.updated_at = utcnow()
    forget_kept_version_pdfs(person)
    db.session.commit()


def set_primary_photo(person: Person, photo_id: str) -> None:
    _photo_row(person, photo_id)
    db.session.execute(db.update(Photo).filter_by(person_id=person.id).values(is_primary=Photo.id == photo_id))
    forget_kept_version_pdfs(person)
    db.session.commit()


def delete_photo(person: Person, photo_id: str) -> None:
    """Delete the row first, then the blob: a crash in between leaves an orphan blob for the sweep."""
    row = _photo_row(person, photo_id)
    was_primary = row.is_primary
    db.session.delete(row)
    if was_primary:
        newest = (
            db.session.execute(
                db.select(Photo)
                .filter(Photo.person_id == person.id, Photo.id != photo_id)
                .order_by(Photo.created_at.desc())
            )
            .scalars()
            .first()
        )
        if newest is not None:
            newest.is_primary = True
    person.updated_at = utcnow()
    forget_kept_version_pdfs(person)
    db.session.commit()
    _delete_blobs([photo_id])


# --- deleting what is left of an erased person --------------------------------------------------------


def delete_erased_person(person_id: str) -> None:
    """Delete the rows and blobs of a person whose key is already gone (erasure, sweep, rotation and restore)."""
    photo_ids = list(db.session.execute(db.select(Photo.id).filter_by(person_id=person_id)).scalars())
    for model in (DraftSection, Revision, Photo, GeocodedPoints, Membership, Residency):
        db.session.execute(db.delete(model).filter_by(person_id=person_id))
    db.session.execute(db.delete(Person).filter_by(id=person_id))  # the rest goes by ON DELETE CASCADE
    db.session.commit()
    _delete_blobs(photo_ids)
    checkpoint_sqlite()
    forget_cached_keys(person_id)


def checkpoint_sqlite() -> None:
    """Fold SQLite's write-ahead log back into the database and truncate it (best effort: a long reader
    can hold it back; the next checkpoint then finishes it)."""
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.session.commit()


# --- account secrets (two-factor) ----------------------------------------------------------------


def _account_aad(user_id: int, part: str) -> bytes:
    return crypto.associated_data("users", user_id, part)


def seal_account_secret(user_id: int, part: str, secret: str) -> bytes:
    """Seal an account's secret under the keyring's active key, bound to ("users", user_id, part). The value
    is `<kek id>.<envelope>`, so it still opens after a key rotation (reseal_account_secrets moves it on)."""
    kek_id, envelope = load_keyring().wrap(secret.encode(), _account_aad(user_id, part))
    return kek_id.encode() + b"." + envelope


def open_account_secret(user_id: int, part: str, sealed: bytes) -> str:
    kek_id, _, envelope = bytes(sealed).partition(b".")
    try:
        if not envelope:
            raise crypto.DecryptionError("malformed")
        return load_keyring().unwrap(kek_id.decode(), envelope, _account_aad(user_id, part)).decode()
    except (crypto.DecryptionError, KeyError, ValueError):
        log.error("sealed %s secret of account %s failed to open", part, user_id)
        raise RecordUnreadable(f"account {user_id} {part} cannot be opened") from None


def reseal_account_secrets() -> int:
    """After a key rotation: re-seal every two-factor secret under the active key. Returns how many moved."""
    active = load_keyring().active_id
    moved = 0
    for user in db.session.execute(db.select(User).where(User.totp_secret_sealed.is_not(None))).scalars():
        if account_secret_key_id(user.totp_secret_sealed) != active:
            secret = open_account_secret(user.id, "totp", user.totp_secret_sealed)
            user.totp_secret_sealed = seal_account_secret(user.id, "totp", secret)
            moved += 1
    db.session.commit()
    return moved


def account_secret_key_id(sealed: bytes) -> str:
    """Which key-encryption key a sealed account secret is under."""
    return bytes(sealed).partition(b".")[0].decode()
