"""Growth: does the time per person stay flat from 1,000 to 100,000 people? (issue 14)

    .venv/bin/python bench/bench_growth.py [--sizes 1000,10000,100000] [--postgres] [--budget 600] [--repeat 1]

A throwaway instance (SQLite by default; --postgres makes and drops a database of its own on the server of
HERBERT_TEST_DATABASE_URL) is grown step by step to each size: accounts of 5 people each (verified email
addresses), every person with a wrapped data key, a sealed summary and one sealed draft section (like
tests/records/store_helpers.seed_people). Four in five people are published, with a review date spread evenly
over a year around today and one head-and-shoulders photo (its sealed details only) taken up to two years ago;
the fifth is a draft started a month ago. At each size it measures, each in a fresh app context as a request or
a command has:
- the dashboard: `store.people_for` of 50 accounts picked at random (5 people each): median and p95 in ms,
  which should not grow with the number of people in the database;
- `flask reminders send --today TODAY` (the real command, run in process, jobs queued to the instance's SQLite
  queue as on one machine): the first run of the day (every reminder due is queued: the sent-reminder and
  outbox rows of the step before are cleared first, untimed) and a second run (nothing left to queue: what
  each of the runner's hourly runs costs afterwards), each as wall time and time per person;
- `flask keys rotate` (the real command, run in process): wall time and time per person, which should stay flat.
Ratios to the first size are printed. With --repeat N the reminder runs and the rotation are each measured N
times at every size and the fastest is kept (on a machine shared with other work, the least disturbed run).
Growing stops early when the next step is forecast to exceed --budget seconds (this is a 2-core machine shared
with other work), and the output says how far it got. The throwaway database and instance folder are removed
at the end, also after Ctrl-C or SIGTERM.
"""

import argparse
import json
import os
import random
import re
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from herbert import create_app, crypto  # noqa: E402
from herbert.clock import utcnow  # noqa: E402
from herbert.extensions import db  # noqa: E402
from herbert.mail.models import OutboxMessage, SentReminder  # noqa: E402
from herbert.models import DraftSection, Membership, Person, Photo, User  # noqa: E402
from herbert.records import store  # noqa: E402
from herbert.records.keys import key_wrapper  # noqa: E402

PEOPLE_PER_ACCOUNT = 5
DASHBOARD_SAMPLES = 50
BATCH_ACCOUNTS = 400  # 2,000 people per commit
TODAY = utcnow().date()
UNUSED = "-"  # noqa: S105 (no password: these accounts never sign in)


def add_accounts(count: int) -> list[int]:
    """`count` accounts of 5 people each, committed in batches (inside an app context)."""
    wrapper = key_wrapper()
    user_ids: list[int] = []
    started = datetime.combine(TODAY - timedelta(days=30), datetime.min.time())
    for start in range(0, count, BATCH_ACCOUNTS):
        accounts = [
            User(email=f"growth-{secrets.token_hex(8)}@example.com", password_hash=UNUSED, email_verified_at=started)
            for _ in range(min(BATCH_ACCOUNTS, count - start))
        ]
        db.session.add_all(accounts)
        db.session.flush()
        people, later = [], []
        for account in accounts:
            for n in range(PEOPLE_PER_ACCOUNT):
                person_id = secrets.token_hex(16)
                key = crypto.new_data_key()
                kek_id, wrapped = wrapper.wrap_data_key(key, person_id)
                summary = crypto.seal(
                    key, b'{"name":"Person %d"}' % n, crypto.associated_data("people", person_id, "summary")
                )
                section = crypto.seal(
                    key, b'{"n":1}', crypto.associated_data("draft_sections", person_id, "about-the-person")
                )
                person = Person(id=person_id, kek_id=kek_id, wrapped_key=wrapped, summary_sealed=summary)
                if n < PEOPLE_PER_ACCOUNT - 1:  # published, with a review date and a photo of some age
                    person.status = "published"
                    review = TODAY + timedelta(days=random.randrange(-120, 245))  # noqa: S311 (test data)
                    person.next_review_on = datetime.combine(review, datetime.min.time())
                    photo_id = secrets.token_hex(16)
                    taken = TODAY - timedelta(days=random.randrange(0, 730))  # noqa: S311 (test data)
                    details = json.dumps({"kind": "head_and_shoulders", "taken_on": taken.isoformat()}).encode()
                    sealed = crypto.seal(key, details, crypto.associated_data("photos", photo_id, "details"))
                    later.append(Photo(id=photo_id, person_id=person_id, details_sealed=sealed, is_primary=True))
                else:  # a draft started a month ago and never confirmed
                    person.created_at = started
                people.append(person)
                later.append(Membership(user_id=account.id, person_id=person_id))
                later.append(DraftSection(person_id=person_id, section="about-the-person", answers_sealed=section))
        db.session.add_all(people)
        db.session.flush()
        db.session.add_all(later)
        user_ids += [account.id for account in accounts]
        db.session.commit()
        db.session.expunge_all()
    return user_ids


def dashboard_ms(app, users: list[int]) -> list[float]:
    samples = []
    for user_id in random.sample(users, min(DASHBOARD_SAMPLES, len(users))):
        with app.app_context():
            started = time.perf_counter()
            summaries = store.people_for(user_id)
            samples.append((time.perf_counter() - started) * 1000)
            assert len(summaries) == PEOPLE_PER_ACCOUNT and all(s.readable for s in summaries)
    return samples


