"""Load on several app servers (B17 extended, B21): carers and police against two gunicorn servers on
PostgreSQL + Redis + S3-compatible storage (s3rver), then the same run against the embedded default.

    .venv/bin/python bench/bench_cluster_load.py [--carers 50] [--police 20] [--workers 1] [--threads 4]

Needs PostgreSQL (HERBERT_TEST_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/test: a database of
its own is created and dropped), Redis (HERBERT_TEST_REDIS_URL, default redis://127.0.0.1:6379/7) and s3rver
(`make setup`). Only 127.0.0.1 is contacted; every loop is bounded in count and by --deadline seconds.

Set-up (not timed): every carer's account (signed up, then signed out, in the browser they will use), and the
police shares, each made by its own family account (sign up, a person, a photo, missing now, a share). Then,
all at once, every carer thread signs in (timed as "sign in"), adds a person, fills 4 pages (each a GET of the
page, timed as "page", then the save, timed as "save"), uploads a ~2 MP photo, confirms the form (publish, with
consent) and downloads the version's PDF; and every police thread opens its share (the page, then the access
code: "share open") and reloads the view. Each request goes to a server picked at random, as
a load balancer would. Afterwards every acknowledged save is read back from a server picked at random:
"lost saves" counts the ones that did not come back.

Prints per operation the count and p50/p95/p99 in ms, errors, lost saves and wall time for both set-ups, and
the cluster/embedded ratio of each p95. A PDF download answered 503 ("try again": every render worker busy,
issue 15) is pressed again a second later, as the page asks; the download is timed to the PDF, and the
"try again" answers are counted. No latency is judged: PASS needs 0 errors and 0 lost saves.
The embedded run is `make run`'s set-up (one gunicorn, SQLite, blobs in the instance folder, limits in memory)
with as many worker processes in total as the cluster has, on the same machine.
"""

import argparse
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from bench_photos import realistic_jpeg  # noqa: E402 (the same photo-like test image as the other benches)
from bs4 import BeautifulSoup  # noqa: E402

from tests.support.blob_backends import s3_unavailable, start_s3rver, stop_s3rver  # noqa: E402
from tests.support.cluster import Browser, make_share, start_cluster, stop_cluster, text_of  # noqa: E402

PASSWORD = "purple elephant marches quietly 77"  # noqa: S105 (throwaway bench accounts)
OPERATIONS = ["sign in", "page", "save", "upload", "confirm", "pdf", "share open"]
PDF_TRIES = 30
GENEROUS = "100000/minute"  # every carer comes from 127.0.0.1: per-IP limits would stop the bench, not the app
RATES = [
    "SIGN_IN_PER_IP", "SIGN_IN_PER_ACCOUNT", "SIGN_UP_PER_IP", "TWO_FACTOR_PER_IP", "TWO_FACTOR_PER_ACCOUNT",
    "ACCOUNT_PASSWORD_PER_ACCOUNT", "SHARE_CODE_PER_IP", "SHARE_CODE_PER_LINK",
]  # fmt: skip
PAGES = [
    ("about-the-person/name", {"full_name": "Margaret Ann Smith", "preferred_name": "Peggy"}),
    ("physical-description/hair-and-face", {"hair_colour": "White", "hair_style": "Short and curly"}),
    ("physical-description/clothing", {"usual_clothing": "Tweed skirt and a blue cardigan", "footwear": "Brogues"}),
    ("consent-and-review/consent", {"consent_basis": "person"}),
]


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


class Run:
    def __init__(self, servers: list[str], deadline: float) -> None:
        self.servers = servers
        self.deadline = deadline
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.saves: list[tuple[int, str, dict[str, str]]] = []  # acknowledged: (carer, page path, answers)
        self.pdf_retries = 0  # "try again" (503) answers to PDF downloads, each followed by another press

    def server(self) -> str:
        return random.choice(self.servers)  # noqa: S311 (load spreading, not security)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)

    def timed(self, op: str, call):
        if time.monotonic() > self.deadline:
            raise TimeoutError("deadline")
        started = time.perf_counter()
        status, url, body = call()
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.latencies[op].append(elapsed)
        return status, url, body


