"""The record store: the only module that turns people's data into ciphertext and back.

Views, templates, the PDF and the export get plain dicts from here and never see sealed bytes.
Each person has their own AES-256 data key, wrapped by the keyring (herbert.keystore). Every sealed
value is bound by associated data to its table, row and part, so moving ciphertext between rows,
sections or people makes it fail to open. Destroying the wrapped key (erase_person) makes everything
of that person unreadable everywhere, backups included.
"""

import json
import logging
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import abort, current_app
from sqlalchemy.exc import IntegrityError

from herbert import crypto
from herbert.clock import utcnow
from herbert.extensions import db
from herbert.keystore import load_keyring
from herbert.models import DraftSection, Membership, Person, Photo, Revision

log = logging.getLogger(__name__)


class RecordUnreadable(Exception):
    """A sealed value failed to open (tampered, moved, or its key is gone). Holds no plaintext."""


@dataclass(frozen=True)
class PersonSummary:
    """What the dashboard shows for one person."""

    id: str
    status: str
    name: str
    preferred_name: str
    updated_at: datetime
    next_review_on: datetime | None
    latest_version: int | None


# --- keys -----------------------------------------------------------------------------------------


def _key_aad(person_id: str) -> bytes:
    return crypto.associated_data("people", person_id, "data-key")


def data_key(person: Person) -> bytes:
    """Unwrap a person's data key; fails closed if it was shredded or cannot be opened."""
    if person.wrapped_key is None or person.kek_id is None:
        raise RecordUnreadable(f"person {person.id} has been erased")
    try:
        return load_keyring().unwrap(person.kek_id, person.wrapped_key, _key_aad(person.id))
    except crypto.DecryptionError:
        log.error("data key of person %s failed to unwrap", person.id)
        raise RecordUnreadable(f"data key of person {person.id} cannot be opened") from None


def rewrap_key(person: Person) -> bool:
    """Re-wrap one person's data key under the active keyring key. True if it changed anything."""
    keyring = load_keyring()
    if person.wrapped_key is None or person.kek_id == keyring.active_id:
        return False
    key = data_key(person)
    person.kek_id, person.wrapped_key = keyring.wrap(key, _key_aad(person.id))
    return True


def _seal_json(person: Person, table: str, record_id: str | int, part: str, value: Any) -> bytes:
    plaintext = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    return crypto.seal(data_key(person), plaintext, crypto.associated_data(table, record_id, part))


def _open_json(person: Person, table: str, record_id: str | int, part: str, sealed: bytes) -> Any:
    try:
        plaintext = crypto.open_sealed(data_key(person), sealed, crypto.associated_data(table, record_id, part))
    except crypto.DecryptionError:
        log.error("sealed %s of person %s (%s) failed to open", table, person.id, part)
        raise RecordUnreadable(f"{table} {record_id} cannot be opened") from None
    return json.loads(plaintext)


# --- people and access ----------------------------------------------------------------------------


def create_person(user_id: int) -> str:
    """A new, empty person cared for by this account, with a fresh data key."""
    person_id = secrets.token_hex(16)
    kek_id, wrapped = load_keyring().wrap(crypto.new_data_key(), _key_aad(person_id))
    person = Person(id=person_id, kek_id=kek_id, wrapped_key=wrapped)
    db.session.add(person)
    db.session.add(Membership(user_id=user_id, person_id=person_id, role="owner"))
    db.session.commit()
    return person_id


def person_for(user_id: int, person_id: str) -> Person:
    """The person if this account cares for them; otherwise 404, the same as a person that never existed."""
    person = db.session.execute(
        db.select(Person)
        .join(Membership)
        .where(Membership.user_id == user_id, Person.id == person_id, Person.wrapped_key.is_not(None))
    ).scalar_one_or_none()
    if person is None:
        abort(404)
    return person


