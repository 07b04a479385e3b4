"""Form page benchmark (issue 4, "Performance"): a question page's GET and POST (save and continue,
through the encrypted store) via the Flask test client, against a trivial route in the same run.

    .venv/bin/python bench/bench_form_pages.py [--runs 300]

Prints p50/p95 in milliseconds for each and the ratio to the trivial route's p50. The trivial route is
the public /cookies page (same layout, headers and session handling, no database work beyond the
session). Requests are interleaved so background load affects all three alike. A throwaway instance in
a temp folder is used (SQLite); nothing is written to the repository.
"""

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from herbert import create_app  # noqa: E402
from herbert.extensions import db  # noqa: E402

PASSWORD = "correct horse battery staple 42"  # noqa: S105 (a throwaway bench account)
PAGE = "physical-description/clothing"
ANSWERS = {
    "usual_clothing": "Tweed skirt and a blue cardigan, usually with a brooch",
    "footwear": "Brown slip-on shoes",
    "usual_coat": "Navy raincoat",
    "hat": "Grey woolly hat in winter",
    "jewellery": "Wedding ring, gold watch",
    "gait": "Shuffles, slightly stooped",
}


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed(call) -> float:
    start = time.perf_counter()
    response = call()
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code in (200, 302), response.status_code
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=300)
    runs = parser.parse_args().runs

    instance = tempfile.mkdtemp(prefix="herbert-bench-")
    os.environ["HERBERT_INSTANCE_PATH"] = instance
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance}/herbert.db",
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        db.create_all()
    client = app.test_client()

    def token(path: str) -> str:
        page = client.get(path)
        match = re.search(r"name=\"csrf_token\"[^>]*value=\"([^\"]+)\"", page.text)
        assert match, (path, page.status_code)
        return match.group(1)

    client.post("/sign-up", data={"email": "bench@example.com", "password": PASSWORD, "csrf_token": token("/sign-up")})
    response = client.post("/people/new", data={"csrf_token": token("/people/new")})
    person_path = response.location.rsplit("/", 2)[0]
    page = f"{person_path}/{PAGE}"
    csrf = token(page)
    form = {"csrf_token": csrf, "action": "continue"} | ANSWERS

    calls = {
        "trivial GET /cookies": lambda: client.get("/cookies"),
        "form page GET": lambda: client.get(page),
        "form page POST (save)": lambda: client.post(page, data=form),
    }
    for call in calls.values():  # warm up templates, caches and the connection pool
        for _ in range(10):
            call()
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(runs):
        for name, call in calls.items():
            samples[name].append(timed(call))

    baseline = statistics.median(samples["trivial GET /cookies"])
    print(f"{runs} interleaved runs each (SQLite, test client, {os.cpu_count()} CPUs)")
    print(f"{'':24} {'p50 ms':>8} {'p95 ms':>8} {'p50 / trivial':>14}")
    for name, values in samples.items():
        p50 = statistics.median(values)
        print(f"{name:24} {p50:8.2f} {percentile(values, 0.95):8.2f} {p50 / baseline:14.2f}")


if __name__ == "__main__":
    main()
