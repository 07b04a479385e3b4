"""Reminders that keep forms current, each sent once (the unique key of sent_reminders), to verified carers.

- review: 30 days before the next review date ("soon"), on the day ("due", caught up within 14 days if the
  runner was down), then every 14 days while overdue, at most three times ("overdue-1".."overdue-3").
  The key holds the review date, so confirming a new version (which moves the date) starts afresh and the
  old reminders stop.
- photo: the newest head-and-shoulders photo older than 6 months, then 12 months (the key holds the photo
  id, so adding a new photo stops them).
- draft: a form started 7 days ago or more and never confirmed: one nudge.

Erased people have status "erased" and are skipped; their rows go with them. Two runs at once (two runners,
or the CLI next to the periodic job) cannot send twice: the second insert of a key fails and is skipped.

    flask --app herbert reminders send --today 2026-12-01
"""

import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import click
from flask.cli import AppGroup
from huey import crontab
from sqlalchemy.exc import IntegrityError

from herbert.clock import utcnow
from herbert.extensions import db
from herbert.jobs.registry import job
from herbert.mail.delivery import enqueue_messages, new_message_row
from herbert.mail.models import SentReminder
from herbert.models import Membership, Person, Photo, Revision, User
from herbert.photos.cleaning import photo_freshness

log = logging.getLogger("herbert.mail")

SOON_DAYS = 30
OVERDUE_EVERY_DAYS = 14
MAX_OVERDUE = 3
DRAFT_NUDGE_DAYS = 7
BATCH = 500


@dataclass(frozen=True)
class Recipient:
    """The few account fields a reminder needs (plain values: no ORM reloads after each batch's commit)."""

    id: int
    email: str


@dataclass(frozen=True)
class Due:
    key: str
    kind: str  # review | photo | draft (the mute categories)
    user: "Recipient"
    person_id: str
    message_kind: str
    params: dict[str, str]


def review_stage(due: date, today: date) -> str | None:
    days = (due - today).days
    if 0 < days <= SOON_DAYS:
        return "soon"
    if -OVERDUE_EVERY_DAYS < days <= 0:
        return "due"
    if days <= -OVERDUE_EVERY_DAYS:
        number = -days // OVERDUE_EVERY_DAYS
        return f"overdue-{number}" if number <= MAX_OVERDUE else None
    return None


def _carers(person_ids: list[str], category: str) -> dict[str, list[Recipient]]:
    """Verified, enabled carers of each person who have not turned this kind of reminder off."""
    carers: dict[str, list[Recipient]] = {}
    for start in range(0, len(person_ids), BATCH):
        chunk = person_ids[start : start + BATCH]
        rows = db.session.execute(
            db.select(Membership.person_id, User.id, User.email, User.muted_notices)
            .join(User, User.id == Membership.user_id)
            .where(Membership.person_id.in_(chunk), User.email_verified_at.is_not(None), User.disabled.is_(False))
        ).all()
        for person_id, user_id, email, muted in rows:
            if category not in (muted or "").split(","):
                carers.setdefault(person_id, []).append(Recipient(user_id, email))
    return carers


def review_reminders(today: date) -> Iterator[Due]:
    window_start = datetime.combine(today - timedelta(days=OVERDUE_EVERY_DAYS * (MAX_OVERDUE + 1)), datetime.min.time())
    window_end = datetime.combine(today + timedelta(days=SOON_DAYS), datetime.max.time())
    people = db.session.execute(
        db.select(Person.id, Person.next_review_on).where(
            Person.status == "published", Person.next_review_on.between(window_start, window_end)
        )
    ).all()
    carers = _carers([person_id for person_id, _ in people], "review")
    for person_id, review_on in people:
        due = review_on.date()
        stage = review_stage(due, today)
        if stage is None:
            continue
        for user in carers.get(person_id, []):
            params = {"stage": stage.split("-")[0], "due": due.strftime("%-d %B %Y"), "person_id": person_id}
            yield Due(
                f"review:{person_id}:{due.isoformat()}:{stage}:{user.id}",
                "review",
                user,
                person_id,
                "review-due",
                params,
            )


