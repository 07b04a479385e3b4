"""Load benchmark (security.md battery B17): N concurrent carers against the app under gunicorn.

    .venv/bin/python bench/bench_load.py [--carers 8] [--rounds 3] [--workers 2]

A throwaway instance folder is made and `flask --app herbert init` run in it; then gunicorn serves the
app (SQLite, the default path; rate limits off) on 127.0.0.1 and a free port. First a baseline: p50/p95
of GET /cookies from a single client (after 10 uncounted warm-up requests). Then N carer threads, each
with its own cookie jar, sign up, add a person and, for R rounds, save 3 question pages (a save must
redirect onwards), upload one ~2 MP JPEG (must land on the photos page) and download the draft PDF.

Prints per operation (save, upload, pdf) the count, p50 and p95 in ms and the p95 ratio to the baseline
p95; the errors (a response that is not 2xx/3xx, a transport failure, a save or upload not accepted, a
PDF that is not a PDF); and how many responses and gunicorn log lines contained "database is locked".
PASS needs 0 errors, 0 "database is locked" and every operation done (B17); the latencies are reported,
not judged. Exits 1 on FAIL. Only 127.0.0.1 is contacted.
"""

import argparse
import http.cookiejar
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from bench_photos import realistic_jpeg  # the same photo-like test image as the photo bench

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
PASSWORD = "purple elephant marches quietly 77"  # noqa: S105 (throwaway bench accounts)
LOCKED = "database is locked"
BASELINE_REQUESTS = 200
BASELINE_WARM_UP = 10  # not counted: first requests to each worker
REQUEST_TIMEOUT_S = 120
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

