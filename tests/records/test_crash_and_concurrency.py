"""B13: SIGKILL a process saving in a loop, many times → no acknowledged save lost, nothing undecryptable,
integrity_check ok, no orphans after the start-up sweep. B18: several processes saving at once → every
save present exactly once."""

import os
import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from herbert import create_app
from herbert.extensions import db
from herbert.models import DraftSection, Photo, Revision
from herbert.records import store
from tests.support.store import PYTHON, ROOT, WORKER, subprocess_env

KILLS = 30


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_b13_repeated_sigkill_during_saves_loses_nothing_acknowledged(ctx, tmp_path):
    people = [store.create_person(ctx.user_id) for _ in range(3)]
    acks = tmp_path / "acks.log"
    env = subprocess_env(ctx.app, HERBERT_BLOB_SWEEP_GRACE_SECONDS="0")
    zygote = subprocess.Popen(
        [PYTHON, *WORKER, "zygote", str(acks), str(ctx.user_id), *people],
        env=env, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    rng = random.Random()
    try:
        for run in range(1, KILLS + 1):
            before = acks.stat().st_size if acks.exists() else 0
            zygote.stdin.write(f"go {run}\n")
            zygote.stdin.flush()
            pid = int(zygote.stdout.readline())
            _wait_for_growth(acks, before)  # the child is up and saving: now kill it at a random moment
            time.sleep(rng.uniform(0.0, 0.3))
            os.kill(pid, signal.SIGKILL)
            _wait_gone(pid)
    finally:
        zygote.stdin.close()
        zygote.wait(timeout=30)
        zygote.stdout.close()

    lines = acks.read_text().split("\n")[:-1]  # a torn last line is not an acknowledgement
    sections: dict[tuple[str, str], tuple[int, int]] = {}
    photos_added, photos_deleted, deleting, revisions = set(), set(), set(), {}
    for line in lines:
        kind, *rest = line.split()
        if kind == "S":
            person_id, section, run, i = rest
            sections[(person_id, section)] = max(sections.get((person_id, section), (0, 0)), (int(run), int(i)))
        elif kind == "P":
            photos_added.add((rest[0], rest[1]))
        elif kind == "D":
            photos_deleted.add((rest[0], rest[1]))
        elif kind == "d":  # a delete was started: killed before its ack, the photo may legitimately be gone
            deleting.add((rest[0], rest[1]))
        elif kind == "V":
            revisions[(rest[0], int(rest[1]))] = (int(rest[2]), int(rest[3]))
    assert len(lines) >= KILLS, "the saver hardly ran between kills"
    lines = [line for line in lines if not line.startswith("d ")]  # intents are not acknowledgements

    # a new app start runs the start-up sweep (grace 0: every writer is dead)
    rows_now = set(db.session.execute(db.select(Photo.id)).scalars())
    blob_folder = Path(ctx.app.config["BLOB_PATH"])
    before_sweep = (len(list(blob_folder.glob("*.tmp"))), len({p.stem for p in blob_folder.glob("*.bin")} - rows_now))
    db.session.remove()
    db.engine.dispose()
    saved = os.environ.copy()
    os.environ.update({k: env[k] for k in ("HERBERT_INSTANCE_PATH", "HERBERT_DATABASE_URL")})
    try:
        fresh = create_app({"TESTING": True, "BLOB_SWEEP_GRACE_SECONDS": 0})
    finally:
        os.environ.clear()
        os.environ.update(saved)

    lost, unreadable = 0, 0
    with fresh.app_context():
        for (person_id, section), acked in sections.items():
            try:
                value = store.load_section(store.person_for(ctx.user_id, person_id), section)
                lost += (value["run"], value["i"]) < acked
            except store.RecordUnreadable:
                unreadable += 1
        for (person_id, number), (run, i) in revisions.items():
            try:
                assert store.load_revision(store.person_for(ctx.user_id, person_id), number) == {"run": run, "i": i}
            except store.RecordUnreadable:
                unreadable += 1
        photo_rows = set(db.session.execute(db.select(Photo.person_id, Photo.id)).all())
        lost += len((photos_added - photos_deleted - deleting) - photo_rows)
        assert not (photo_rows & photos_deleted), "a deleted photo came back"
        for person_id, photo_id in photo_rows:
            try:
                assert store.open_photo(store.person_for(ctx.user_id, person_id), photo_id).startswith(b"\xff\xd8")
            except store.RecordUnreadable:
                unreadable += 1
        blobs = Path(fresh.config["BLOB_PATH"])
        temp_files = list(blobs.glob("*.tmp"))
        orphans = {p.stem for p in blobs.glob("*.bin")} - {photo_id for _, photo_id in photo_rows}
        database = make_url(db.engine.url).database
        db.session.remove()
        db.engine.dispose()
    check = sqlite3.connect(database)
    integrity = check.execute("PRAGMA integrity_check").fetchall()
    check.close()
    print(
        f"\nB13: {KILLS} kills, {len(lines)} acknowledged saves ({len(sections)} sections, {len(photos_added)} photos "
        f"added, {len(photos_deleted)} deleted, {len(revisions)} versions): {lost} lost, {unreadable} undecryptable, "
        f"integrity_check {integrity[0][0]}; after the last kill {before_sweep[0]} temp files and "
        f"{before_sweep[1]} orphan blobs (each start sweeps too); after the sweep {len(temp_files)} temp files and "
        f"{len(orphans)} orphan blobs"
    )
    assert (lost, unreadable) == (0, 0)
    assert integrity == [("ok",)]
    assert temp_files == [] and orphans == set()


def _wait_for_growth(path: Path, size: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_size > size:
            return
        time.sleep(0.005)


def _wait_gone(pid: int) -> None:
    for _ in range(200):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.01)


@pytest.mark.slow
def test_b18_several_processes_saving_at_once_each_save_present_exactly_once(ctx):
    workers, count = 4, 20
    person_id = store.create_person(ctx.user_id)
    env = subprocess_env(ctx.app)
    processes = [
        subprocess.Popen(
            [PYTHON, *WORKER, "saver", str(w), str(count), str(ctx.user_id), person_id],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for w in range(workers)
    ]
    errors = []
    for process in processes:
        _, stderr = process.communicate(timeout=180)
        if process.returncode != 0:
            errors.append(stderr[-2000:])
    assert not errors, errors[0]

    db.session.expire_all()
    store.forget_cached_keys()
    person = store.person_for(ctx.user_id, person_id)
    draft = store.load_draft(person)
    rows = db.session.execute(db.select(DraftSection.section).filter_by(person_id=person_id)).scalars().all()
    assert len(rows) == len(set(rows)) == workers * count + 1  # one row per section, the shared one once
    for w in range(workers):
        for i in range(count):
            assert draft[f"w{w}-s{i}"] == {"worker": w, "i": i}
    assert draft["shared"]["i"] == count - 1  # the shared section holds some worker's last save
    numbers = db.session.execute(db.select(Revision.number).filter_by(person_id=person_id)).scalars().all()
    published = [store.load_revision(person, n) for n in numbers]
    expected = {(w, i) for w in range(workers) for i in range(0, count, 5)}
    assert sorted(numbers) == list(range(1, len(expected) + 1))
    assert sorted((d["worker"], d["i"]) for d in published) == sorted(expected)  # each exactly once
    photos = store.list_photos(person)
    assert sorted((p["worker"], p["i"]) for p in photos) == sorted((w, i) for w in range(workers) for i in (0, 10))
    assert sum(p["is_primary"] for p in photos) >= 1
    print(
        f"\nB18 ({db.engine.dialect.name}): {workers} processes × {count} rounds: {len(rows)} sections, "
        f"{len(numbers)} versions, {len(photos)} photos, each present exactly once"
    )