def people_for(user_id: int) -> list[PersonSummary]:
    """Everyone this account cares for, newest first, with names opened for the dashboard."""
    rows = db.session.execute(
        db.select(Person)
        .join(Membership)
        .where(Membership.user_id == user_id, Person.wrapped_key.is_not(None))
        .order_by(Person.updated_at.desc())
    ).scalars()
    latest = dict(
        db.session.execute(
            db.select(Revision.person_id, db.func.max(Revision.number))
            .join(Membership, Membership.person_id == Revision.person_id)
            .where(Membership.user_id == user_id)
            .group_by(Revision.person_id)
        ).all()
    )
    return [_summarise(person, latest.get(person.id)) for person in rows]


def _summarise(person: Person, latest_version: int | None) -> PersonSummary:
    summary = load_summary(person)
    return PersonSummary(
        id=person.id,
        status=person.status,
        name=summary.get("name", ""),
        preferred_name=summary.get("preferred_name", ""),
        updated_at=person.updated_at,
        next_review_on=person.next_review_on,
        latest_version=latest_version,
    )


def load_summary(person: Person) -> dict[str, str]:
    if person.summary_sealed is None:
        return {}
    return _open_json(person, "people", person.id, "summary", person.summary_sealed)


def save_summary(person: Person, summary: dict[str, str]) -> None:
    """The few facts the dashboard lists (name, preferred name), sealed like everything else."""
    person.summary_sealed = _seal_json(person, "people", person.id, "summary", summary)
    person.updated_at = utcnow()
    db.session.commit()


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


def save_section(person: Person, section: str, answers: dict[str, Any]) -> None:
    """Seal and store one section of the draft, replacing what was there (committed before returning)."""
    sealed = _seal_json(person, "draft_sections", person.id, section, answers)
    for _attempt in range(3):
        row = db.session.execute(
            db.select(DraftSection).filter_by(person_id=person.id, section=section)
        ).scalar_one_or_none()
        if row is None:
            db.session.add(DraftSection(person_id=person.id, section=section, answers_sealed=sealed))
        else:
            row.answers_sealed = sealed
            row.updated_at = utcnow()
        person.updated_at = utcnow()
        try:
            db.session.commit()
            return
        except IntegrityError:  # another process created the row first: update it instead
            db.session.rollback()
    raise RuntimeError("could not save the section after three attempts")


def replace_draft(person: Person, document: dict[str, dict[str, Any]]) -> None:
    """Make the draft equal to a whole document (e.g. starting a new draft from a published version)."""
    db.session.execute(db.delete(DraftSection).filter_by(person_id=person.id))
    for section, answers in document.items():
        sealed = _seal_json(person, "draft_sections", person.id, section, answers)
        db.session.add(DraftSection(person_id=person.id, section=section, answers_sealed=sealed))
    person.updated_at = utcnow()
    db.session.commit()


# --- published versions ---------------------------------------------------------------------------


def publish(person: Person, user_id: int, document: dict[str, Any], next_review_on: datetime | None) -> int:
    """Store an immutable version of the whole form; returns its number (1, 2, ...)."""
    for _attempt in range(3):
        number = (
            db.session.execute(db.select(db.func.max(Revision.number)).filter_by(person_id=person.id)).scalar() or 0
        ) + 1
        sealed = _seal_json(person, "revisions", person.id, f"v{number}", document)
        db.session.add(Revision(person_id=person.id, number=number, document_sealed=sealed, published_by=user_id))
        person.status = "published" if person.status == "draft" else person.status
        person.next_review_on = next_review_on
        person.updated_at = utcnow()
        try:
            db.session.commit()
            return number
        except IntegrityError:
            db.session.rollback()
    raise RuntimeError("could not publish after three attempts")


def list_revisions(person: Person) -> list[dict[str, Any]]:
    rows = db.session.execute(
        db.select(Revision).filter_by(person_id=person.id).order_by(Revision.number.desc())
    ).scalars()
    return [{"number": r.number, "published_at": r.published_at, "published_by": r.published_by} for r in rows]


def load_revision(person: Person, number: int) -> dict[str, Any]:
    row = db.session.execute(db.select(Revision).filter_by(person_id=person.id, number=number)).scalar_one_or_none()
    if row is None:
        abort(404)
    return _open_json(person, "revisions", person.id, f"v{number}", row.document_sealed)


# --- sealed values for other tables (missing reports, shares) -------------------------------------


