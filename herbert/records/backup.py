"""Online backup and restore of the database and the photo blobs (folder or object storage) — never the keyring.

A backup is a folder: `database.sqlite3` (SQLite's online backup API) or `database.pgdump`
(pg_dump, custom format, taken from an exported snapshot), `blobs/` (the sealed photos that snapshot
refers to), and `manifest.json` (counts, the key-encryption key ids needed, and a SHA-256 of every file),
written last so a folder without it is an unfinished backup. Everything personal in it is ciphertext.

Restore goes into an empty instance, refuses a keyring that lacks the backup's keys before touching
anything, drops people the keyring records as erased (so an older backup cannot bring them back), then
opens every record; if any fails to open, the restore is undone and the command fails.
"""

import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import subprocess  # nosec B404
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, make_url

from herbert.clock import utcnow
from herbert.extensions import db
from herbert.models import DraftSection, Person, Photo, Revision, User
from herbert.records.blobs import PHOTO_KEY, BlobMissing, BlobStore, blob_store
from herbert.records.durable_files import fsync_folder, replace_file
from herbert.records.keys import key_wrapper, keyring_from_environment, keyring_path, load_keyring
from herbert.records.store import delete_erased_person, forget_cached_keys
from herbert.records.verify import verify_person

FORMAT = "herbert-backup/1"
MANIFEST = "manifest.json"
COUNTED = {"users": User, "people": Person, "draft_sections": DraftSection, "revisions": Revision, "photos": Photo}
PG_DUMP = shutil.which("pg_dump") or "/usr/bin/pg_dump"
PG_RESTORE = shutil.which("pg_restore") or "/usr/bin/pg_restore"


class BackupError(Exception):
    """The backup or restore cannot go ahead; the message says why and what to do."""


@dataclass
class RestoreReport:
    counts: dict[str, int] = field(default_factory=dict)
    erased_dropped: int = 0
    verify: Counter = field(default_factory=Counter)


# --- backup ---------------------------------------------------------------------------------------


def create_backup(app: Flask, destination: Path) -> dict[str, Any]:
    """Write a consistent backup of the running instance into `destination` (new or empty folder)."""
    if destination.exists() and any(destination.iterdir()):
        raise BackupError(f"{destination} is not empty: back up into a new folder.")
    destination.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(destination, 0o700)
    blobs_out = destination / "blobs"
    blobs_out.mkdir(mode=0o700)
    source_blobs = blob_store(app)

    # Blobs are write-once (a new photo gets a new id), so copying them before and after the database
    # snapshot catches every blob the snapshot refers to, unless a photo is deleted in that window.
    copied = _copy_blobs(source_blobs, blobs_out, wanted=None)
    if db.engine.dialect.name == "sqlite":
        name, photo_ids, counts, kek_ids = _backup_sqlite(destination / "database.sqlite3")
    else:
        name, photo_ids, counts, kek_ids = _backup_postgres(destination / "database.pgdump")
    copied |= _copy_blobs(source_blobs, blobs_out, wanted=photo_ids - copied)
    for extra in copied - photo_ids:  # added after the snapshot, or orphans: not part of this backup
        (blobs_out / f"{extra}.bin").unlink()
    missing = sorted(photo_ids - copied)

    files = {name: _file_entry(destination / name)}
    for photo_id in sorted(photo_ids & copied):
        files[f"blobs/{photo_id}.bin"] = _file_entry(blobs_out / f"{photo_id}.bin")
    manifest = {
        "format": FORMAT,
        "created_at": utcnow().isoformat(timespec="seconds") + "Z",
        "database": db.engine.dialect.name,
        "counts": counts | {"blobs": len(photo_ids & copied)},
        "key_encryption_key_ids": sorted(kek_ids),
        "photos_deleted_during_backup": len(missing),
        "keyring_included": False,
        "files": files,
    }
    replace_file(destination / MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode())
    fsync_folder(blobs_out)
    return manifest


