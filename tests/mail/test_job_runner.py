"""The job runner: a real consumer process (`flask --app herbert jobs run`) on SQLite and on Redis, and the
housekeeping jobs (expired share snapshots, ended sessions) run in immediate mode."""

import os
import secrets
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from flask import Flask

from herbert import clock
from herbert.extensions import db
from herbert.jobs import housekeeping
from herbert.jobs.runner import JobRunner
from herbert.mail.models import OutboxMessage
from herbert.models import Person, Share, User, WebSession
from herbert.records import store
from tests.support.mail import Mailbox
from tests.support.pages import post

REDIS_URL = os.environ.get("HERBERT_TEST_REDIS_URL")
ROOT = Path(__file__).resolve().parents[2]


def start_runner(app: Flask, smtp: Mailbox, jobs_url: str) -> subprocess.Popen:
    env = {key: value for key, value in os.environ.items() if not key.startswith("HERBERT_")} | {
        "HERBERT_INSTANCE_PATH": app.instance_path,
        "HERBERT_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "HERBERT_PUBLIC_URL": "http://localhost",
        "HERBERT_MAIL_SERVER": "127.0.0.1",
        "HERBERT_MAIL_PORT": str(smtp.port),
        "HERBERT_MAIL_DEFAULT_SENDER": "noreply@example.org",
        "HERBERT_JOBS_NAME": app.config["JOBS_NAME"],
    }
    if jobs_url:
        env["HERBERT_JOBS_URL"] = jobs_url
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "herbert", "jobs", "run", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("storage", ["sqlite", "redis"])
def test_a_real_job_runner_sends_what_the_web_app_queued(app: Flask, backend: str, smtp: Mailbox, storage: str):
    if backend != "sqlite":
        pytest.skip("one database is enough to show the runner; the queue storage is what varies here")
    jobs_url = ""
    if storage == "redis":
        if not REDIS_URL:
            pytest.skip("needs HERBERT_TEST_REDIS_URL")
        jobs_url = REDIS_URL
    # A queue name of this test's own: the Redis test database is shared (rate-limit counters of tests running
    # beside this one live there), so only this queue's keys are ever looked at or deleted.
    app.config.update(JOBS_URL=jobs_url, JOBS_IMMEDIATE=False, JOBS_NAME=f"herbert_test_{secrets.token_hex(6)}")
    app.extensions["herbert.jobs"] = JobRunner(app)
    client = app.test_client()
    response = post(client, "/sign-up", {"email": "carer@example.com", "password": "correct horse battery staple 42"})
    assert response.status_code == 302
    assert smtp.messages == []  # queued, not sent inside the request
    if storage == "sqlite":
        assert (Path(app.instance_path) / "jobs.db").exists()
    runner = start_runner(app, smtp, jobs_url)
    try:
        (message,) = smtp.wait_for(1, timeout=60)
        assert message["Subject"] == "Confirm your email address"
        with app.app_context():
            deadline = time.monotonic() + 10  # the runner marks it sent just after the SMTP server took it
            while (row := db.session.execute(db.select(OutboxMessage)).scalar_one()).sent_at is None:
                assert time.monotonic() < deadline, "the runner never marked the message sent"
                db.session.rollback()
                time.sleep(0.1)
            assert row.to_address == ""
    finally:
        runner.send_signal(signal.SIGINT)  # what Ctrl-C does: finish, then stop
        _out, err = runner.communicate(timeout=30)
        if storage == "redis":
            delete_queue_keys(REDIS_URL, app.config["JOBS_NAME"])
    assert runner.returncode == 0, err[-2000:]
    assert "carer@example.com" not in err  # the runner's log names messages by id only


def queue_keys(url: str, name: str) -> list[bytes]:
    """The Redis keys of one huey queue (huey.redis.NAME, huey.schedule.NAME, ...), and no others."""
    client = redis.Redis.from_url(url)
    keys = client.scan_iter(match=f"huey.*.{name}*")
    return [key for key in keys if key.split(b".", 2)[2].split(b".")[0] == name.encode()]


def delete_queue_keys(url: str, name: str) -> None:
    keys = queue_keys(url, name)
    if keys:
        redis.Redis.from_url(url).delete(*keys)


def test_the_queue_on_redis_uses_its_own_keys_and_leaves_others_alone(app: Flask):
    """Two services (or this test suite and another) can share one Redis database: each queue's keys carry its
    name, and cleaning one up leaves every other key (another queue, rate-limit counters) where it was."""
    if not REDIS_URL:
        pytest.skip("needs HERBERT_TEST_REDIS_URL")
    client = redis.Redis.from_url(REDIS_URL)
    ours, theirs = (f"herbert_test_{secrets.token_hex(6)}" for _ in range(2))
    counter = f"LIMITER/test-{secrets.token_hex(6)}"  # as another test's rate-limit count would look
    client.set(counter, 3, ex=60)
    try:
        for name in (ours, theirs):
            app.config.update(JOBS_URL=REDIS_URL, JOBS_IMMEDIATE=False, JOBS_NAME=name)
            runner = JobRunner(app)
            runner.huey.enqueue(runner.tasks["herbert.jobs.housekeeping.purge_sessions"].s())
        assert [key.decode() for key in queue_keys(REDIS_URL, ours)] == [f"huey.redis.{ours}"]
        delete_queue_keys(REDIS_URL, ours)
        assert queue_keys(REDIS_URL, ours) == []
        assert [key.decode() for key in queue_keys(REDIS_URL, theirs)] == [f"huey.redis.{theirs}"]
        assert client.get(counter) == b"3"
    finally:
        delete_queue_keys(REDIS_URL, theirs)
        client.delete(counter)


