"""B19, the denial-of-service battery (issue 15 points 1-3): heavy PDFs, huge imports and slow clients
against `make run`'s server (herbert.serve on loopback), each while /sign-in and a police share page are
timed. Prints p95 for each (target <= 2 s) and checks each stays within a generous bound of the baseline
measured in the same run (never an absolute time: the machine is shared).

Rate limits are off in this server, as if the attacker had many accounts: what is tested is the render
pool's fail-fast and police lane, the import caps and the server's buffering, not the limits.
Bounded: about 10 s per attack, fewer than 100 attacking requests each.
"""

import http.cookiejar
import io
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile

import pytest
from bs4 import BeautifulSoup
from PIL import Image

from herbert import create_app
from herbert.auth.passwords import hash_password
from herbert.extensions import db
from herbert.handover.shares import lifecycle as shares
from herbert.handover.shares import pdfs as share_pdfs
from herbert.handover.shares import snapshot
from herbert.handover.transfer import export
from herbert.models import Person, User
from herbert.records import store
from tests.support.live_server import ServedApp, Trickler, p95, timed_get
from tests.support.worst_case import worst_case_document, worst_case_photos

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery staple 42"
ATTACK_SECONDS = 10
HEAVY_PDF_THREADS = 8
IMPORT_THREADS = 6