def _backup_sqlite(target: Path) -> tuple[str, set[str], dict[str, int], set[str]]:
    source_path = make_url(db.engine.url).database
    source = sqlite3.connect(source_path, timeout=30)
    copy = sqlite3.connect(target)
    try:
        os.chmod(target, 0o600)
        source.backup(copy)  # one step: a consistent snapshot even while the app writes
        copy.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
        copy.commit()
        photo_ids, counts, kek_ids = _inventory(copy.execute)
    finally:
        copy.close()
        source.close()
    return target.name, photo_ids, counts, kek_ids


def _backup_postgres(target: Path) -> tuple[str, set[str], dict[str, int], set[str]]:
    """pg_dump from an exported snapshot, so the dump and the photo list come from the same moment."""
    url = make_url(db.engine.url)
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
        conn.execute(text("SET TRANSACTION READ ONLY"))
        snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        photo_ids, counts, kek_ids = _inventory(lambda sql: conn.execute(text(sql)))
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # 0600 before pg_dump writes
        _run_pg(
            [
                PG_DUMP,
                "--format=custom",
                "--compress=0",  # personal data is ciphertext (incompressible); uncompressed, a dump is auditable
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={target}",
            ],
            url,
        )
    return target.name, photo_ids, counts, kek_ids


def _inventory(execute) -> tuple[set[str], dict[str, int], set[str]]:
    photo_ids = {row[0] for row in execute("SELECT id FROM photos")}
    counts = {table: execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in COUNTED}  # noqa: S608  # nosec B608
    kek_ids = {row[0] for row in execute("SELECT DISTINCT kek_id FROM people WHERE kek_id IS NOT NULL")}
    return photo_ids, counts, kek_ids


def _photo_keys(store: BlobStore) -> list[str]:
    """The photo blobs in a store (32-hex keys); other kinds of blob are their owners' business."""
    return [key for key in store.list_keys() if PHOTO_KEY.match(key)]


def _copy_blobs(source: BlobStore, target: Path, wanted: set[str] | None) -> set[str]:
    """Copy sealed photo blobs from the instance's store (folder or object storage) into the backup folder:
    a backup has the same layout whichever store it came from, so it restores into either."""
    copied = set()
    for photo_id in sorted(wanted) if wanted is not None else _photo_keys(source):
        try:
            data = source.get(photo_id)
        except BlobMissing:
            continue
        replace_file(target / f"{photo_id}.bin", data)
        copied.add(photo_id)
    return copied


# --- restore --------------------------------------------------------------------------------------


def read_manifest(source: Path) -> dict[str, Any]:
    path = source / MANIFEST
    if not path.exists():
        raise BackupError(f"{source} has no {MANIFEST}: it is not a backup, or the backup did not finish.")
    manifest = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source} is not a backup this version understands ({manifest.get('format')!r}).")
    for name, entry in manifest["files"].items():
        file = source / name
        if not file.is_file() or _sha256(file) != entry["sha256"]:
            raise BackupError(f"{name} in the backup is missing or damaged (its SHA-256 does not match).")
    return manifest


def check_keyring_fits(app: Flask, manifest: dict[str, Any]) -> None:
    """Refuse before restoring anything if the current keyring lacks a key the backup needs."""
    if not keyring_from_environment(app) and not keyring_path(app).exists():
        raise BackupError(
            f"No keyring: put the instance's keyring at {keyring_path(app)} (or set HERBERT_KEYRING) first. "
            "Backups never contain it."
        )
    have = set(load_keyring(app).keys)
    lacking = sorted(set(manifest["key_encryption_key_ids"]) - have)
    if lacking:
        raise BackupError(
            f"This keyring cannot open the backup: it lacks key-encryption key(s) {', '.join(lacking)}. "
            "Restore with the keyring that was in use when the backup was made (or a later one from the same "
            "instance that still holds those keys). Nothing was restored."
        )


