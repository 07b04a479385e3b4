"""Email and reminder figures (issue 10), with a real job runner process and a real SMTP server on loopback.

    .venv/bin/python bench/bench_mail.py [--opens 10] [--people 10000] [--jobs-url redis://127.0.0.1:6379/4]

1. Police share open → the carer's email at the SMTP server: median and p95 of N opens, each timed from the
   police POST to the message's arrival, through the queue and `flask --app herbert jobs run`. Baseline in the
   same run: the same email sent straight from this process over SMTP (no queue, no runner).
2. Reminder run over N people (one verified carer each, review dates spread evenly over a year around the
   day): seconds for `reminders send`, emails queued and delivered by the runner, then a second run of the
   same day (0 queued) and the SMTP server's count of duplicates (0). Baseline: the due-date query alone.
"""

import argparse
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
NO_PASSWORD = "!"  # noqa: S105  (bench accounts never sign in)
sys.path.insert(0, str(ROOT))


class Mailbox:
    def __init__(self) -> None:
        self.arrivals: list[tuple[float, bytes]] = []
        self.lock = threading.Condition()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self.lock:
            self.arrivals.append((time.perf_counter(), envelope.content))
            self.lock.notify_all()
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 120) -> None:
        with self.lock:
            self.lock.wait_for(lambda: len(self.arrivals) >= count, timeout=timeout)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--opens", type=int, default=10)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--jobs-url", default="")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-mail-"))
    instance = folder / "instance"
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERBERT_")} | {
        "HERBERT_INSTANCE_PATH": str(instance),
        "HERBERT_PUBLIC_URL": "http://127.0.0.1:5000",
        "HERBERT_MAIL_SERVER": "127.0.0.1",
        "HERBERT_MAIL_PORT": str(port),
        "HERBERT_RATELIMIT_ENABLED": "false",
    }
    if args.jobs_url:
        import redis

        redis.Redis.from_url(args.jobs_url).flushdb()
        env["HERBERT_JOBS_URL"] = args.jobs_url
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "herbert", "init"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    os.environ.update(env)
    from herbert import create_app
    from herbert.extensions import db
    from herbert.handover.shares import lifecycle as shares
    from herbert.mail.delivery import OutboxMessage
    from herbert.mail.reminders import review_reminders, send_due_reminders
    from herbert.mail.senders import OutgoingEmail, SmtpSender
    from herbert.models import Membership, Person, User
    from herbert.records import store

    app = create_app({"JOBS_IMMEDIATE": False})
    runner = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "herbert", "jobs", "run", "--workers", "4", "--no-periodic"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(folder / "runner.log", "w"),  # noqa: SIM115
    )
    try:
        with app.app_context():
            user = User(email="carer@example.com", password_hash=NO_PASSWORD, email_verified_at=datetime.now())
            db.session.add(user)
            db.session.commit()
            person = db.session.get(Person, store.create_person(user.id))
            client = app.test_client()
            # warm the runner up: one message through before timing
            shares_made = [shares.create_share(person, user.id, {"document": {}}, 24) for _ in range(args.opens + 1)]
            latencies = []
            for number, issued in enumerate(shares_made):
                before = len(mailbox.arrivals)
                page = client.get(f"/police/share/{issued.token}")
                token = page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
                started = time.perf_counter()
                response = client.post(f"/police/share/{issued.token}", data={"csrf_token": token, "code": issued.code})
                assert response.status_code == 303, response.status_code
                mailbox.wait_for(before + 1, timeout=60)
                assert len(mailbox.arrivals) > before, (
                    f"no email; runner log: {(folder / 'runner.log').read_text()[-3000:]}"
                )
                if number:  # the first one warms the runner up
                    latencies.append(mailbox.arrivals[before][0] - started)
            direct = []
            sender = SmtpSender(app)
            for _ in range(args.opens):
                before = len(mailbox.arrivals)
                started = time.perf_counter()
                sender.send(OutgoingEmail("bench", "share-opened", "carer@example.com", "s", "text", "<p>html</p>"))
                mailbox.wait_for(before + 1)
                direct.append(mailbox.arrivals[before][0] - started)
            queued_median, direct_median = statistics.median(latencies), statistics.median(direct)
            storage = type(app.extensions["herbert.jobs"].huey).__name__
            p95 = percentile(latencies, 0.95)
            print(
                f"police share open -> carer's email at the SMTP server ({storage}, {len(latencies)} opens): "
                f"median {queued_median * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"
            )
            print(
                f"  baseline, the same email sent directly over SMTP: median {direct_median * 1000:.1f} ms; "
                f"ratio {queued_median / direct_median:.0f}x"
            )

            # --- reminders over many people -------------------------------------------------------------
            today = date(2026, 12, 1)
            rng = random.Random(10)
            users = [
                User(email=f"carer{n}@example.org", password_hash=NO_PASSWORD, email_verified_at=datetime(2026, 1, 1))
                for n in range(args.people)
            ]
            db.session.add_all(users)
            db.session.flush()
            for carer in users:
                person_id = secrets.token_hex(16)
                due = today + timedelta(days=rng.randint(-182, 182))
                db.session.add(
                    Person(id=person_id, status="published", next_review_on=datetime.combine(due, datetime.min.time()))
                )
                db.session.add(Membership(user_id=carer.id, person_id=person_id))
            db.session.commit()
            del users
            db.session.remove()  # a run starts with a fresh session, as the CLI and the periodic job do
            started = time.perf_counter()
            due_now = sum(1 for _ in review_reminders(today))
            baseline = time.perf_counter() - started
            before = len(mailbox.arrivals)
            started = time.perf_counter()
            counts = send_due_reminders(today)
            first_run = time.perf_counter() - started
            sent = sum(counts.values())
            assert sent == due_now, (sent, due_now)
            mailbox.wait_for(before + sent, timeout=600)
            delivered_after = time.perf_counter() - started
            started = time.perf_counter()
            again = sum(send_due_reminders(today).values())
            second_run = time.perf_counter() - started
            time.sleep(3)  # anything sent twice would arrive now
            received = [content for _at, content in mailbox.arrivals[before:]]
            recipients = [content.split(b"\nTo: ", 1)[1].split(b"\n", 1)[0] for content in received]
            duplicates = len(recipients) - len(set(recipients))
            queued_rows = db.session.execute(db.select(db.func.count()).select_from(OutboxMessage)).scalar()
            print(
                f"reminder run over {args.people} people (review dates spread over a year): {first_run:.2f} s, "
                f"{sent} emails queued ({dict(counts)}), all {len(received)} delivered by the runner "
                f"{delivered_after:.1f} s after the run started"
            )
            print(f"  baseline, the due-date query alone: {baseline:.2f} s; ratio {first_run / baseline:.1f}x")
            print(
                f"  second run of the same day: {second_run:.2f} s, {again} queued; duplicates at the SMTP server: "
                f"{duplicates}; outbox rows {queued_rows}"
            )
    finally:
        runner.send_signal(signal.SIGINT)
        runner.wait(timeout=30)
        controller.stop()


if __name__ == "__main__":
    main()
