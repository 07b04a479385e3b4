"""The start-up sweep: clear up what a crash can leave behind, so the instance stays tidy.

- `*.tmp` files in the blob folder (a photo write killed before its rename);
- blobs with no photos row (killed between writing the blob and committing the row, or between
  deleting the row and the blob);
- people whose erasure was cut short, or who came back with an older database copy although the
  keyring records them as erased: their remaining rows and blobs are deleted.

Files younger than BLOB_SWEEP_GRACE_SECONDS are left alone: another worker may be writing them right
now (its row not yet committed). Only counts are logged, never names or contents.
"""

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from herbert.extensions import db
from herbert.keystore import keyring_from_environment, keyring_path, load_keyring
from herbert.models import Person, Photo

log = logging.getLogger(__name__)

DEFAULT_GRACE_SECONDS = 600


@dataclass
class SweepResult:
    temp_files: int = 0
    orphan_blobs: int = 0
    erasures_finished: int = 0
    skipped: str = ""


def sweep_at_start_up(app: Flask) -> SweepResult:
    """Called by create_app after the database is set up; never stops the app from starting."""
    try:
        with app.app_context():
            result = sweep(app, grace_seconds=float(app.config.get("BLOB_SWEEP_GRACE_SECONDS", DEFAULT_GRACE_SECONDS)))
    except Exception as error:  # the sweep is housekeeping: report it and carry on starting
        log.warning("start-up sweep failed (%s); it will run again at the next start", type(error).__name__)
        return SweepResult(skipped=type(error).__name__)
    if result.temp_files or result.orphan_blobs or result.erasures_finished:
        log.info(
            "start-up sweep: removed %d temporary files and %d orphan blobs, finished %d erasures",
            result.temp_files,
            result.orphan_blobs,
            result.erasures_finished,
        )
    return result


def sweep(app: Flask, grace_seconds: float) -> SweepResult:
    """The sweep itself (inside an app context). Also `flask --app herbert sweep`."""
    result = SweepResult()
    blobs = Path(app.config["BLOB_PATH"])
    cutoff = time.time() - grace_seconds
    if blobs.is_dir():
        for path in blobs.glob("*.tmp"):
            if _older_than(path, cutoff):
                path.unlink(missing_ok=True)
                result.temp_files += 1
    if not _database_exists(app):
        result.skipped = "no database yet"
        return result
    try:
        if _keyring_exists(app):
            result.erasures_finished = _finish_erasures()
        photo_ids = set(db.session.execute(db.select(Photo.id)).scalars())
    except SQLAlchemyError:  # tables not created yet (before `flask init` / migrations)
        db.session.rollback()
        result.skipped = "no tables yet"
        return result
    if blobs.is_dir():
        for path in blobs.glob("*.bin"):
            if path.stem not in photo_ids and _older_than(path, cutoff):
                path.unlink(missing_ok=True)
                result.orphan_blobs += 1
    return result


def _finish_erasures() -> int:
    from herbert.records.store import delete_erased_person

    erased = sorted(load_keyring().erased)
    found = set(db.session.execute(db.select(Person.id).where(Person.wrapped_key.is_(None))).scalars())
    for start in range(0, len(erased), 500):  # the erasure list can be long: ask in chunks
        chunk = erased[start : start + 500]
        found |= set(db.session.execute(db.select(Person.id).where(Person.id.in_(chunk))).scalars())
    for person_id in sorted(found):
        delete_erased_person(person_id)
    return len(found)


def _older_than(path: Path, cutoff: float) -> bool:
    try:
        return path.stat().st_mtime <= cutoff
    except FileNotFoundError:
        return False


def _database_exists(app: Flask) -> bool:
    """For SQLite, do not create an empty database file just by looking."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        return True
    return bool(url.database) and url.database != ":memory:" and Path(url.database).exists()


def _keyring_exists(app: Flask) -> bool:
    """Only consult the keyring if there is one (looking must not create one in development)."""
    return keyring_from_environment(app) or keyring_path(app).exists()
