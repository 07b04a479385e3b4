"""A real process that saves through the record store, for the crash (B13) and concurrency (B18) tests.

    python -m tests.support.store_worker zygote ACK_FILE USER_ID PERSON_ID...
        (B13) reads "go RUN" lines on stdin, forks a child per line that saves in a loop until killed, and
        prints the child's pid. Each save is written to ACK_FILE only after its commit returned, so an ack
        line means "this save was acknowledged".
    python -m tests.support.store_worker saver WORKER COUNT USER_ID PERSON_ID
        (B18) saves COUNT times, then exits.

The instance comes from HERBERT_INSTANCE_PATH / HERBERT_DATABASE_URL, as for the real app.
"""

import os
import random
import signal
import sys

from herbert import create_app
from herbert.extensions import db
from herbert.records import store
from tests.support.store import jpeg_with_exif

SECTIONS = ("about-the-person", "health-and-medication", "routines-and-interests", "contacts")


def save_until_killed(run: int, ack_path: str, user_id: int, person_ids: list[str]) -> None:
    app = create_app()
    rng = random.Random(run)
    ack = os.open(ack_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    jpeg = jpeg_with_exif("crash-test photo")

    def acknowledge(line: str) -> None:
        os.write(ack, (line + "\n").encode())

    with app.app_context():
        people = {pid: store.person_for(user_id, pid) for pid in person_ids}
        mine: list[tuple[str, str]] = []
        i = 0
        while True:
            i += 1
            person_id = rng.choice(person_ids)
            person = people[person_id]
            roll = rng.random()
            if roll < 0.70:
                section = rng.choice(SECTIONS)
                store.save_section(person, section, {"run": run, "i": i, "notes": "x" * rng.randint(10, 3000)})
                acknowledge(f"S {person_id} {section} {run} {i}")
            elif roll < 0.82:
                photo_id = store.add_photo(person, jpeg, {"caption": f"run {run} photo {i}"})
                mine.append((person_id, photo_id))
                acknowledge(f"P {person_id} {photo_id}")
            elif roll < 0.90 and mine:
                owner, photo_id = mine.pop(rng.randrange(len(mine)))
                acknowledge(f"d {owner} {photo_id}")  # intent: from here the photo may or may not be gone
                store.delete_photo(people[owner], photo_id)
                acknowledge(f"D {owner} {photo_id}")
            else:
                number = store.publish(person, user_id, {"run": run, "i": i}, None)
                acknowledge(f"V {person_id} {number} {run} {i}")


def zygote(ack_path: str, user_id: int, person_ids: list[str]) -> None:
    """Import and warm everything once, then fork a fresh saver per request (fast, single-threaded fork)."""
    warm = create_app()
    with warm.app_context():
        db.engine.dispose()  # no open database connection may cross the fork
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped automatically
    for line in sys.stdin:
        run = int(line.split()[1])
        pid = os.fork()
        if pid == 0:
            try:
                save_until_killed(run, ack_path, user_id, person_ids)
            finally:
                os._exit(1)
        print(pid, flush=True)


def saver(worker: int, count: int, user_id: int, person_id: str) -> None:
    app = create_app()
    jpeg = jpeg_with_exif(f"worker {worker}")
    with app.app_context():
        person = store.person_for(user_id, person_id)
        for i in range(count):
            store.save_section(person, f"w{worker}-s{i}", {"worker": worker, "i": i})
            store.save_section(person, "shared", {"worker": worker, "i": i})
            if i % 5 == 0:
                store.publish(person, user_id, {"worker": worker, "i": i}, None)
            if i % 10 == 0:
                store.add_photo(person, jpeg, {"worker": worker, "i": i})


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "zygote":
        zygote(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
    else:
        saver(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