def carer_account(servers: list[str], number: int, browser: Browser) -> str:
    """Set-up: the carer's account, made in their own browser and signed out again; returns its email address."""
    server = servers[number % len(servers)]
    email = f"load-carer-{number}-{uuid.uuid4().hex[:8]}@example.com"
    status, url, body = browser.post(f"{server}/sign-up", {"email": email, "password": PASSWORD})
    if status != 200 or url.endswith("/sign-up"):
        raise RuntimeError(f"set-up: carer {number}'s sign-up HTTP {status}")
    signed_up_at = url.split("/", 3)[-1]
    status, url, _ = browser.get(f"{server}/account")
    if "/sign-in" in url:  # not signed in straight after signing up: say where the sign-up ended
        heading = BeautifulSoup(body, "html.parser").find("h1")
        print(f"set-up: carer {number} was not signed in after a sign-up that ended at {signed_up_at!r} "
              f"({heading.get_text(strip=True) if heading else 'no heading'}); cookies: "
              f"{sorted(cookie.name for cookie in browser.jar)}", flush=True)  # fmt: skip
    status, url, body = browser.post(f"{server}/sign-out", {}, form_url=f"{server}/account")
    if status != 200 or "signed out" not in text_of(body):
        heading = BeautifulSoup(body, "html.parser").find("h1")
        print(f"set-up: carer {number}'s sign-out answered HTTP {status} at {url.split('/', 3)[-1]!r}: "
              f"{heading.get_text(strip=True) if heading else '(no heading)'}", flush=True)  # fmt: skip
        status, url, _ = browser.get(f"{server}/account")
        if "/sign-in" not in url:
            raise RuntimeError(f"set-up: carer {number} is still signed in after signing out (HTTP {status})")
    return email


def carer(run: Run, number: int, jpeg: bytes, browser: Browser, email: str) -> None:
    try:
        server = run.server()
        token = browser.token(f"{server}/sign-in")
        sign_in = partial(browser.post, f"{server}/sign-in", {"email": email, "password": PASSWORD}, token=token)
        status, url, _ = run.timed("sign in", sign_in)
        if status != 200 or "/sign-in" in url:
            return run.error(f"carer {number}: sign-in HTTP {status}")
        status, url, _ = browser.post(f"{run.server()}/people/new", {}, form_url=f"{run.server()}/people/new")
        found = re.search(r"/people/([0-9a-f]{32})/", url)
        if status != 200 or not found:
            return run.error(f"carer {number}: add person HTTP {status}")
        person = f"/people/{found.group(1)}"
        for page, answers in PAGES:
            server = run.server()
            status, _, body = run.timed("page", partial(browser.get, f"{server}{person}/{page}"))
            token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body)
            if status != 200 or not token:
                return run.error(f"carer {number}: page {page} HTTP {status}")
            save = partial(browser.post, f"{server}{person}/{page}", answers, token=token.group(1).decode())
            status, url, _ = run.timed("save", save)
            if status != 200 or url.endswith(f"{person}/{page}"):
                return run.error(f"carer {number}: save {page} not accepted (HTTP {status})")
            with run.lock:
                run.saves.append((number, f"{person}/{page}", answers))
        fields = [("kind", "head_and_shoulders"), ("taken_on", "27"), ("taken_on", "3"), ("taken_on", "2026"),
                  ("caption", "Blue cardigan")]  # fmt: skip
        upload = partial(browser.upload, f"{run.server()}{person}/photos/add", fields, "photo", jpeg)
        status, url, _ = run.timed("upload", upload)
        if status != 200 or not url.endswith("/photos"):
            return run.error(f"carer {number}: upload not accepted (HTTP {status}, {url})")
        server = run.server()
        status, _, body = run.timed(
            "confirm", lambda: browser.post(f"{server}{person}/publish", {}, form_url=f"{server}{person}/check-answers")
        )
        if status != 200 or "Version 1 confirmed" not in text_of(body):
            return run.error(f"carer {number}: confirm not accepted (HTTP {status})")
        status, _, body = run.timed("pdf", partial(download_pdf, run, browser, f"{person}/pdf/version/1"))
        if status != 200 or not body.startswith(b"%PDF"):
            return run.error(f"carer {number}: PDF HTTP {status}")
    except TimeoutError:
        run.error(f"carer {number}: stopped at the deadline")
    except OSError as failure:
        run.error(f"carer {number}: {type(failure).__name__}: {failure}")


