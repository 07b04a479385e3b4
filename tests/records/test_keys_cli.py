"""`flask keys rotate/verify/status`, `backup` and `restore` (B9 rotation, B13 backup/restore), on SQLite
and PostgreSQL, through the CLI runner and as real subprocesses; the tests that touch photo blobs run with
the folder and with S3-compatible storage (s3rver)."""

import json
import os
import random
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from herbert import create_app
from herbert.crypto import Keyring
from herbert.extensions import db
from herbert.models import Person
from herbert.records import erasure, store
from herbert.records.keys import keyring_path, load_keyring
from tests.support.blob_backends import CREDENTIALS, blob_environment, stored_blobs
from tests.support.store import (
    FLASK,
    PYTHON,
    ROOT,
    WORKER,
    jpeg_with_exif,
    make_user,
    run_flask,
    seed_people,
    subprocess_env,
)


def full_person(ctx, name: str) -> str:
    person = store.person_for(ctx.user_id, store.create_person(ctx.user_id))
    store.save_summary(person, {"name": name})
    store.save_section(person, "health", {"medication": f"{name}'s tablets"})
    store.publish(person, ctx.user_id, {"health": {"medication": "x"}}, None)
    store.add_photo(person, jpeg_with_exif(name), {"caption": name})
    return person.id


@pytest.mark.blob_backends
def test_verify_reports_counts_and_fails_on_damage(ctx):
    runner = ctx.app.test_cli_runner()
    ids = [full_person(ctx, f"Person {n}") for n in range(3)]
    result = runner.invoke(args=["keys", "verify"])
    assert result.exit_code == 0, result.output
    assert "People checked: 3" in result.output and "photos: 3 ok, 0 failed" in result.output
    assert "draft sections: 3 ok, 0 failed" in result.output and "All records open." in result.output
    row = db.session.get(Person, ids[1])
    row.summary_sealed = row.summary_sealed[:-1]
    db.session.commit()
    result = runner.invoke(args=["keys", "verify"])
    assert result.exit_code == 1
    assert "summaries: 2 ok, 1 failed" in result.output and ids[1] in result.output
    assert "Person 1" not in result.output