def reminders_s(app) -> tuple[float, float, dict[str, int]]:
    """The first reminder run of the day (after clearing what the step before queued) and a second run:
    (first s, second s, what the first queued)."""
    with app.app_context():
        db.session.execute(db.delete(SentReminder))
        db.session.execute(db.delete(OutboxMessage))
        db.session.commit()
    times: list[float] = []
    queued: dict[str, int] = {}
    for run in range(2):
        with app.app_context():
            started = time.perf_counter()
            result = app.test_cli_runner().invoke(args=["reminders", "send", "--today", TODAY.isoformat()])
            times.append(time.perf_counter() - started)
            assert result.exit_code == 0, result.output
            counts = {kind: int(n) for kind, n in re.findall(r"^(\w+): (\d+)$", result.output, re.MULTILINE)}
            if run == 0:
                queued = counts
            else:
                assert not any(counts.values()), f"a second run queued {counts}"
    return times[0], times[1], queued


def rotate_s(app) -> float:
    with app.app_context():
        started = time.perf_counter()
        result = app.test_cli_runner().invoke(args=["keys", "rotate", "--batch-size", "500"])
        elapsed = time.perf_counter() - started
        assert result.exit_code == 0, result.output
        assert sum(n for kid, n in store.people_by_key().items() if kid != store.key_wrapper().active_id) == 0
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--budget", type=float, default=600, help="seconds the whole run may take, roughly")
    parser.add_argument("--repeat", type=int, default=1, help="measure reminders and rotation N times, keep the best")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so the database and folder are still removed
    sizes = [int(size) for size in args.sizes.split(",")]

    instance = Path(tempfile.mkdtemp(prefix="herbert-bench-growth-"))
    os.environ["HERBERT_INSTANCE_PATH"] = str(instance)
    admin, database = None, f"herbert_growth_{secrets.token_hex(4)}"
    config = {"TESTING": True, "JOBS_IMMEDIATE": False}  # reminders are queued for a runner, not sent here
    if args.postgres:
        server = os.environ.get("HERBERT_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
        server = server.replace("postgresql://", "postgresql+psycopg://", 1)
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{database}"'))
        config["SQLALCHEMY_DATABASE_URI"] = server.rsplit("/", 1)[0] + f"/{database}"
    app = create_app(config)
    rows = []
    started_all = time.perf_counter()
    try:
        with app.app_context():
            db.create_all()
        users: list[int] = []
        for size in sizes:
            have = len(users) * PEOPLE_PER_ACCOUNT
            spent = time.perf_counter() - started_all
            if rows:  # forecast: seeding and rotation scale with the people added and held
                per_person = (spent / max(have, 1)) * 1.3
                work = (rows[-1]["rotate"] + rows[-1]["remind"] + rows[-1]["again"]) * args.repeat
                if spent + per_person * (size - have) + work / have * size > args.budget:
                    print(f"stopping before {size:,} people: forecast past the {args.budget:.0f} s budget")
                    break
            seeding = time.perf_counter()
            with app.app_context():
                users += add_accounts((size - have) // PEOPLE_PER_ACCOUNT)
            seeding = time.perf_counter() - seeding
            dashboard = dashboard_ms(app, users)
            runs = [reminders_s(app) for _ in range(args.repeat)]
            remind, again, queued = min(run[0] for run in runs), min(run[1] for run in runs), runs[0][2]
            rotation = min(rotate_s(app) for _ in range(args.repeat))
            rows.append({"size": size, "seed": seeding, "dash": dashboard, "rotate": rotation, "remind": remind,
                         "again": again, "queued": queued})  # fmt: skip
            print(
                f"{size:>8,} people: seeded +{size - have:,} in {seeding:.1f} s; dashboard (5 people) median "
                f"{statistics.median(dashboard):.1f} ms; reminders send {remind:.1f} s = {remind / size * 1e6:.0f} "
                f"us/person (queued {queued}), again {again:.1f} s; keys rotate {rotation:.1f} s = "
                f"{rotation / size * 1e6:.0f} us/person",
                flush=True,
            )
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            admin.dispose()
        shutil.rmtree(instance, ignore_errors=True)
    engine = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"\n{engine}, {os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f} at the end); accounts of "
        f"{PEOPLE_PER_ACCOUNT} people; best of {args.repeat}; ratios to {rows[0]['size']:,}"
    )
    print(
        f"{'people':>9}{'dash p50 ms':>13}{'dash p95 ms':>13}{'ratio':>7}"
        f"{'remind s':>10}{'us/person':>11}{'ratio':>7}{'again s':>9}{'us/person':>11}"
        f"{'rotate s':>10}{'us/person':>11}{'ratio':>7}"
    )
    base_dash = statistics.median(rows[0]["dash"])
    base_remind = rows[0]["remind"] / rows[0]["size"]
    base_rotate = rows[0]["rotate"] / rows[0]["size"]
    for row in rows:
        dash = statistics.median(row["dash"])
        p95 = sorted(row["dash"])[int(0.95 * (len(row["dash"]) - 1))]
        remind, again, rotate = (row[name] / row["size"] for name in ("remind", "again", "rotate"))
        print(
            f"{row['size']:>9,}{dash:>13.1f}{p95:>13.1f}{dash / base_dash:>7.2f}"
            f"{row['remind']:>10.1f}{remind * 1e6:>11.0f}{remind / base_remind:>7.2f}{row['again']:>9.1f}"
            f"{again * 1e6:>11.0f}{row['rotate']:>10.1f}{rotate * 1e6:>11.0f}{rotate / base_rotate:>7.2f}"
        )
    for row in rows:
        print(f"queued by the first reminder run at {row['size']:,} people: {row['queued']}")
    print(f"total {time.perf_counter() - started_all:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