def download_pdf(run: Run, browser: Browser, path: str) -> tuple[int, str, bytes]:
    """The download as a carer makes it: when every PDF worker is busy the service answers 503 at once ("try
    again in a moment", issue 15) rather than queueing, so wait a second and press the button again (at most
    PDF_TRIES times, each time to a server the proxy picks). Timed from the first press to the PDF."""
    for _attempt in range(PDF_TRIES):
        status, url, body = browser.get(f"{run.server()}{path}")
        if status != 503:
            break
        with run.lock:
            run.pdf_retries += 1
        time.sleep(1)
    return status, url, body


def family_share(servers: list[str], number: int, jpeg: bytes) -> tuple[str, str]:
    """Set-up: an account with a person, a photo and a share; (share path, access code)."""
    browser, server = Browser(), servers[number % len(servers)]
    email = f"load-family-{number}-{uuid.uuid4().hex[:8]}@example.com"
    browser.post(f"{server}/sign-up", {"email": email, "password": PASSWORD})
    _, url, _ = browser.post(f"{server}/people/new", {}, form_url=f"{server}/people/new")
    person = re.search(r"/people/([0-9a-f]{32})/", url).group(1)
    browser.post(f"{server}/people/{person}/about-the-person/name", {"full_name": f"Shared Person {number}"})
    fields = [("kind", "head_and_shoulders"), ("taken_on", "1"), ("taken_on", "2"), ("taken_on", "2026")]
    browser.upload(f"{server}/people/{person}/photos/add", fields, "photo", jpeg)
    return make_share(browser, server, person, PASSWORD)


def officer(run: Run, number: int, share: tuple[str, str]) -> None:
    path, code = share
    browser = Browser()
    try:
        server = run.server()
        token = browser.token(f"{server}{path}")
        status, url, body = run.timed(
            "share open", lambda: browser.post(f"{server}{path}", {"code": code}, token=token)
        )
        if status != 200 or "Enter the access code" in text_of(body):
            return run.error(f"officer {number}: share open HTTP {status}")
        status, _, _ = browser.get(f"{run.server()}{path}")
        if status != 200:
            run.error(f"officer {number}: share view HTTP {status}")
    except TimeoutError:
        run.error(f"officer {number}: stopped at the deadline")
    except OSError as failure:
        run.error(f"officer {number}: {type(failure).__name__}: {failure}")


def saved_values_shown(body: bytes, answers: dict[str, str]) -> bool:
    """The page shows every saved answer: as a text input's value, a text area's text, or the checked radio."""
    page = BeautifulSoup(body, "html.parser")
    for name, value in answers.items():
        area = page.find("textarea", {"name": name})
        if area is not None:
            if area.text.strip() != value:
                return False
            continue
        field = page.find("input", {"name": name, "value": value}) or page.find("input", {"name": name})
        if (
            field is None
            or field.get("value") != value
            or (field.get("type") == "radio" and not field.has_attr("checked"))
        ):
            return False
    return True


def read_back(run: Run, browsers: dict[int, Browser]) -> int:
    """Every acknowledged save, read back by its carer from a server picked at random: how many are lost."""
    lost = 0
    for number, path, answers in run.saves:
        status, _, body = browsers[number].get(f"{run.server()}{path}")
        if status != 200 or not saved_values_shown(body, answers):
            lost += 1
            run.error(f"lost save: {path.rsplit('/', 2)[-2]}/{path.rsplit('/', 1)[-1]} (HTTP {status})")
    return lost


def run_load(label: str, servers: list[str], args: argparse.Namespace, jpeg: bytes) -> dict:
    browsers = {n: Browser() for n in range(args.carers)}
    with ThreadPoolExecutor(max_workers=4) as pool:  # set-up, not timed: four sign-ups at a time
        emails = dict(zip(browsers, pool.map(lambda n: carer_account(servers, n, browsers[n]), browsers), strict=True))
    shares = [family_share(servers, n, jpeg) for n in range(args.police)]
    run = Run(servers, time.monotonic() + args.deadline)
    threads = [
        threading.Thread(target=carer, args=(run, n, jpeg, browsers[n], emails[n]), daemon=True)
        for n in range(args.carers)
    ]
    threads += [threading.Thread(target=officer, args=(run, n, shares[n]), daemon=True) for n in range(args.police)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, run.deadline - time.monotonic()) + 5)
    wall = time.perf_counter() - started
    hung = sum(thread.is_alive() for thread in threads)
    if hung:
        run.error(f"{hung} thread(s) still running at the deadline")
    expected = {"sign in": args.carers, "page": args.carers * len(PAGES), "save": args.carers * len(PAGES),
                "upload": args.carers, "confirm": args.carers, "pdf": args.carers,
                "share open": args.police}  # fmt: skip
    for op, count in expected.items():
        if len(run.latencies[op]) != count:
            run.error(f"{op}: {len(run.latencies[op])} done of {count}")
    return {"label": label, "run": run, "wall": wall, "lost": read_back(run, browsers), "saves": len(run.saves)}