def test_rotate_rewraps_every_key_and_retire_drops_old_keys(ctx):
    runner = ctx.app.test_cli_runner()
    ids = [full_person(ctx, f"P{n}") for n in range(3)]
    old = load_keyring().active
    result = runner.invoke(args=["keys", "rotate", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    new = load_keyring().active
    assert new != old and set(load_keyring().keys) == {old, new}
    assert store.people_by_key() == {new: 3}
    # a second run right away is a new rotation; --retire then drops both older keys
    result = runner.invoke(args=["keys", "rotate", "--retire"])
    assert result.exit_code == 0, result.output
    assert "Retired 2 old key(s)" in result.output
    assert set(load_keyring().keys) == {load_keyring().active}
    assert runner.invoke(args=["keys", "verify"]).exit_code == 0
    for person_id in ids:
        assert store.load_summary(store.person_for(ctx.user_id, person_id))["name"].startswith("P")
    status = runner.invoke(args=["keys", "status"])
    assert f"{load_keyring().active} (active): wraps 3" in status.output


def test_retire_refuses_while_an_old_key_is_in_use(ctx):
    runner = ctx.app.test_cli_runner()
    person_id = full_person(ctx, "P")
    keyring = load_keyring()
    old = keyring.active
    keyring.add_key()
    from herbert.records.keys import save_keyring

    save_keyring(ctx.app, keyring)  # a key was added, but the person is still wrapped by the old one
    # rotate finishes the earlier rotation first, so make the old key busy by hand after it:
    result = runner.invoke(args=["keys", "rotate"])
    assert "Finishing an earlier rotation" in result.output and result.exit_code == 0
    row = db.session.get(Person, person_id)
    row.kek_id, row.wrapped_key = Keyring(keys={old: keyring.keys[old]}, active=old).wrap_data_key(
        store.data_key(row), person_id
    )
    db.session.commit()
    import click

    from herbert.records.cli import _retire_unused_keys

    with pytest.raises(click.ClickException) as error:
        _retire_unused_keys(ctx.app)
    assert old in str(error.value.message) and old in load_keyring().keys


def test_rotate_refuses_an_environment_keyring(app):
    with app.app_context():
        keyring_json = load_keyring(app).to_json()
    app.config["KEYRING"] = keyring_json
    app.extensions.pop("herbert.keyring", None)
    result = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 1 and "HERBERT_KEYRING" in result.output and "new-keyring" in result.output
    result = app.test_cli_runner().invoke(args=["keys", "rotate", "--retire"])
    assert result.exit_code == 1 and "new-keyring --retire" in result.output


def test_rotation_with_a_keyring_from_a_secret_store(ctx, tmp_path):
    """The runbook for several app servers (docs/operations/deploy.md): new-keyring, roll out, rotate, retire."""
    people = [full_person(ctx, f"Person {n}") for n in range(3)]
    erased = store.create_person(ctx.user_id)
    erasure.erase_person(db.session.get(Person, erased))
    runner = ctx.app.test_cli_runner()

    def use_secret(text_: str) -> None:  # what restarting every app server with the new secret does
        ctx.app.config["KEYRING"] = text_
        ctx.app.extensions.pop("herbert.keyring", None)
        store.forget_cached_keys()

    use_secret(load_keyring().to_json())
    old = load_keyring().active
    result = runner.invoke(args=["keys", "new-keyring", "--output", str(tmp_path / "next.json")])
    assert result.exit_code == 0, result.output
    assert oct((tmp_path / "next.json").stat().st_mode & 0o777) == "0o600"
    assert runner.invoke(args=["keys", "new-keyring", "--output", str(tmp_path / "next.json")]).exit_code == 1
    next_keyring = Keyring.from_json((tmp_path / "next.json").read_text())
    assert next_keyring.active != old and old in next_keyring.keys and erased in next_keyring.erased
    assert load_keyring().active == old  # nothing changed until the secret is rolled out

    use_secret((tmp_path / "next.json").read_text())
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 0 and "Re-wrapped 3 data keys" in result.output, result.output
    assert store.people_by_key() == {next_keyring.active: 3}
    result = runner.invoke(args=["keys", "new-keyring", "--retire", "--output", str(tmp_path / "retired.json")])
    assert result.exit_code == 0 and old in result.output, result.output
    use_secret((tmp_path / "retired.json").read_text())
    assert set(load_keyring().keys) == {next_keyring.active}
    verify = runner.invoke(args=["keys", "verify"])
    assert verify.exit_code == 0 and "All records open." in verify.output
    for person_id in people:
        assert store.load_summary(store.person_for(ctx.user_id, person_id))["name"].startswith("Person")


def test_a_rotation_in_two_steps_never_wraps_with_a_key_some_server_lacks(ctx, tmp_path):
    """Several app servers restart one at a time: the new key reaches them all (--inactive) before any of
    them wraps with it (--activate), so a person added on a restarted server opens on one not yet restarted."""
    person_id = full_person(ctx, "Before")
    runner = ctx.app.test_cli_runner()
    old_text = load_keyring().to_json()

    def use_secret(text_: str) -> None:
        ctx.app.config["KEYRING"] = text_
        ctx.app.extensions.pop("herbert.keyring", None)
        store.forget_cached_keys()

    use_secret(old_text)
    old = load_keyring().active
    step1 = tmp_path / "step1.json"
    result = runner.invoke(args=["keys", "new-keyring", "--inactive", "--output", str(step1)])
    assert result.exit_code == 0, result.output
    staged = Keyring.from_json(step1.read_text())
    [new] = set(staged.keys) - {old}
    assert staged.active == old and f"--activate {new}" in result.output
    use_secret(step1.read_text())  # some servers have step 1 now, some the old keyring: both wrap with `old`
    added = store.create_person(ctx.user_id)
    assert store.people_by_key() == {old: 2}
    assert runner.invoke(args=["keys", "rotate"]).exit_code == 1  # nothing to re-wrap yet: it says what to do

    for wrong, message in (
        (["--activate", "knot-a-key"], "knot-a-key is not in this keyring"),
        (["--activate", old], "is the active key already"),
        (["--inactive", "--retire"], "Use only one of"),
    ):
        result = runner.invoke(args=["keys", "new-keyring", *wrong, "--output", str(tmp_path / "wrong.json")])
        assert result.exit_code == 1 and message in result.output, result.output
        assert not (tmp_path / "wrong.json").exists()
    step2 = tmp_path / "step2.json"
    result = runner.invoke(args=["keys", "new-keyring", "--activate", new, "--output", str(step2)])
    assert result.exit_code == 0 and "keys rotate" in result.output, result.output
    assert Keyring.from_json(step2.read_text()).active == new
    assert Keyring.from_json(step2.read_text()).keys == staged.keys

    use_secret(step2.read_text())  # a server with step 2 wraps with `new` ...
    newest = store.create_person(ctx.user_id)
    use_secret(step1.read_text())  # ... and one still on step 1 opens it
    assert store.load_summary(store.person_for(ctx.user_id, newest)) is not None
    use_secret(step2.read_text())
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 0 and "Re-wrapped 2 data keys" in result.output, result.output
    assert store.people_by_key() == {new: 3}
    for pid in (person_id, added, newest):
        store.load_summary(store.person_for(ctx.user_id, pid))


def test_the_first_keyring_of_a_new_deployment_and_only_then(app, tmp_path):
    """`keys new-keyring --output FILE` on a host with no keyring writes a first one (a new deployment, as
    docs/operations/deploy.md makes its secrets); with people already stored it refuses instead."""
    fresh = {k: v for k, v in os.environ.items() if not k.startswith("HERBERT_")} | {
        "HERBERT_INSTANCE_PATH": str(tmp_path / "new-host"),
        "HERBERT_DATABASE_URL": f"sqlite:///{tmp_path / 'not-made-yet.db'}",
        "HERBERT_SECRET_KEY": "a-secret-key-from-the-secret-store-0123456789",
    }
    made = run_flask(app, "keys", "new-keyring", "--output", str(tmp_path / "first.json"), env=fresh)
    assert made.returncode == 0 and "a first keyring" in made.stdout, made.stdout + made.stderr
    first = Keyring.from_json((tmp_path / "first.json").read_text())
    assert len(first.keys) == 1 and oct((tmp_path / "first.json").stat().st_mode & 0o777) == "0o600"
    assert not (tmp_path / "new-host" / "keyring.json").exists()  # nothing kept on the host
    assert not (tmp_path / "not-made-yet.db").exists()  # nor a database made by looking
    staged = run_flask(app, "keys", "new-keyring", "--inactive", "--output", str(tmp_path / "x.json"), env=fresh)
    assert staged.returncode == 1 and "no keyring here to change" in staged.stderr

    with app.app_context():
        store.create_person(make_user("carer@example.com"))
    held = fresh | {"HERBERT_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"]} | blob_environment(app)
    refused = run_flask(app, "keys", "new-keyring", "--output", str(tmp_path / "second.json"), env=held)
    assert refused.returncode == 1 and "holds 1 people" in refused.stderr, refused.stdout + refused.stderr
    assert not (tmp_path / "second.json").exists()


def test_b9_rotation_killed_half_way_then_resumed_leaves_every_record_readable_with_only_the_new_key(ctx):
    count = 200
    seed_people(ctx.user_id, count)
    old = load_keyring().active
    env = subprocess_env(ctx.app)
    process = subprocess.Popen(
        [FLASK, "--app", "herbert", "keys", "rotate", "--batch-size", "5", "--pause", "0.02"],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    kill_after = random.randint(2, 30)  # batches of 5: kill somewhere in the first ~150 of 200 people
    progress = 0
    for line in process.stdout:
        if "re-wrapped" in line:
            progress += 1
            if progress >= kill_after:
                process.send_signal(signal.SIGKILL)
                break
    process.wait(timeout=60)
    process.stdout.close()
    process.stderr.close()
    assert process.returncode == -signal.SIGKILL, "the rotation finished before it could be killed"
    db.session.expire_all()
    store.forget_cached_keys()  # as a new request would: look at the keyring file the other process changed
    by_key = store.people_by_key()
    new = load_keyring().active
    assert new != old and 0 < by_key.get(new, 0) < count and by_key[old] > 0
    print(f"\nB9 rotation: killed after {by_key[new]}/{count} people re-wrapped")

    resumed = run_flask(ctx.app, "keys", "rotate", env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert "Finishing an earlier rotation" in resumed.stdout
    store.forget_cached_keys()
    assert len(load_keyring().keys) == 2  # the resumed run added no third key
    db.session.expire_all()
    assert store.people_by_key() == {new: count}

    # only the new key: a copy of the keyring without the old one opens every record
    only_new = Keyring(keys={new: load_keyring().keys[new]}, active=new)
    verify = run_flask(ctx.app, "keys", "verify", env=env | {"HERBERT_KEYRING": only_new.to_json()})
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert f"data keys: {count} ok, 0 failed" in verify.stdout
    assert f"draft sections: {count} ok, 0 failed" in verify.stdout
    print(f"B9 rotation resumed: {count}/{count} readable with only the new key")


# --- backup and restore ---------------------------------------------------------------------------


def fresh_instance(tmp_path: Path, ctx, name: str, keyring_text: str | None) -> dict[str, str]:
    """Environment for a new, empty instance (same database server kind) with the given keyring file."""
    instance = tmp_path / name
    instance.mkdir(mode=0o700)
    if keyring_text is not None:
        fd = os.open(instance / "keyring.json", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(keyring_text)
    env = subprocess_env(ctx.app) | {"HERBERT_INSTANCE_PATH": str(instance)} | blob_environment(ctx.app, fresh=True)
    if db.engine.dialect.name == "sqlite":
        env["HERBERT_DATABASE_URL"] = f"sqlite:///{instance / 'herbert.db'}"
    else:
        env["HERBERT_DATABASE_URL"] = _empty_postgres_database(name)
    return env


def _empty_postgres_database(name: str) -> str:
    url = db.engine.url
    database = f"{url.database}_{name}".replace("-", "_")[:60]
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    return url.set(database=database).render_as_string(hide_password=False)


def _drop_postgres_database(name: str) -> None:
    database = f"{db.engine.url.database}_{name}".replace("-", "_")[:60]
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))


def instance_settings(env: dict[str, str]) -> dict[str, str]:
    """The part of a child's environment that says which instance it is: folder, database, blob store."""
    names = ("HERBERT_INSTANCE_PATH", "HERBERT_DATABASE_URL", "HERBERT_S3_", "AWS_")
    return {name: value for name, value in env.items() if name.startswith(names)}


def counts_in(env: dict[str, str]) -> dict[str, int]:
    saved = os.environ.copy()
    os.environ.update(instance_settings(env))
    try:
        other = create_app({"TESTING": True})
    finally:
        os.environ.clear()
        os.environ.update(saved)
    with other.app_context():
        try:
            has_table = "people" in db.inspect(db.engine).get_table_names()
            return {
                "people": db.session.scalar(db.select(db.func.count()).select_from(Person)) if has_table else 0,
                "blobs": len(stored_blobs(other)),
            }
        finally:
            db.session.remove()
            db.engine.dispose()


@pytest.mark.blob_backends
def test_backup_while_writing_then_restore_into_a_fresh_instance_equals_the_original(ctx, tmp_path):
    ids = [full_person(ctx, f"Person {n}") for n in range(4)]
    env = subprocess_env(ctx.app)
    writer = subprocess.Popen(
        [PYTHON, *WORKER, "saver", "9", "15", str(ctx.user_id), ids[0]],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    backup = tmp_path / "backup-1"
    try:
        result = run_flask(ctx.app, "backup", str(backup), env=env)
    finally:
        writer.wait(timeout=120)
        stderr = writer.stderr.read()
        writer.stderr.close()
    assert writer.returncode == 0, stderr
    assert result.returncode == 0, result.stderr
    assert "NOT in this backup" in result.stdout
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["keyring_included"] is False
    assert not any("keyring" in name for name in manifest["files"])
    assert oct((backup / "manifest.json").stat().st_mode & 0o777) == "0o600"
    keyring_text = keyring_path(ctx.app).read_text()
    for file in backup.rglob("*"):
        if file.is_file():
            assert load_keyring().keys[load_keyring().active].hex().encode() not in file.read_bytes()

    target = fresh_instance(tmp_path, ctx, "restored", keyring_text)
    restored = run_flask(ctx.app, "restore", str(backup), env=target)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "Verified: all" in restored.stdout
    assert counts_in(target) == {"people": manifest["counts"]["people"], "blobs": manifest["counts"]["blobs"]}
    verify = run_flask(ctx.app, "keys", "verify", env=target)
    assert verify.returncode == 0 and "0 failed" in verify.stdout

    # the restored records equal the originals (the saves after the snapshot aside)
    saved = os.environ.copy()
    os.environ.update(instance_settings(target))
    try:
        other = create_app({"TESTING": True})
    finally:
        os.environ.clear()
        os.environ.update(saved)
    originals = {pid: store.load_revision(store.person_for(ctx.user_id, pid), 1) for pid in ids[1:]}
    photos = {pid: store.list_photos(store.person_for(ctx.user_id, pid)) for pid in ids[1:]}
    with other.app_context():
        for pid in ids[1:]:
            person = store.person_for(ctx.user_id, pid)
            assert store.load_revision(person, 1) == originals[pid]
            assert [p["caption"] for p in store.list_photos(person)] == [p["caption"] for p in photos[pid]]
            assert store.open_photo(person, photos[pid][0]["id"]).startswith(b"\xff\xd8")
        db.session.remove()
        db.engine.dispose()

    # a second restore into the now non-empty instance is refused
    again = run_flask(ctx.app, "restore", str(backup), env=target)
    assert again.returncode == 1 and "empty instance" in again.stderr


OTHER_KIND = f"herbert_other_kind_{os.getpid()}"  # a database of this process's own on the test server


def test_a_backup_moves_photos_onto_object_storage_but_never_into_another_kind_of_database(
    ctx, tmp_path, request, monkeypatch
):
    """docs/operations/deploy.md: an instance with its photos in the instance folder moves them onto object storage
    by `backup` and `restore` into a new instance with a bucket; a backup of one kind of database (SQLite or
    PostgreSQL) is refused by the other, before anything is restored."""
    full_person(ctx, "Moving house")
    backup = tmp_path / "backup"
    assert run_flask(ctx.app, "backup", str(backup)).returncode == 0
    keyring_text = keyring_path(ctx.app).read_text()
    s3 = request.getfixturevalue("s3_server")
    for name, value in CREDENTIALS.items():  # for this process's look into the bucket (counts_in)
        monkeypatch.setenv(name, value)
    target = fresh_instance(tmp_path, ctx, "on-s3", keyring_text) | s3.environment(s3.new_bucket())
    restored = run_flask(ctx.app, "restore", str(backup), env=target)
    assert restored.returncode == 0 and "Verified: all" in restored.stdout, restored.stdout + restored.stderr
    assert counts_in(target) == {"people": 1, "blobs": 1}
    assert not (Path(target["HERBERT_INSTANCE_PATH"]) / "blobs").exists()  # the photo went to the bucket

    other = fresh_instance(tmp_path, ctx, "other-kind", keyring_text)
    made_database = None
    if db.engine.dialect.name == "postgresql":
        for name in ("on-s3", "other-kind"):  # fresh_instance made them; nothing else will drop them
            _drop_postgres_database(name)
        other["HERBERT_DATABASE_URL"] = f"sqlite:///{tmp_path / 'other-kind' / 'herbert.db'}"
    elif server := os.environ.get("HERBERT_TEST_DATABASE_URL"):  # the SQLite variant: into PostgreSQL
        made_database = create_engine(server.replace("postgresql://", "postgresql+psycopg://", 1))
        with made_database.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{OTHER_KIND}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{OTHER_KIND}"'))
        other["HERBERT_DATABASE_URL"] = made_database.url.set(database=OTHER_KIND).render_as_string(False)
    else:
        return  # no PostgreSQL here: the PostgreSQL variant checks the refusal the other way round
    try:
        refused = run_flask(ctx.app, "restore", str(backup), env=other)
        kinds = {"sqlite", "postgresql"}
        assert refused.returncode == 1, refused.stdout
        assert any(f"The backup is of a {kind} database" in refused.stderr for kind in kinds), refused.stderr
        assert counts_in(other) == {"people": 0, "blobs": 0}
    finally:
        if made_database is not None:
            with made_database.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{OTHER_KIND}" WITH (FORCE)'))
            made_database.dispose()


@pytest.mark.blob_backends
def test_restore_with_the_wrong_keyring_fails_loudly_and_leaves_nothing(ctx, tmp_path):
    full_person(ctx, "Someone")
    backup = tmp_path / "backup"
    assert ctx.app.test_cli_runner().invoke(args=["backup", str(backup)]).exit_code == 0

    # a different keyring altogether: refused before anything is restored
    target = fresh_instance(tmp_path, ctx, "wrong", Keyring.generate().to_json())
    result = run_flask(ctx.app, "restore", str(backup), env=target)
    assert result.returncode == 1
    assert "cannot open the backup" in result.stderr and "Nothing was restored" in result.stderr
    assert counts_in(target)["blobs"] == 0

    # the right key ids but the wrong key bytes: restored, verified, found wanting, undone
    real = load_keyring()
    forged = Keyring(keys={kid: os.urandom(32) for kid in real.keys}, active=real.active)
    target = fresh_instance(tmp_path, ctx, "forged", forged.to_json())
    result = run_flask(ctx.app, "restore", str(backup), env=target)
    assert result.returncode == 1
    assert "would not open with this keyring" in result.stderr and "undone" in result.stderr
    assert counts_in(target)["blobs"] == 0

    # no keyring at all
    target = fresh_instance(tmp_path, ctx, "none", None)
    result = run_flask(ctx.app, "restore", str(backup), env=target)
    assert result.returncode == 1 and "No keyring" in result.stderr


@pytest.mark.blob_backends
def test_backup_refuses_a_non_empty_folder_and_restore_a_damaged_backup(ctx, tmp_path):
    runner = ctx.app.test_cli_runner()
    full_person(ctx, "Someone")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "x").write_text("x")
    assert runner.invoke(args=["backup", str(tmp_path / "busy")]).exit_code == 1
    backup = tmp_path / "backup"
    assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
    damaged = tmp_path / "damaged"
    shutil.copytree(backup, damaged)
    blob = next((damaged / "blobs").iterdir())
    blob.write_bytes(blob.read_bytes()[:-1])
    target = fresh_instance(tmp_path, ctx, "target", keyring_path(ctx.app).read_text())
    result = run_flask(ctx.app, "restore", str(damaged), env=target)
    assert result.returncode == 1 and "damaged" in result.stderr