def test_a_queue_name_huey_would_change_is_refused(app: Flask):
    app.config["JOBS_NAME"] = "herbert-staging"  # huey drops the "-": two names could share keys unnoticed
    with pytest.raises(RuntimeError, match="HERBERT_JOBS_NAME"):
        JobRunner(app)


def test_expired_shares_lose_their_snapshot_and_their_police_pdf_within_a_minute(app: Flask):
    """Both sealed copies of the record go: the snapshot and the police PDF rendered from it (a real PDF, kept
    as the share's background job keeps it), including a share whose snapshot an older job already emptied."""
    from herbert.handover.shares import lifecycle as shares
    from herbert.handover.shares import pdfs as share_pdfs

    with app.app_context():
        user = User(email="carer@example.com", password_hash="x")
        db.session.add(user)
        db.session.commit()
        person = db.session.get(Person, store.create_person(user.id))
        live, ending, emptied_before = (
            shares.create_share(person, user.id, {"document": {}}, 24).share for _ in range(3)
        )
        for share in (live, ending, emptied_before):
            assert share_pdfs.keep_share_pdf(share.id)  # rendered and sealed, as when a share is made
        assert share_pdfs.share_pdf(ending).startswith(b"%PDF")  # a real PDF of the record is kept
        ending.expires_at = emptied_before.expires_at = clock.utcnow() - timedelta(seconds=30)
        emptied_before.snapshot_sealed = b""  # what the job used to leave behind: the PDF without its snapshot
        db.session.commit()
        ids = live.id, ending.id, emptied_before.id
        assert housekeeping.drop_expired_snapshots() == 2
        db.session.expire_all()
        live, ending, emptied_before = (db.session.get(Share, share_id) for share_id in ids)
        assert ending.snapshot_sealed == b"" and ending.pdf_sealed is None
        assert emptied_before.snapshot_sealed == b"" and emptied_before.pdf_sealed is None
        assert live.snapshot_sealed != b"" and share_pdfs.share_pdf(live).startswith(b"%PDF")
        assert housekeeping.drop_expired_snapshots() == 0  # nothing left to drop


def test_ended_sessions_are_purged(app: Flask, client):
    post(client, "/sign-up", {"email": "carer@example.com", "password": "correct horse battery staple 42"})
    other = app.test_client()  # a second device signed in: a second session row
    post(other, "/sign-in", {"email": "carer@example.com", "password": "correct horse battery staple 42"})
    with app.app_context():
        before = db.session.execute(db.select(db.func.count()).select_from(WebSession)).scalar()
        assert before == 2
        assert housekeeping.purge_sessions() == 0  # nothing has ended yet
        clock.freeze(clock.utcnow() + timedelta(minutes=31))
        assert housekeeping.purge_sessions() == before
    clock.freeze(None)


def test_the_periodic_jobs_are_scheduled(app: Flask):
    tasks = app.extensions["herbert.jobs"].huey._registry._periodic_tasks
    names = {task.__name__ for task in tasks}
    every_minute = next(task for task in tasks if task.__name__.endswith("drop_expired_snapshots"))
    assert all(every_minute().validate_datetime(clock.utcnow().replace(minute=m)) for m in range(60))
    assert {
        "herbert.jobs.housekeeping.drop_expired_snapshots",
        "herbert.mail.reminders.send_reminders_periodically",
        "herbert.jobs.housekeeping.purge_sessions",
    } <= names


def test_the_nightly_sweep_removes_orphan_blobs(app: Flask):
    """The blob pass the start-up sweep leaves to the job runner when photos live in object storage."""
    from herbert.models import Photo
    from herbert.photos import cleaning
    from herbert.records.blobs import blob_store
    from tests.support.photos import jpeg

    with app.app_context():
        user = User(email="carer@example.com", password_hash="x")
        db.session.add(user)
        db.session.commit()
        person = db.session.get(Person, store.create_person(user.id))
        photo_id = store.add_photo(person, cleaning.clean_photo(jpeg(64, 48)).jpeg, {"kind": "other"})
        db.session.execute(db.delete(Photo).filter_by(id=photo_id))  # as if killed before the row committed
        db.session.commit()
        blobs = blob_store(app)
        assert photo_id in set(blobs.list_keys())
        app.config["BLOB_SWEEP_GRACE_SECONDS"] = -60
        housekeeping.nightly_sweep()
        assert photo_id not in set(blobs.list_keys())
