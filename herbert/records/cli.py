"""Operator commands for keys and backups (documented in docs/operations/keys-and-backups.md).

    flask --app herbert keys status          key ids in use (never the keys)
    flask --app herbert keys rotate [--retire]
    flask --app herbert keys new-keyring --output FILE [--inactive | --activate KEY_ID | --retire]
                                             (for a keyring in a secret store; also the first one)
    flask --app herbert keys verify
    flask --app herbert backup PATH
    flask --app herbert restore PATH
    flask --app herbert sweep
    flask --app herbert blobs check          the blob store (folder or object storage) takes, returns and deletes

None of them prints personal data: only ids, counts and key ids.
"""

import fcntl
import os
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from herbert.config import write_private_file
from herbert.crypto import Keyring
from herbert.extensions import db
from herbert.models import Person, User
from herbert.records import store, verify
from herbert.records.backup import BackupError, create_backup, restore_backup
from herbert.records.blobs import PHOTO_KEY, blob_store
from herbert.records.keys import keyring_from_environment, keyring_lock, keyring_path, load_keyring, save_keyring
from herbert.records.sweep import database_exists, sweep

MAX_ROTATION_PASSES = 5

keys = AppGroup("keys", help="Key-encryption keys: status, rotation, verification.")


@keys.command("status")
def status_command() -> None:
    """Show the keyring's key ids, which one is active, and how many people each key wraps."""
    keyring = load_keyring()
    in_use = store.people_by_key()
    source = "HERBERT_KEYRING" if keyring_from_environment(current_app) else str(keyring_path(current_app))
    click.echo(f"Keyring: {source}")
    for kid in sorted(keyring.keys):
        marker = " (active)" if kid == keyring.active else ""
        click.echo(f"  {kid}{marker}: wraps {in_use.get(kid, 0)} people's data keys")
    for kid in sorted(set(in_use) - set(keyring.keys)):
        click.echo(f"  {kid}: MISSING from the keyring, yet wraps {in_use[kid]} people's data keys")
    click.echo(f"People erased (refused by the keyring): {len(keyring.erased)}")