def photo_reminders(today: date) -> Iterator[Due]:
    from herbert.records import store

    with_photos = set(db.session.execute(db.select(Photo.person_id).distinct()).scalars())
    people = [
        person
        for person in db.session.execute(db.select(Person).where(Person.status == "published")).scalars()
        if person.id in with_photos
    ]
    carers = _carers([person.id for person in people], "photo")
    for person in people:
        if person.id not in carers:
            continue  # nobody to tell: do not open the record at all
        try:
            freshness = photo_freshness(store.list_photos(person), today=today)
        except store.RecordUnreadable:
            log.warning("photo reminder skipped for person %s (record unreadable)", person.id)
            continue
        months = {"due": "6", "out_of_date": "12"}.get(freshness["status"])
        if months is None:
            continue
        for user in carers[person.id]:
            yield Due(
                f"photo:{person.id}:{freshness['photo_id']}:{months}:{user.id}",
                "photo",
                user,
                person.id,
                "photo-old",
                {"months": months, "person_id": person.id},
            )


def draft_reminders(today: date) -> Iterator[Due]:
    cutoff = datetime.combine(today - timedelta(days=DRAFT_NUDGE_DAYS), datetime.max.time())
    published = db.select(Revision.person_id).distinct()
    people = list(
        db.session.execute(
            db.select(Person.id).where(
                Person.status == "draft", Person.created_at <= cutoff, Person.id.not_in(published)
            )
        ).scalars()
    )
    carers = _carers(people, "draft")
    for person_id in people:
        for user in carers.get(person_id, []):
            yield Due(f"draft:{person_id}:{user.id}", "draft", user, person_id, "draft-nudge", {"person_id": person_id})


def _queue_batch(batch: list[Due]) -> list[Due]:
    """Queue the reminders of one batch not sent before; returns those queued now."""
    keys = [item.key for item in batch]
    already = set(db.session.execute(db.select(SentReminder.key).where(SentReminder.key.in_(keys))).scalars())
    fresh = [item for item in batch if item.key not in already]
    if not fresh:
        return []
    try:
        ids = _insert(fresh)
        db.session.commit()
    except IntegrityError:  # another run queued some of these meanwhile: go one by one
        db.session.rollback()
        ids, queued = [], []
        for item in fresh:
            try:
                ids += _insert([item])
                db.session.commit()
                queued.append(item)
            except IntegrityError:
                db.session.rollback()
        enqueue_messages(ids)
        return queued
    enqueue_messages(ids)
    return fresh


def _insert(items: list[Due]) -> list[str]:
    ids = []
    for item in items:
        db.session.add(SentReminder(key=item.key, kind=item.kind, user_id=item.user.id, person_id=item.person_id))
        ids.append(new_message_row(item.user, item.message_kind, **item.params).id)
    db.session.flush()
    return ids


def send_due_reminders(today: date | None = None) -> Counter:
    """Queue every reminder due on `today` that was not sent before; returns counts per kind."""
    today = today or utcnow().date()
    counts: Counter = Counter({"review": 0, "photo": 0, "draft": 0})
    for source in (review_reminders, photo_reminders, draft_reminders):
        batch: list[Due] = []
        for item in source(today):
            batch.append(item)
            if len(batch) >= BATCH:
                counts.update(item.kind for item in _queue_batch(batch))
                batch = []
        counts.update(item.kind for item in _queue_batch(batch))
    log.info("reminders queued: %s", ", ".join(f"{kind} {count}" for kind, count in counts.items()))
    return counts


@job(schedule=crontab(minute="5", hour="8-20"))
def send_reminders_periodically() -> None:
    """Every hour in the day (UTC): idempotent, so a runner that was down catches up at its next run."""
    send_due_reminders()


reminders_cli = AppGroup("reminders", help="Review, photo and draft reminders.")


@reminders_cli.command("send")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Run as of this day.")
def send_command(today: datetime | None) -> None:
    """Queue the reminders due as of a day (default today) and print how many of each kind."""
    counts = send_due_reminders(today.date() if today else None)
    for kind in ("review", "photo", "draft"):
        click.echo(f"{kind}: {counts[kind]}")