PAGES = [
    ("about-the-person/name", {"full_name": "Margaret Ann Smith", "preferred_name": "Peggy"}),
    (
        "physical-description/hair-and-face",
        {"hair_colour": "White", "hair_style": "Short and curly", "eye_colour": "Blue", "complexion": "Pale"},
    ),
    (
        "physical-description/clothing",
        {
            "usual_clothing": "Tweed skirt and a blue cardigan, usually with a brooch",
            "footwear": "Brown slip-on shoes",
            "usual_coat": "Navy raincoat",
            "hat": "Grey woolly hat in winter",
            "jewellery": "Wedding ring, gold watch",
        },
    ),
]


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def multipart(fields: list[tuple[str, str]], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    boundary = "----herbert-bench-" + uuid.uuid4().hex
    parts: list[bytes] = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, data in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        )
        parts.append(head.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Results:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = {"save": [], "upload": [], "pdf": []}
        self.errors: list[str] = []
        self.locked_responses = 0

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


class Carer:
    """One browser: its own cookie jar; follows redirects like a browser does."""

    def __init__(self, base: str, results: Results):
        self.base = base
        self.results = results
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def request(self, op: str, path: str, data: bytes | None = None, content_type: str | None = None):
        """Returns (status, final url, body) or None after recording an error."""
        request = urllib.request.Request(self.base + path, data=data)  # noqa: S310 (our own server)
        if content_type:
            request.add_header("Content-Type", content_type)
        try:
            with self.opener.open(request, timeout=REQUEST_TIMEOUT_S) as response:
                status, url, body = response.status, response.geturl(), response.read()
        except urllib.error.HTTPError as failure:
            status, url, body = failure.code, failure.geturl(), failure.read()
        except (urllib.error.URLError, OSError) as failure:
            self.results.error(f"{op} {path}: {failure}")
            return None
        if LOCKED.encode() in body:
            with self.results.lock:
                self.results.locked_responses += 1
        if not 200 <= status < 400:
            self.results.error(f"{op} {path}: HTTP {status}")
            return None
        return status, url, body

    def token(self, path: str) -> str | None:
        got = self.request("get", path)
        if got is None:
            return None
        found = CSRF.search(got[2].decode(errors="replace"))
        if not found:
            self.results.error(f"get {path}: no csrf_token")
        return found.group(1) if found else None

    def post_form(self, op: str, path: str, fields: dict[str, str]):
        token = self.token(path)
        if token is None:
            return None
        body = urllib.parse.urlencode({"csrf_token": token, **fields}).encode()
        return self.request(op, path, body, "application/x-www-form-urlencoded")

    def timed(self, op: str, call) -> bool:
        started = time.perf_counter()
        got = call()
        elapsed = (time.perf_counter() - started) * 1000
        if got is None:
            return False
        with self.results.lock:
            self.results.latencies[op].append(elapsed)
        return True

    def run(self, number: int, rounds: int, jpeg: bytes) -> None:
        email = f"carer{number}-{uuid.uuid4().hex[:8]}@example.com"
        if self.post_form("sign-up", "/sign-up", {"email": email, "password": PASSWORD}) is None:
            return
        made = self.post_form("add-person", "/people/new", {})
        if made is None:
            return
        found = re.search(r"/people/([^/?#]+)/about-the-person/", made[1])
        if not found:
            self.results.error(f"add-person: ended at {made[1]}, not a question page")
            return
        person = f"/people/{found.group(1)}"
        for round_number in range(rounds):
            for page, answers in PAGES:
                self.timed("save", lambda p=page, a=answers: self.save(f"{person}/{p}", a))
            self.timed("upload", lambda r=round_number: self.upload(person, r, jpeg))
            self.timed("pdf", lambda: self.pdf(person))

    def save(self, path: str, answers: dict[str, str]):
        """Save and continue: a redirect away from the page; the page again means it was not saved."""
        got = self.post_form("save", path, answers)
        if got is not None and urllib.parse.urlsplit(got[1]).path == path:
            self.results.error(f"save {path}: not accepted (the page came back)")
            return None
        return got

    def upload(self, person: str, round_number: int, jpeg: bytes):
        path = f"{person}/photos/add"
        token = self.token(path)
        if token is None:
            return None
        fields = [
            ("csrf_token", token),
            ("kind", "head_and_shoulders"),
            ("taken_on", "27"),
            ("taken_on", "3"),
            ("taken_on", "2025"),
            ("caption", f"Round {round_number + 1}: blue cardigan"),
        ]
        body, content_type = multipart(fields, [("photo", "photo.jpg", jpeg)])
        got = self.request("upload", path, body, content_type)
        if got is not None and not got[1].endswith("/photos"):
            self.results.error(f"upload {path}: not accepted (ended at {got[1]})")
            return None
        return got

    def pdf(self, person: str):
        got = self.request("pdf", f"{person}/pdf/draft")
        if got is not None and not got[2].startswith(b"%PDF"):
            self.results.error(f"pdf {person}: body is not a PDF")
            return None
        return got


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_answering(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/", timeout=5) as response:  # noqa: S310 (our own server)
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer in {timeout} s")


def baseline(url: str) -> list[float]:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    samples = []
    for number in range(BASELINE_WARM_UP + BASELINE_REQUESTS):
        started = time.perf_counter()
        with opener.open(url + "/cookies", timeout=REQUEST_TIMEOUT_S) as response:
            response.read()
            assert response.status == 200, response.status
        if number >= BASELINE_WARM_UP:
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)  # its own session: the master and its workers
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--carers", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="herbert-bench-load-"))
    instance = folder / "instance"
    instance.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERBERT_")}
    env.update(HERBERT_INSTANCE_PATH=str(instance), HERBERT_RATELIMIT_ENABLED="false", PYTHONUNBUFFERED="1")
    init = subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "herbert", "init"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    if init.returncode != 0:
        print(f"flask init failed ({init.returncode}):\n{init.stderr[-2000:]}")
        return 2

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = folder / "gunicorn.log"
    jpeg = realistic_jpeg(1600, 1200, quality=90)  # about 2 MP, like a phone photo resized
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                "--workers",
                str(args.workers),
                "--threads",
                "4",
                "--timeout",
                "120",
                "--bind",
                f"127.0.0.1:{port}",
                "herbert:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    results = Results()
    try:
        wait_until_answering(url, process)
        base = baseline(url)
        threads = [
            threading.Thread(target=Carer(url, results).run, args=(n, args.rounds, jpeg), daemon=True)
            for n in range(args.carers)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 600
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        hung = sum(thread.is_alive() for thread in threads)
        if hung:
            results.error(f"{hung} carer thread(s) still running after 600 s")
        wall = time.perf_counter() - started
    finally:
        stop(process)
    log_text = log_path.read_text(errors="replace")
    locked_log_lines = sum(LOCKED in line for line in log_text.splitlines())

    base_p50, base_p95 = percentile(base, 0.50), percentile(base, 0.95)
    print(
        f"gunicorn: {args.workers} workers x 4 threads, SQLite; {args.carers} carers x {args.rounds} rounds; "
        f"JPEG {len(jpeg) / 1e6:.2f} MB (1600x1200)"
    )
    print(f"baseline GET /cookies, 1 client, {len(base)} requests: p50 {base_p50:.1f} ms, p95 {base_p95:.1f} ms")
    print(f"{'operation':<10}{'count':>7}{'p50 ms':>10}{'p95 ms':>10}{'p95 / base p95':>16}")
    for op, samples in results.latencies.items():
        if samples:
            p50, p95 = statistics.median(samples), percentile(samples, 0.95)
            print(f"{op:<10}{len(samples):>7}{p50:>10.1f}{p95:>10.1f}{p95 / base_p95:>15.1f}x")
        else:
            print(f"{op:<10}{0:>7}{'-':>10}{'-':>10}{'-':>16}")
    print(f"load wall time: {wall:.1f} s")
    print(f"errors: {len(results.errors)}")
    for text in results.errors[:20]:
        print(f"  {text}")
    print(f'"{LOCKED}": {results.locked_responses} in responses, {locked_log_lines} in gunicorn log lines')
    expected = args.carers * args.rounds
    complete = all(len(results.latencies[op]) == expected * (3 if op == "save" else 1) for op in results.latencies)
    passed = not results.errors and results.locked_responses == 0 and locked_log_lines == 0 and complete
    print(f"B17 (0 errors, 0 {LOCKED!r}): {'PASS' if passed else 'FAIL'}")
    if passed:
        shutil.rmtree(folder, ignore_errors=True)
    else:
        print(f"gunicorn log kept: {log_path}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
