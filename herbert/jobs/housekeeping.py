"""Housekeeping jobs that used to wait for a page view or a restart.

- drop_expired_snapshots: every minute, expired or locked shares lose their sealed copies of the record (the
  snapshot and its rendered police PDF), so neither outlives the share's expiry by more than about a minute.
  This job is the only place that happens for expiry: no page view does housekeeping.
- purge_sessions: every hour, session rows past the idle or absolute limit are deleted (they are refused
  anyway; this keeps the table small), and sent outbox rows older than 30 days go.
- nightly_sweep: every night, the whole sweep (temp files, orphan blobs, unfinished erasures), blob pass
  included (with object storage start-up skips it). It stays at start-up too: before any request is safest.
"""

import logging
from datetime import timedelta

from flask import current_app
from huey import crontab

from herbert.clock import utcnow
from herbert.extensions import db
from herbert.jobs.registry import job
from herbert.mail.models import AccountToken, OutboxMessage
from herbert.models import Share, WebSession

log = logging.getLogger(__name__)

KEEP_SENT_DAYS = 30


@job(schedule=crontab(minute="*"))
def drop_expired_snapshots() -> int:
    """Empty both sealed copies of every share that can no longer open; returns how many shares held one.

    The kept police PDF is the whole record rendered, so it must go with the snapshot (a share that lost only
    its snapshot before this job cleared both is caught too)."""
    now = utcnow()
    result = db.session.execute(
        db.update(Share)
        .where(
            (Share.snapshot_sealed != b"") | Share.pdf_sealed.is_not(None),
            (Share.expires_at <= now) | Share.locked_at.is_not(None),
        )
        .values(snapshot_sealed=b"", pdf_sealed=None)
    )
    db.session.commit()
    if result.rowcount:
        log.info("dropped the sealed copies of %d expired or locked shares", result.rowcount)
    return result.rowcount


@job(schedule=crontab(minute="17"))
def purge_sessions() -> int:
    now = utcnow()
    idle = now - timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    absolute = now - timedelta(hours=current_app.config["SESSION_ABSOLUTE_HOURS"])
    result = db.session.execute(
        db.delete(WebSession).where((WebSession.last_seen_at < idle) | (WebSession.created_at < absolute))
    )
    old = now - timedelta(days=KEEP_SENT_DAYS)
    db.session.execute(db.delete(OutboxMessage).where(OutboxMessage.sent_at < old))
    db.session.execute(db.delete(AccountToken).where(AccountToken.expires_at < old))
    db.session.commit()
    if result.rowcount:
        log.info("purged %d ended sessions", result.rowcount)
    return result.rowcount


@job(schedule=crontab(minute="40", hour="3"))
def nightly_sweep() -> None:
    """The whole sweep, blob pass included (with object storage, start-up leaves the bucket to this job)."""
    from herbert.records.sweep import DEFAULT_GRACE_SECONDS, sweep

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    result = sweep(app, grace_seconds=float(app.config.get("BLOB_SWEEP_GRACE_SECONDS", DEFAULT_GRACE_SECONDS)))
    log.info(
        "nightly sweep: removed %d temporary files and %d orphan blobs, finished %d erasures",
        result.temp_files,
        result.orphan_blobs,
        result.erasures_finished,
    )