@keys.command("rotate")
@click.option("--batch-size", default=200, show_default=True, help="People re-wrapped per committed batch.")
@click.option("--pause", default=0.0, show_default=True, help="Seconds to wait between batches, to ease load.")
@click.option("--retire", is_flag=True, help="Afterwards, drop old keys that no longer wrap anything.")
def rotate_command(batch_size: int, pause: float, retire: bool) -> None:
    """Add a new active key, then re-wrap every person's data key under it (records are not re-encrypted).

    Safe to re-run: if a previous run was interrupted, this run finishes it instead of adding another key.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    from_environment = keyring_from_environment(app)
    if from_environment and retire:
        raise click.ClickException(
            "The keyring comes from HERBERT_KEYRING, which this command cannot change: make the next keyring with "
            "`flask --app herbert keys new-keyring --retire --output FILE` and put it in your secret store."
        )
    with _rotation_lock(app):
        keyring = load_keyring()
        pending = sum(n for kid, n in store.people_by_key().items() if kid != keyring.active)
        if pending:
            click.echo(f"Finishing an earlier rotation: {pending} data keys are not yet under key {keyring.active}.")
        elif from_environment:
            # Several app servers share one keyring from a secret store: a new key must reach all of them
            # (new-keyring, secret store, restart) before anything is wrapped with it; then this re-wraps.
            raise click.ClickException(
                f"Every data key is already under HERBERT_KEYRING's active key {keyring.active}. To rotate "
                "(docs/operations/deploy.md): `flask --app herbert keys new-keyring --inactive --output FILE` and "
                "roll it out to every app server and job runner; then `keys new-keyring --activate KEY_ID --output "
                "FILE` and roll that out; then run `keys rotate` again."
            )
        else:
            with keyring_lock(app):
                keyring = load_keyring()
                new_id = keyring.add_key()
                save_keyring(app, keyring)  # durable before any data key is wrapped with it
            click.echo(f"Added key-encryption key {new_id}; it is now the active key.")

        moved, failed, after, passes = 0, [], "", 0
        while True:
            changed, newly_failed, last = store.rewrap_batch(batch_size, exclude=failed, after=after)
            failed += newly_failed
            moved += changed
            if changed:
                click.echo(f"  re-wrapped {moved} so far")
            if last is not None:
                after = last  # the next batch starts after this one (keyset order: no re-scanning)
            else:  # one pass over everyone done: count what is left only now (a full scan per batch is costly)
                remaining = sum(n for kid, n in store.people_by_key().items() if kid != load_keyring().active)
                passes += 1
                if remaining <= len(failed):
                    break
                if passes >= MAX_ROTATION_PASSES:
                    raise click.ClickException(
                        f"{remaining - len(failed)} data keys are still under an old key after {passes} passes: is "
                        "an app server still running with the old keyring? Restart it with the new one, then re-run."
                    )
                after = ""  # someone was wrapped under an old key meanwhile: another pass
            if pause:
                time.sleep(pause)
        totp = _reseal_account_secrets()
        click.echo(f"Re-wrapped {moved} data keys" + (f" and {totp} account secrets" if totp else "") + ".")
        if failed:
            raise click.ClickException(
                f"{len(failed)} data key(s) would not unwrap and stay under their old key: {', '.join(failed)}. "
                "Run `flask --app herbert keys verify`, and do not retire old keys until this is resolved."
            )
        if retire:
            _retire_unused_keys(app)


def _reseal_account_secrets() -> int:
    """Account secrets (two-factor) are sealed with keyring keys too: move them onto the active key."""
    return store.reseal_account_secrets()


def _keys_in_use() -> Counter:
    counts: Counter = Counter(store.people_by_key())
    for sealed in db.session.execute(db.select(User.totp_secret_sealed).where(User.totp_secret_sealed.is_not(None))):
        counts[bytes(sealed[0]).partition(b".")[0].decode()] += 1
    return counts


def _retire_unused_keys(app: Flask) -> None:
    """Drop every non-active key, but only if nothing uses it; checked again afterwards for late writers."""
    keyring = load_keyring()
    in_use = _keys_in_use()
    busy = {kid: in_use[kid] for kid in keyring.keys if kid != keyring.active and in_use.get(kid)}
    if busy:
        detail = ", ".join(f"{kid} wraps {n}" for kid, n in sorted(busy.items()))
        raise click.ClickException(f"Not retiring: old keys are still in use ({detail}). Re-run `keys rotate`.")
    with keyring_lock(app):
        keyring = load_keyring()
        old = {kid: key for kid, key in keyring.keys.items() if kid != keyring.active}
        for kid in old:
            keyring.retire_key(kid)
        save_keyring(app, keyring)
    late = {kid for kid, n in _keys_in_use().items() if kid in old and n}
    if late:  # a worker wrapped with an old key while we looked: put those keys back
        with keyring_lock(app):
            keyring = load_keyring()
            keyring.keys.update({kid: old[kid] for kid in late})
            save_keyring(app, keyring)
        raise click.ClickException(f"Not retiring {', '.join(sorted(late))}: still in use. Re-run `keys rotate`.")
    click.echo(f"Retired {len(old)} old key(s): {', '.join(sorted(old)) or 'none'}.")


@keys.command("new-keyring")
@click.option("--output", required=True, type=click.Path(path_type=Path), help="A new file (mode 0600) to write.")
@click.option("--retire", is_flag=True, help="Instead of adding a key, leave out old keys that nothing uses.")
@click.option("--inactive", is_flag=True, help="Add the new key without making it active yet (step 1 of 2).")
@click.option("--activate", "activate_id", metavar="KEY_ID", help="Make this key (already added) the active one.")
def new_keyring_command(output: Path, retire: bool, inactive: bool, activate_id: str | None) -> None:
    """Write the next keyring to a file, for a keyring kept in a secret store (HERBERT_KEYRING).

    Without options: the current keyring plus a new active key (then roll it out and run `keys rotate`). With
    several app servers, in two steps so that no server ever meets a data key wrapped by a key it lacks:
    --inactive adds the new key for every server to learn first, then --activate KEY_ID makes it the one that
    wraps. With --retire: the current keyring without the old keys that wrap nothing any more. Each carries the
    erasure list (this host's too), so erased people stay refused. On a host with no keyring at all (a new
    deployment, with the database still empty) it writes a first keyring of one key.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if sum(map(bool, (retire, inactive, activate_id))) > 1:
        raise click.ClickException("Use only one of --retire, --inactive and --activate.")
    if not keyring_from_environment(app) and not keyring_path(app).exists():
        keyring, what = _first_keyring(app, bool(retire or inactive or activate_id))
    else:
        keyring = Keyring.from_json(load_keyring().to_json())  # a copy, with this host's erasures merged in
        what = _next_keyring(keyring, retire, inactive, activate_id)
    try:
        write_private_file(output, keyring.to_json())
    except FileExistsError:
        raise click.ClickException(f"{output} exists already: name a new file.") from None
    step, words = what
    if step == "first":
        click.echo(
            f"Wrote {words} to {output} (mode 0600). Put it in your secret store as HERBERT_KEYRING for every app "
            "server and job runner, keep a copy apart from the backups, then delete the file."
        )
        return
    then = ""
    if step == "inactive":
        then = f" Then: `flask --app herbert keys new-keyring --activate {list(keyring.keys)[-1]} --output FILE`."
    elif step == "active":
        then = " Then run `flask --app herbert keys rotate`."
    click.echo(
        f"Wrote the next keyring, {words}, to {output} (mode 0600). Put it in your secret store as HERBERT_KEYRING, "
        "restart every app server and job runner, then delete the file." + then
    )


