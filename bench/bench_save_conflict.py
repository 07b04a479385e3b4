"""Save-clash benchmark (issue 11): two carers save the same page; the second gets "Someone else changed
this section" (409) and keeps their answers (302). Timed against an ordinary save in the same run.

    .venv/bin/python bench/bench_save_conflict.py [--runs 200]

Prints p50/p95 in milliseconds and the ratio to the ordinary save's p50 for: an ordinary save, the
stale save that shows the clash page, the "keep my answers" save, and the whole round trip (the last
two together). Interleaved, so background load affects all alike. Throwaway SQLite instance in a temp
folder; nothing is written to the repository.
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
from herbert.clock import utcnow  # noqa: E402
from herbert.extensions import db  # noqa: E402
from herbert.models import User  # noqa: E402

PASSWORD = "correct horse battery staple 42"  # noqa: S105 (throwaway bench accounts)
PAGE = "physical-description/clothing"


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed(call, expected: int) -> float:
    start = time.perf_counter()
    response = call()
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == expected, (response.status_code, expected)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    runs = parser.parse_args().runs

    instance = tempfile.mkdtemp(prefix="herbert-bench-")
    os.environ["HERBERT_INSTANCE_PATH"] = instance
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance}/herbert.db",
            "RATELIMIT_ENABLED": False,
            "PUBLIC_URL": "http://localhost",
        }
    )
    with app.app_context():
        db.create_all()
    anna, ben = app.test_client(), app.test_client()

    def hidden_fields(html: str) -> dict[str, str]:
        fields = {}
        for tag in re.findall(r"<input[^>]*>", html):
            name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
            if 'type="hidden"' in tag and name:
                fields[name.group(1)] = value.group(1) if value else ""
        return fields

    def hidden(client, path: str) -> dict[str, str]:
        return hidden_fields(client.get(path).text)

    def sign_up(client, email: str) -> None:
        token = hidden(client, "/sign-up")["csrf_token"]
        client.post("/sign-up", data={"email": email, "password": PASSWORD, "csrf_token": token})

    sign_up(anna, "anna@example.com")
    sign_up(ben, "ben@example.com")
    with app.app_context():  # invitations are accepted by confirmed addresses only; the bench skips the email
        db.session.execute(db.update(User).values(email_verified_at=utcnow()))
        db.session.commit()
    response = anna.post("/people/new", data={"csrf_token": hidden(anna, "/people/new")["csrf_token"]})
    person_path = response.location.rsplit("/", 2)[0]
    invite = anna.post(
        f"{person_path}/carers/invite",
        data={"csrf_token": hidden(anna, "/account")["csrf_token"], "email": "ben@example.com", "role": "editor"},
    )
    link = re.search(r"http://localhost(/invitations/[^<\s]+)", invite.text.replace("<wbr>", "")).group(1)
    ben.post(link, data={"csrf_token": hidden(ben, link)["csrf_token"]})
    page = f"{person_path}/{PAGE}"

    def one_round(samples: dict[str, list[float]], n: int) -> None:
        mine = hidden(anna, page)
        samples["ordinary save"].append(
            timed(lambda: anna.post(page, data=mine | {"usual_clothing": f"Blue cardigan {n}"}), 302)
        )
        stale = hidden(ben, page)
        anna.post(page, data=hidden(anna, page) | {"usual_clothing": f"Green coat {n}"})
        clash_page: list = []
        samples["stale save: clash page"].append(
            timed(
                lambda: (
                    clash_page.append(ben.post(page, data=stale | {"usual_clothing": f"Red hat {n}"})) or clash_page[0]
                ),
                409,
            )
        )
        choice = hidden_fields(clash_page[0].text)
        samples["keep my answers"].append(timed(lambda: ben.post(page, data=choice | {"conflict-choice": "mine"}), 302))

    warm: dict[str, list[float]] = {"ordinary save": [], "stale save: clash page": [], "keep my answers": []}
    for n in range(10):
        one_round(warm, n)
    samples: dict[str, list[float]] = {name: [] for name in warm}
    for n in range(runs):
        one_round(samples, n)
    samples["round trip (clash + keep mine)"] = [
        a + b for a, b in zip(samples["stale save: clash page"], samples["keep my answers"], strict=True)
    ]

    baseline = statistics.median(samples["ordinary save"])
    print(f"{runs} interleaved rounds (SQLite, test client, {os.cpu_count()} CPUs)")
    print(f"{'':32} {'p50 ms':>8} {'p95 ms':>8} {'p50 / save':>11}")
    for name, values in samples.items():
        p50 = statistics.median(values)
        print(f"{name:32} {p50:8.2f} {percentile(values, 0.95):8.2f} {p50 / baseline:11.2f}")


if __name__ == "__main__":
    main()