def restore_backup(app: Flask, source: Path) -> RestoreReport:
    """Restore a backup into this (empty) instance, then prove every record opens; undo it if not."""
    manifest = read_manifest(source)
    kind = db.engine.dialect.name
    if manifest["database"] != kind:
        raise BackupError(f"The backup is of a {manifest['database']} database; this instance uses {kind}.")
    check_keyring_fits(app, manifest)
    _check_instance_is_empty(app)

    if kind == "sqlite":
        _restore_sqlite(source / "database.sqlite3")
    else:
        _restore_postgres(source / "database.pgdump")

    report = RestoreReport()
    try:
        wrapper = key_wrapper(app)
        for person_id in list(db.session.execute(db.select(Person.id)).scalars()):
            if wrapper.is_forgotten(person_id):
                delete_erased_person(person_id)
                report.erased_dropped += 1
        blobs = blob_store(app)
        for photo_id in list(db.session.execute(db.select(Photo.id)).scalars()):
            _copy_blob_into_place(source / "blobs" / f"{photo_id}.bin", blobs, photo_id)
        for person_id in list(db.session.execute(db.select(Person.id)).scalars()):
            report.verify += verify_person(person_id)
            forget_cached_keys()
        report.counts = {
            name: db.session.scalar(db.select(db.func.count()).select_from(m)) for name, m in COUNTED.items()
        }
    except Exception:
        _undo_restore(app)
        raise
    failed = sum(n for kind_, n in report.verify.items() if kind_.endswith("failed"))
    if failed:
        _undo_restore(app)
        raise BackupError(
            f"{failed} record(s) in the backup would not open with this keyring (wrong or damaged keys). "
            "The restore has been undone; this instance is empty again. Nothing half-restored was left behind."
        )
    return report


def _check_instance_is_empty(app: Flask) -> None:
    blobs = blob_store(app)
    if _photo_keys(blobs):
        raise BackupError(f"{blobs.describe()} already holds photos: restore only into a new, empty instance.")
    names = set(inspect(db.engine).get_table_names())
    for table in COUNTED:
        if table in names and db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar():  # noqa: S608  # nosec B608
            raise BackupError("This instance's database is not empty: restore only into a new, empty instance.")
    db.session.rollback()


def _restore_sqlite(backup_file: Path) -> None:
    target = Path(make_url(db.engine.url).database)
    db.session.remove()
    db.engine.dispose()
    temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.restore")
    source = sqlite3.connect(backup_file)
    copy = sqlite3.connect(temp)
    try:
        os.chmod(temp, 0o600)
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=WAL")
        copy.commit()
    finally:
        copy.close()
        source.close()
    for leftover in (target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
        leftover.unlink(missing_ok=True)
    os.replace(temp, target)
    fsync_folder(target.parent)


def _restore_postgres(dump: Path) -> None:
    db.session.remove()
    db.engine.dispose()
    url = make_url(db.engine.url)
    _run_pg(
        [PG_RESTORE, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
         "--exit-on-error", f"--dbname={url.database}", str(dump)],
        url,
    )  # fmt: skip


def _undo_restore(app: Flask) -> None:
    """Leave the instance as empty as it was: no half-working copy that cannot open its records."""
    db.session.rollback()
    blobs = blob_store(app)
    for photo_id in _photo_keys(blobs):  # the store held no photos before the restore (checked first)
        blobs.delete(photo_id)
    if db.engine.dialect.name == "sqlite":
        target = Path(make_url(db.engine.url).database)
        db.session.remove()
        db.engine.dispose()
        for path in (target, target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
            path.unlink(missing_ok=True)
    else:
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(text(f'DROP TABLE IF EXISTS "{table.name}" CASCADE'))
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def _copy_blob_into_place(source: Path, target: BlobStore, photo_id: str) -> None:
    if not source.exists():
        return  # deleted while the backup ran; `keys verify` reports the photo as failed
    target.put(photo_id, source.read_bytes())  # durable and atomic in either store


# --- helpers --------------------------------------------------------------------------------------


def _run_pg(command: list[str], url: URL) -> None:
    """Run pg_dump/pg_restore with the connection in libpq's environment (the password never on argv)."""
    env = os.environ.copy()
    for variable, value in (
        ("PGHOST", url.host),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
    ):
        if value is not None:
            env[variable] = str(value)
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603  # nosec B603
    if result.returncode != 0:
        tool = Path(command[0]).name
        raise BackupError(f"{tool} failed (exit {result.returncode}): {result.stderr.strip()[:500]}")


def _file_entry(path: Path) -> dict[str, Any]:
    return {"sha256": _sha256(path), "bytes": path.stat().st_size}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