def seal_for(person: Person, table: str, record_id: str | int, part: str, value: Any) -> bytes:
    """Seal a JSON value with the person's key, bound to (table, record_id, part)."""
    return _seal_json(person, table, record_id, part, value)


def open_for(person: Person, table: str, record_id: str | int, part: str, sealed: bytes) -> Any:
    return _open_json(person, table, record_id, part, sealed)


# --- photos ---------------------------------------------------------------------------------------


def blob_dir() -> Path:
    path = Path(current_app.config["BLOB_PATH"])
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _blob_path(photo_id: str) -> Path:
    return blob_dir() / f"{photo_id}.bin"


def _write_blob(path: Path, data: bytes) -> None:
    """Write to a temp file, fsync, then rename: a crash leaves either the old state or a stray .tmp."""
    temp = path.with_name(path.name + f".{secrets.token_hex(4)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)


def add_photo(person: Person, jpeg: bytes, details: dict[str, Any]) -> str:
    """Store an already-cleaned JPEG (see herbert.photos) sealed in the blob folder, details in the row."""
    photo_id = secrets.token_hex(16)
    _write_blob(
        _blob_path(photo_id), crypto.seal(data_key(person), jpeg, crypto.associated_data("photos", photo_id, person.id))
    )
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
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        _blob_path(photo_id).unlink(missing_ok=True)
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
        abort(404)
    return row


def open_photo(person: Person, photo_id: str) -> bytes:
    """The photo's JPEG bytes, decrypted in memory only."""
    _photo_row(person, photo_id)
    try:
        sealed = _blob_path(photo_id).read_bytes()
    except FileNotFoundError:
        raise RecordUnreadable(f"photo {photo_id} is missing from the blob folder") from None
    try:
        return crypto.open_sealed(data_key(person), sealed, crypto.associated_data("photos", photo_id, person.id))
    except crypto.DecryptionError:
        log.error("photo %s of person %s failed to open", photo_id, person.id)
        raise RecordUnreadable(f"photo {photo_id} cannot be opened") from None


def update_photo_details(person: Person, photo_id: str, details: dict[str, Any]) -> None:
    row = _photo_row(person, photo_id)
    row.details_sealed = _seal_json(person, "photos", photo_id, "details", details)
    db.session.commit()


def set_primary_photo(person: Person, photo_id: str) -> None:
    _photo_row(person, photo_id)
    db.session.execute(db.update(Photo).filter_by(person_id=person.id).values(is_primary=Photo.id == photo_id))
    db.session.commit()


def delete_photo(person: Person, photo_id: str) -> None:
    row = _photo_row(person, photo_id)
    was_primary = row.is_primary
    db.session.delete(row)
    db.session.commit()
    _blob_path(photo_id).unlink(missing_ok=True)
    if was_primary:
        newest = (
            db.session.execute(db.select(Photo).filter_by(person_id=person.id).order_by(Photo.created_at.desc()))
            .scalars()
            .first()
        )
        if newest is not None:
            newest.is_primary = True
            db.session.commit()


# --- erasure --------------------------------------------------------------------------------------


def erase_person(person: Person) -> None:
    """Crypto-shred first (destroy the wrapped key and commit), then delete rows and blobs."""
    photo_ids = list(db.session.execute(db.select(Photo.id).filter_by(person_id=person.id)).scalars())
    person.wrapped_key = None
    person.kek_id = None
    person.summary_sealed = None
    person.status = "erased"
    db.session.commit()
    for photo_id in photo_ids:
        _blob_path(photo_id).unlink(missing_ok=True)
    db.session.delete(person)
    db.session.commit()


def erase_people_only_cared_for_by(user_id: int) -> int:
    """Before deleting an account: erase every person no other account cares for. Returns how many."""
    others = db.select(Membership.person_id).where(Membership.user_id != user_id)
    person_ids: Iterable[str] = db.session.execute(
        db.select(Membership.person_id).where(Membership.user_id == user_id, Membership.person_id.not_in(others))
    ).scalars()
    count = 0
    for person_id in list(person_ids):
        person = db.session.get(Person, person_id)
        if person is not None:
            erase_person(person)
            count += 1
    return count
