"""B12: after a person is erased, an older backup cannot bring their data back — not through `restore`,
not by copying the old database file into place, not by unwrapping the key from the old file by hand.
With photo blobs in the instance folder and on S3-compatible storage (s3rver)."""

import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from herbert import create_app
from herbert.crypto import DecryptionError
from herbert.extensions import db
from herbert.models import Person
from herbert.records import erasure, store
from herbert.records.keys import keyring_path, load_keyring
from tests.support.blob_backends import blob_environment, every_stored_object, stored_blobs
from tests.support.store import jpeg_with_exif, run_flask, subprocess_env

pytestmark = pytest.mark.blob_backends

SECRET = "Erase-me: 22 Acacia Avenue, insulin twice daily"


def make_person(ctx, name: str) -> str:
    person = store.person_for(ctx.user_id, store.create_person(ctx.user_id))
    store.save_summary(person, {"name": name})
    store.save_section(person, "health", {"medication": SECRET if name == "Erased" else "none"})
    store.publish(person, ctx.user_id, {"health": {}}, None)
    store.add_photo(person, jpeg_with_exif(name), {"caption": name})
    return person.id


def test_b12_restoring_an_older_backup_cannot_open_an_erased_person(ctx, tmp_path):
    erased_id, kept_id = make_person(ctx, "Erased"), make_person(ctx, "Kept")
    erased_wrapped_key = bytes(db.session.get(Person, erased_id).wrapped_key)
    runner = ctx.app.test_cli_runner()
    older = tmp_path / "before-erasure"
    assert runner.invoke(args=["backup", str(older)]).exit_code == 0

    erasure.erase_person(db.session.get(Person, erased_id))
    assert erased_id in load_keyring().erased

    # 1. The live database no longer holds the wrapped key anywhere (SQLite: file, -wal, -shm; secure_delete
    #    and a WAL checkpoint stop the bytes lingering in free pages or old WAL frames).
    if db.engine.dialect.name == "sqlite":
        database = Path(make_url(db.engine.url).database)
        for path in (database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")):
            if path.exists():
                assert erased_wrapped_key not in path.read_bytes(), path.name

    # 2. `restore` of the older backup (with the current keyring) leaves the erased person out.
    target = tmp_path / "restored"
    target.mkdir(mode=0o700)
    shutil.copy(keyring_path(ctx.app), target / "keyring.json")
    env = subprocess_env(ctx.app) | {"HERBERT_INSTANCE_PATH": str(target)} | blob_environment(ctx.app, fresh=True)
    if db.engine.dialect.name == "sqlite":
        env["HERBERT_DATABASE_URL"] = f"sqlite:///{target / 'herbert.db'}"
    else:
        env["HERBERT_DATABASE_URL"] = _fresh_postgres(ctx, "b12")
    result = run_flask(ctx.app, "restore", str(older), env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Left out 1 people erased after this backup was made" in result.stdout
    restored = _app_for(env)
    with restored.app_context():
        assert db.session.get(Person, erased_id) is None
        assert store.load_summary(store.person_for(ctx.user_id, kept_id)) == {"name": "Kept"}
        photos = stored_blobs(restored)
        assert len(photos) == 1 and len(every_stored_object(restored)) == 1  # only the kept person's photo is back
        db.session.remove()
        db.engine.dispose()

    # 3. The older backup's wrapped key, unwrapped by hand with the current keyring: refused.
    if db.engine.dialect.name == "sqlite":
        old_db = sqlite3.connect(older / "database.sqlite3")
        kek_id, wrapped = old_db.execute("SELECT kek_id, wrapped_key FROM people WHERE id = ?", (erased_id,)).fetchone()
        old_db.close()
        assert bytes(wrapped) == erased_wrapped_key
        with pytest.raises(DecryptionError):
            load_keyring().unwrap_data_key(kek_id, bytes(wrapped), erased_id)

        # 4. Copying the older database file into a fresh instance by hand (no restore command): the keyring
        #    refuses the person, and the start-up sweep deletes what came back.
        manual = tmp_path / "manual"
        manual.mkdir(mode=0o700)
        shutil.copy(keyring_path(ctx.app), manual / "keyring.json")
        shutil.copy(older / "database.sqlite3", manual / "herbert.db")
        shutil.copytree(older / "blobs", manual / "blobs")
        copied = _app_for(
            {"HERBERT_INSTANCE_PATH": str(manual), "HERBERT_DATABASE_URL": f"sqlite:///{manual / 'herbert.db'}"}
        )
        with copied.app_context():
            assert db.session.get(Person, erased_id) is None  # the start-up sweep removed them
            assert store.people_by_key()  # the kept person is still there
            db.session.remove()
            db.engine.dispose()
        leftover = sqlite3.connect(manual / "herbert.db")
        assert leftover.execute("SELECT count(*) FROM people WHERE id = ?", (erased_id,)).fetchone() == (0,)
        leftover.close()


def _app_for(env: dict[str, str]):
    saved = os.environ.copy()
    names = ("HERBERT_INSTANCE", "HERBERT_DATABASE", "HERBERT_S3", "AWS_")
    os.environ.update({name: value for name, value in env.items() if name.startswith(names)})
    try:
        return create_app({"TESTING": True, "BLOB_SWEEP_GRACE_SECONDS": 0})
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _fresh_postgres(ctx, suffix: str) -> str:
    from sqlalchemy import text

    url = db.engine.url
    name = f"{url.database}_{suffix}"
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return url.set(database=name).render_as_string(hide_password=False)


def test_an_erased_person_is_refused_even_if_their_rows_come_back(ctx):
    """The keyring's erasure list is checked before any unwrap: rows put back by any means stay unreadable."""
    person_id = make_person(ctx, "Erased")
    row = db.session.get(Person, person_id)
    saved = (row.kek_id, bytes(row.wrapped_key), bytes(row.summary_sealed))
    erasure.erase_person(row)
    db.session.add(Person(id=person_id, kek_id=saved[0], wrapped_key=saved[1], summary_sealed=saved[2]))
    db.session.commit()
    with pytest.raises(store.RecordUnreadable):
        store.load_summary(db.session.get(Person, person_id))
    result = ctx.app.test_cli_runner().invoke(args=["keys", "verify"])
    assert "erased people awaiting the sweep: 1" in result.output and result.exit_code == 0
