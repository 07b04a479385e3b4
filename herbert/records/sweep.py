"""The start-up sweep: clear up what a crash can leave behind, so the instance stays tidy.

Blobs are reached through the configured store (herbert.records.blobs: the folder or object storage):
- `*.tmp` files in the blob folder (a photo write killed before its rename; object storage has none: a
  PutObject is whole or absent);
- blobs with no photos row (killed between writing the blob and committing the row, or between
  deleting the row and the blob);
- people whose erasure was cut short, or who came back with an older database copy although the
  keyring records them as erased: their remaining rows and blobs are deleted.

Files younger than BLOB_SWEEP_GRACE_SECONDS are left alone: another worker may be writing them right
now (its row not yet committed). Only counts are logged, never names or contents.

With object storage the bucket can hold a great many photos and every app process on every host starts
with a sweep, so at start-up only the erasures are finished; the blob pass is `flask --app herbert sweep`,
run from cron or the job runner (docs/operations/deploy.md).
"""

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from herbert.extensions import db
from herbert.models import Person, Photo
from herbert.records.blobs import PHOTO_KEY, FolderBlobStore, blob_store
from herbert.records.keys import keyring_from_environment, keyring_path, load_keyring
from herbert.records.store import delete_erased_person

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
            grace = float(app.config.get("BLOB_SWEEP_GRACE_SECONDS", DEFAULT_GRACE_SECONDS))
            result = sweep(app, grace_seconds=grace, blobs=isinstance(blob_store(app), FolderBlobStore))
            db.session.remove()
            db.engine.dispose()  # no pooled connection made at start-up may cross a fork (gunicorn --preload)
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


def sweep(app: Flask, grace_seconds: float, blobs: bool = True) -> SweepResult:
    """The sweep itself (inside an app context). Also `flask --app herbert sweep`. `blobs=False` skips the
    pass over the blob store (erasures are still finished)."""
    result = SweepResult()
    store = blob_store(app)
    cutoff = time.time() - grace_seconds
    if blobs:
        result.temp_files = store.remove_unfinished(modified_before=cutoff)
    if not database_exists(app):
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
    if blobs:
        for key in list(store.list_keys(modified_before=cutoff)):
            if PHOTO_KEY.match(key) and key not in photo_ids:
                store.delete(key)
                result.orphan_blobs += 1
    return result


def _finish_erasures() -> int:
    erased = sorted(load_keyring().erased)
    found = set(db.session.execute(db.select(Person.id).where(Person.wrapped_key.is_(None))).scalars())
    for start in range(0, len(erased), 500):  # the erasure list can be long: ask in chunks
        chunk = erased[start : start + 500]
        found |= set(db.session.execute(db.select(Person.id).where(Person.id.in_(chunk))).scalars())
    for person_id in sorted(found):
        delete_erased_person(person_id)
    return len(found)


def database_exists(app: Flask) -> bool:
    """For SQLite, do not create an empty database file just by looking."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        return True
    return bool(url.database) and url.database != ":memory:" and Path(url.database).exists()


def _keyring_exists(app: Flask) -> bool:
    """Only consult the keyring if there is one (looking must not create one in development)."""
    return keyring_from_environment(app) or keyring_path(app).exists()