def report(result: dict) -> None:
    run: Run = result["run"]
    print(f"\n{result['label']}")
    print(f"  {'operation':<12}{'count':>7}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}")
    for op in OPERATIONS:
        samples = run.latencies[op]
        if samples:
            print(f"  {op:<12}{len(samples):>7}{statistics.median(samples):>10.0f}{percentile(samples, 0.95):>10.0f}"
                  f"{percentile(samples, 0.99):>10.0f}")  # fmt: skip
    print(f"  wall time {result['wall']:.1f} s; errors {len(run.errors)}; acknowledged saves {result['saves']}, "
          f"lost {result['lost']}; PDF 'try again' answers {run.pdf_retries}")  # fmt: skip
    for text in run.errors[:15]:
        print(f"    {text}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--carers", type=int, default=50)
    parser.add_argument("--police", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers per cluster server")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--deadline", type=float, default=900, help="seconds each run may take at most")
    parser.add_argument("--skip-embedded", action="store_true")
    args = parser.parse_args()
    if reason := s3_unavailable():
        print(reason)
        return 2
    postgres = os.environ.get("HERBERT_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    redis = os.environ.get("HERBERT_TEST_REDIS_URL", "redis://127.0.0.1:6379/7")
    jpeg = realistic_jpeg(1600, 1200, quality=90)  # about 2 MP, like a phone photo resized
    rates = {f"HERBERT_RATELIMIT_{name}": GENEROUS for name in RATES}
    folder = Path(tempfile.mkdtemp(prefix="herbert-bench-cluster-"))
    (folder / "s3").mkdir()
    s3 = start_s3rver(folder / "s3")
    results = []
    try:
        cluster = start_cluster(folder / "cluster", postgres, redis, s3, servers=2, workers=args.workers,
                                threads=args.threads, extra_env=rates)  # fmt: skip
        try:
            results.append(run_load(f"cluster: 2 servers x {args.workers} worker(s) x {args.threads} threads, "
                                    "PostgreSQL + Redis + s3rver", cluster.urls, args, jpeg))  # fmt: skip
        finally:
            stop_cluster(cluster)
        if not args.skip_embedded:
            embedded = start_cluster(folder / "embedded", None, None, None, servers=1, workers=2 * args.workers,
                                     threads=args.threads, extra_env=rates)  # fmt: skip
            try:
                results.append(run_load(f"embedded: 1 server x {2 * args.workers} workers x {args.threads} threads, "
                                        "SQLite + instance folder", embedded.urls, args, jpeg))  # fmt: skip
            finally:
                stop_cluster(embedded)
    finally:
        stop_s3rver(s3)
        shutil.rmtree(folder, ignore_errors=True)  # the servers' logs, instance folders and s3rver's objects
    print(f"{args.carers} carers (sign in, {len(PAGES)} pages, a ~2 MP photo, confirm, PDF) + {args.police} police "
          f"opening shares, all at once, on {os.cpu_count()} CPUs")  # fmt: skip
    for result in results:
        report(result)
    if len(results) == 2:
        cluster_run, embedded_run = results[0]["run"], results[1]["run"]
        ratios = [
            f"{op} {percentile(cluster_run.latencies[op], 0.95) / percentile(embedded_run.latencies[op], 0.95):.2f}"
            for op in OPERATIONS
            if cluster_run.latencies[op] and embedded_run.latencies[op]
        ]
        print("\n  p95 cluster / embedded: " + ", ".join(ratios))
    passed = all(not r["run"].errors and r["lost"] == 0 for r in results)
    print(f"\nB17/B21 (0 errors, 0 lost saves): {'PASS' if passed else 'FAIL'}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