def _first_keyring(app: Flask, asked_for_a_change: bool) -> tuple[Keyring, tuple[str, str]]:
    """A brand-new keyring, only where nothing can need another one: no keyring here and no people stored."""
    if asked_for_a_change:
        raise click.ClickException("There is no keyring here to change: set HERBERT_KEYRING to the current one.")
    people = 0
    if database_exists(app):
        try:
            people = db.session.execute(db.select(db.func.count()).select_from(Person)).scalar_one()
        except SQLAlchemyError:  # no tables yet: a new deployment
            db.session.rollback()
    if people:
        raise click.ClickException(
            f"This host has no keyring, yet the database holds {people} people whose keys need the current one: "
            "set HERBERT_KEYRING (from your secret store) and run the command again."
        )
    keyring = Keyring.generate()
    return keyring, ("first", f"a first keyring, with the one key {keyring.active},")


def _next_keyring(keyring: Keyring, retire: bool, inactive: bool, activate_id: str | None) -> tuple[str, str]:
    """Change the copy as asked; (what kind of step it was, what changed in words)."""
    if retire:
        in_use = _keys_in_use()
        unused = [kid for kid in keyring.keys if kid != keyring.active and not in_use.get(kid)]
        busy = {kid: in_use[kid] for kid in keyring.keys if kid != keyring.active and in_use.get(kid)}
        if busy:
            detail = ", ".join(f"{kid} wraps {n}" for kid, n in sorted(busy.items()))
            raise click.ClickException(f"Not retiring: old keys are still in use ({detail}). Run `keys rotate`.")
        for kid in unused:
            keyring.retire_key(kid)
        return "retire", f"without the old key(s) {', '.join(sorted(unused)) or '(none)'}"
    if activate_id:
        if activate_id not in keyring.keys:
            raise click.ClickException(
                f"{activate_id} is not in this keyring: `flask --app herbert keys status` lists its keys."
            )
        if activate_id == keyring.active:
            raise click.ClickException(f"{activate_id} is the active key already.")
        keyring.active = activate_id
        return "active", f"with {activate_id} made the active key"
    active = keyring.active
    new_id = keyring.add_key()
    if inactive:
        keyring.active = active  # every server learns the new key before any wraps with it
        return "inactive", f"with the new key {new_id}, not yet active ({active} still wraps)"
    return "active", f"with the new active key {new_id}"