class Browser:
    """A cookie-keeping client over urllib, for a signed-in carer or a police officer who entered the code."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str, timeout: float = 60) -> tuple[int, bytes]:
        try:
            with self.opener.open(self.base + path, timeout=timeout) as response:  # noqa: S310 (loopback)
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def post(self, path: str, fields: dict, body: bytes | None = None, content_type: str | None = None) -> int:
        status, page = self.get(path)
        token = BeautifulSoup(page, "html.parser").find("input", {"name": "csrf_token"})["value"]
        if body is None:
            body = urllib.parse.urlencode({"csrf_token": token, **fields}).encode()
            content_type = "application/x-www-form-urlencoded"
        else:
            body = body.replace(b"CSRF-TOKEN-HERE", token.encode())
        headers = {"Content-Type": content_type}
        request = urllib.request.Request(self.base + path, data=body, headers=headers)  # noqa: S310 (loopback)
        try:
            with self.opener.open(request, timeout=120) as response:  # noqa: S310 (loopback)
                response.read()
                self.last_url = response.geturl()
                return response.status
        except urllib.error.HTTPError as error:
            return error.code


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    server = ServedApp(tmp_path_factory.mktemp("dos-battery"))
    server.start()
    os.environ["HERBERT_INSTANCE_PATH"] = str(server.instance)
    try:
        app = create_app({"PUBLIC_URL": server.url})
    finally:
        os.environ.pop("HERBERT_INSTANCE_PATH", None)
    with app.app_context():
        attacker = User(email="attacker@example.com", password_hash=hash_password(PASSWORD))
        victim = User(email="carer@example.com", password_hash=hash_password(PASSWORD))
        db.session.add_all([attacker, victim])
        db.session.commit()
        heavy = db.session.get(Person, store.create_person(attacker.id))
        store.replace_draft(heavy, worst_case_document())
        for details, jpeg in worst_case_photos():
            store.add_photo(heavy, jpeg, {k: details[k] for k in ("kind", "taken_on", "caption")})
        person = db.session.get(Person, store.create_person(victim.id))
        store.replace_draft(person, {"about-the-person": {"full_name": "Ada Example"}})
        issued = shares.create_share(person, victim.id, snapshot.build_snapshot(person, "draft"), 24, "draft")
        share_pdfs.keep_share_pdf(issued.share.id)  # as making a share does: police download the kept PDF
        package = export.build_package(export.content_for_person(heavy), None)
        db.session.remove()
        db.engine.dispose()
    yield server, heavy.id, issued.token, issued.display_code, package
    server.stop()


def signed_in(base: str, email: str) -> Browser:
    browser = Browser(base)
    assert browser.post("/sign-in", {"email": email, "password": PASSWORD}) == 200  # redirect followed
    return browser


def police_officer(base: str, token: str, code: str) -> Browser:
    officer = Browser(base)
    officer.post(f"/police/share/{token}", {"code": code})
    officer.form_path = officer.last_url[len(base) :]  # the form's own address, /police/form/<reference>
    status, page = officer.get(officer.form_path)
    assert status == 200 and b"Ada Example" in page
    return officer


def probe(server, officer: Browser, token: str, seconds: float) -> dict[str, list[float]]:
    """Time /sign-in (fresh connection each) and the police share page, alternately, for `seconds`."""
    times: dict[str, list[float]] = {"sign-in": [], "police page": []}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        elapsed, status = timed_get(server.port, "/sign-in", timeout=30)
        times["sign-in"].append(elapsed if status == 200 else 30.0)
        started = time.perf_counter()
        status, _page = officer.get(officer.form_path, timeout=30)
        times["police page"].append(time.perf_counter() - started if status == 200 else 30.0)
        time.sleep(0.2)
    return times


def run_attack(attack, threads: int) -> tuple[threading.Event, list[threading.Thread], list[int]]:
    stop = threading.Event()
    statuses: list[int] = []

    def loop() -> None:
        while not stop.is_set() and len(statuses) < 100:
            statuses.append(attack())

    workers = [threading.Thread(target=loop, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    return stop, workers, statuses


def flood_package(valid: bytes) -> tuple[bytes, str]:
    """A real export with its photos swapped for 6,300 x 6,300 PNGs of zeros (each under the 40 MP photo cap)."""
    flood = io.BytesIO()
    Image.new("L", (6300, 6300)).save(flood, "PNG")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(valid)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(
                info.filename, flood.getvalue() if info.filename.startswith("photos/") else source.read(info)
            )
    boundary = "battery-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\nCSRF-TOKEN-HERE\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="package"; filename="export.zip"\r\n'
            "Content-Type: application/zip\r\n\r\n"
        ).encode()
        + out.getvalue()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def report(name: str, times: dict[str, list[float]], baseline: dict[str, list[float]], extra: str = "") -> None:
    figures = ", ".join(
        f"{page} p95 {p95(values):.2f} s (baseline {p95(baseline[page]):.2f} s, n={len(values)})"
        for page, values in times.items()
    )
    print(f"\nB19 {name}: {figures}{extra}")


def assert_within_bound(times: dict[str, list[float]], baseline: dict[str, list[float]]) -> None:
    for page, values in times.items():
        bound = max(3 * p95(baseline[page]), p95(baseline[page]) + 2.0)  # generous: the machine is shared
        assert p95(values) <= bound, (page, p95(values), bound)


def test_b19_police_pages_and_sign_in_stay_responsive_under_attack(served):
    server, heavy_id, token, code, package = served
    officer = police_officer(server.url, token, code)
    baseline = probe(server, officer, token, seconds=4)
    report("baseline (no attack)", baseline, baseline)

    # 1. Heavy PDFs: the attacker's largest allowed form, rendered over and over by 8 threads.
    attacker = signed_in(server.url, "attacker@example.com")
    stop, workers, statuses = run_attack(lambda: attacker.get(f"/people/{heavy_id}/pdf/draft")[0], HEAVY_PDF_THREADS)
    time.sleep(1)
    during = probe(server, officer, token, seconds=ATTACK_SECONDS)
    police_pdf_started = time.perf_counter()
    police_pdf_status, police_pdf = officer.get(officer.form_path + "/pdf", timeout=60)
    police_pdf_seconds = time.perf_counter() - police_pdf_started
    stop.set()
    for worker in workers:
        worker.join(timeout=60)
    busy = statuses.count(503)
    report(
        "heavy PDFs",
        during,
        baseline,
        f"; carer PDFs {len(statuses)} ({busy} told 'try again' at once); "
        f"police share PDF during it: {police_pdf_seconds:.2f} s, status {police_pdf_status}",
    )
    assert police_pdf_status == 200 and police_pdf.startswith(b"%PDF")
    assert busy > 0  # the pool refused rather than queued
    assert_within_bound(during, baseline)

    # 2. Huge imports: pixel-flood packages, 6 threads.
    body, content_type = flood_package(package)
    importer = signed_in(server.url, "attacker@example.com")
    stop, workers, statuses = run_attack(
        lambda: importer.post("/people/import", {}, body, content_type), IMPORT_THREADS
    )
    during = probe(server, officer, token, seconds=ATTACK_SECONDS)
    stop.set()
    for worker in workers:
        worker.join(timeout=60)
    report("huge imports", during, baseline, f"; {len(statuses)} imports of {len(body) // 1024} KB, all refused")
    assert statuses and all(status == 200 for status in statuses)  # the form again, with the refusal
    assert_within_bound(during, baseline)

    # 3. Slow clients: 40 trickling bodies and 40 trickling headers.
    trickler = Trickler(server.port)
    trickler.open(40, b"POST /sign-in HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\nemail=")
    trickler.open(40, b"GET /sign-in HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    with trickler:
        during = probe(server, officer, token, seconds=ATTACK_SECONDS)
    report("slow clients", during, baseline, "; 80 connections trickling a byte each 0.5 s")
    assert_within_bound(during, baseline)
