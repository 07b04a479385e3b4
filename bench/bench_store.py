"""Record store benchmark (issue 3): run `.venv/bin/python bench/bench_store.py`.

Prints:
- seal+open of a fully filled form's JSON (microseconds);
- the save path (store.save_section: seal, select, update, commit on SQLite with synchronous=FULL) with
  encryption vs the very same path with the seal step replaced by plain JSON, interleaved in one run,
  medians compared (target ratio <= 1.10);
- opening 500 people's names for a dashboard (store.people_for; target <= 100 ms).
A throwaway instance in a temp folder is used; nothing is written to the repository.
"""

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from herbert import create_app, crypto  # noqa: E402
from herbert.extensions import db  # noqa: E402
from herbert.models import User  # noqa: E402
from herbert.records import store  # noqa: E402


def filled_form() -> dict:
    """Every question of the real form answered (plain text of realistic length; rows x3)."""
    try:
        from herbert.questions.registry import SECTIONS, iter_questions
    except ImportError:
        return {f"section-{s}": {f"q{q}": "An answer of typical length " * 3 for q in range(15)} for s in range(13)}
    document = {}
    for section in SECTIONS:
        answers = {}
        for question in iter_questions(section):
            if question.row_questions:
                answers[question.name] = [
                    {"id": f"r{r}"} | {q.name: f"{q.label} answer {r}" for q in question.row_questions}
                    for r in range(3)
                ]
            else:
                answers[question.name] = f"{question.label}: an answer of typical length for this question"
        document[section.slug] = answers
    return document


def median_us(samples: list[float]) -> float:
    return statistics.median(samples) * 1e6


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="herbert-bench-"))
    os.environ["HERBERT_INSTANCE_PATH"] = str(folder)
    app = create_app({"TESTING": True})
    with app.app_context():
        db.create_all()
        user = User(email="bench@example.com", password_hash="not-a-hash")  # noqa: S106
        db.session.add(user)
        db.session.commit()
        document = filled_form()
        plaintext = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        key = crypto.new_data_key()
        aad = crypto.associated_data("revisions", "p", "v1")

        # 1. seal + open of the whole form
        samples = []
        for _ in range(2000):
            started = time.perf_counter()
            crypto.open_sealed(key, crypto.seal(key, plaintext, aad), aad)
            samples.append(time.perf_counter() - started)
        print(f"form JSON: {len(document)} sections, {len(plaintext)} bytes")
        print(f"seal+open of the whole form: median {median_us(samples):.1f} us")

        # 2. the save path, encrypted vs plaintext, interleaved (same person, same sections, same database)
        user_id, person_id = user.id, store.create_person(user.id)
        sealing = store._seal_json

        def plain_json(person, table, record_id, part, value):  # the same path minus encryption
            return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()

        sections = list(document.items())
        encrypted, plain = [], []
        for round_ in range(600):
            section, answers = sections[round_ % len(sections)]
            for mode in ("enc", "plain") if round_ % 2 else ("plain", "enc"):
                store._seal_json = sealing if mode == "enc" else plain_json
                with app.app_context():  # one request each, as a view does it: load the person, then save
                    person = store.person_for(user_id, person_id)
                    started = time.perf_counter()
                    store.save_section(person, section, answers)
                    (encrypted if mode == "enc" else plain).append(time.perf_counter() - started)
        store._seal_json = sealing
        ratio = statistics.median(encrypted) / statistics.median(plain)
        paired = statistics.median(e / p for e, p in zip(encrypted, plain, strict=True))
        print(
            f"save_section (SQLite, synchronous=FULL): encrypted median {median_us(encrypted):.0f} us, "
            f"plaintext median {median_us(plain):.0f} us, ratio {ratio:.3f} (median of paired ratios "
            f"{paired:.3f}; target <= 1.10)"
        )

        # 3. the dashboard: 500 people's names
        db.session.execute(db.delete(db.metadata.tables["draft_sections"]))
        db.session.commit()
        for n in range(500):
            someone = store.person_for(user_id, store.create_person(user_id))
            store.save_summary(someone, {"name": f"Person {n}", "preferred_name": f"P{n}"})
        timings = []
        for _ in range(15):
            with app.app_context():  # a fresh request: no cached data keys
                started = time.perf_counter()
                people = store.people_for(user_id)
                timings.append(time.perf_counter() - started)
        assert len(people) == 501
        median_ms = statistics.median(timings) * 1000
        print(f"people_for with 501 people (names opened): median {median_ms:.1f} ms (target <= 100 ms)")
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