@contextmanager
def _rotation_lock(app: Flask) -> Iterator[None]:
    """One rotation at a time (a second one exits at once instead of racing the first)."""
    fd = os.open(Path(app.instance_path) / "keys-rotate.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise click.ClickException("Another `keys rotate` is running.") from None
        yield
    finally:
        os.close(fd)


@keys.command("verify")
def verify_command() -> None:
    """Open every person's data key, summary, draft sections, revisions and photos; report counts."""
    wrapper_refuses = load_keyring().is_forgotten
    totals: Counter = Counter()
    failures: list[str] = []
    person_ids = list(db.session.execute(db.select(Person.id).order_by(Person.id)).scalars())
    for person_id in person_ids:
        if wrapper_refuses(person_id):
            totals["erased people awaiting the sweep"] += 1
            continue
        counts = verify.verify_person(person_id)
        if any(kind.endswith("failed") for kind in counts):
            failures.append(person_id)
        totals += counts
        store.forget_cached_keys()
        db.session.expunge_all()
    kinds = sorted({kind.rsplit(" ", 1)[0] for kind in totals if kind.endswith((" ok", " failed"))})
    click.echo(f"People checked: {len(person_ids)}")
    for kind in kinds:
        click.echo(f"  {kind}: {totals[kind + ' ok']} ok, {totals[kind + ' failed']} failed")
    for kind in ("records skipped", "erased people awaiting the sweep"):
        if totals[kind]:
            click.echo(f"  {kind}: {totals[kind]}")
    failed = sum(n for kind, n in totals.items() if kind.endswith("failed"))
    if failed:
        raise click.ClickException(f"{failed} record(s) failed to open, for people: {', '.join(failures)}")
    click.echo("All records open.")


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
def backup_command(path: Path) -> None:
    """Back up the database and the sealed photos into PATH (a new folder), while the app runs.

    The keyring is NOT included: back it up separately (see the README). Without it the backup is useless.
    """
    try:
        manifest = create_backup(current_app._get_current_object(), path)  # type: ignore[attr-defined]
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    counts = ", ".join(f"{n} {name}" for name, n in manifest["counts"].items())
    click.echo(f"Backup written to {path}: {counts}.")
    if manifest["photos_deleted_during_backup"]:
        click.echo(f"  {manifest['photos_deleted_during_backup']} photos were deleted while it ran and are absent.")
    click.echo(
        "The keyring is NOT in this backup. It needs key(s) "
        f"{', '.join(manifest['key_encryption_key_ids']) or '(none yet)'}: keep a copy of the keyring elsewhere."
    )


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
def restore_command(path: Path) -> None:
    """Restore a backup from PATH into this new, empty instance, then check every record opens.

    Fails (exit status 1) and leaves the instance empty if this keyring cannot open the backup.
    """
    try:
        report = restore_backup(current_app._get_current_object(), path)  # type: ignore[attr-defined]
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    counts = ", ".join(f"{n} {name}" for name, n in report.counts.items())
    click.echo(f"Restored from {path}: {counts}.")
    if report.erased_dropped:
        click.echo(f"  Left out {report.erased_dropped} people erased after this backup was made.")
    opened = sum(n for kind, n in report.verify.items() if kind.endswith(" ok"))
    click.echo(f"Verified: all {opened} records open with this keyring.")


@click.command("sweep")
@click.option("--grace", default=600.0, show_default=True, help="Leave files younger than this many seconds.")
def sweep_command(grace: float) -> None:
    """Remove stray temporary files and orphan blobs, and finish interrupted erasures (the start-up sweep)."""
    result = sweep(current_app._get_current_object(), grace_seconds=grace)  # type: ignore[attr-defined]
    click.echo(
        f"Removed {result.temp_files} temporary files and {result.orphan_blobs} orphan blobs; "
        f"finished {result.erasures_finished} erasures."
    )


blobs = AppGroup("blobs", help="The sealed photo blobs' store: the instance folder or S3-compatible object storage.")


@blobs.command("check")
def blobs_check_command() -> None:
    """Write, read back and delete one sealed probe blob: run it after configuring object storage."""
    where = blob_store().describe()
    try:
        store.probe_blob_store()
    except Exception as error:  # any storage failure: say where and what kind, never a credential
        raise click.ClickException(f"The blob store, {where}, failed the check: {type(error).__name__}.") from None
    photos = sum(1 for key in blob_store().list_keys() if PHOTO_KEY.match(key))
    click.echo(f"Blob store: {where}. Write, read back and delete work; it holds {photos} photo blobs.")


def register_record_commands(app: Flask) -> None:
    for command in (keys, backup_command, restore_command, sweep_command, blobs):
        app.cli.add_command(command)
