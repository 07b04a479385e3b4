"""B21: two app servers on one PostgreSQL database, one Redis and one S3-compatible store behave as one service.

Two gunicorn servers on their own loopback ports and their own instance folders (as two hosts would have);
the first is started with --preload and two workers, so the app is made before gunicorn forks (nothing made
at start-up, such as a database connection or a PDF worker, may be shared across the fork). One browser
(one cookie jar, as behind a load balancer) goes back and forth between them.

Needs HERBERT_TEST_DATABASE_URL, HERBERT_TEST_REDIS_URL and s3rver (npm); skipped with the reason otherwise.
"""

import os
import re
import threading
import time
import urllib.parse

import pytest
from bs4 import BeautifulSoup

from tests.support.blob_backends import s3_unavailable
from tests.support.cluster import Browser, make_share, run_flask, start_cluster, stop_cluster
from tests.support.photos import jpeg

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

POSTGRES_URL = os.environ.get("HERBERT_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("HERBERT_TEST_REDIS_URL")
PASSWORD = "correct horse battery staple 42"
NAME = "Winifred Clusterton-Canary"


def redis_unavailable() -> str:
    if not REDIS_URL:
        return "the cluster test needs HERBERT_TEST_REDIS_URL (CI sets it)"
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        return f"Redis at HERBERT_TEST_REDIS_URL does not answer ({type(error).__name__})"
    return ""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, request):
    for reason in (
        "" if POSTGRES_URL else "the cluster test needs HERBERT_TEST_DATABASE_URL (CI sets it)",
        redis_unavailable(),
        s3_unavailable(),
    ):
        if reason:
            pytest.skip(reason)
    s3 = request.getfixturevalue("s3_server")
    running = start_cluster(
        tmp_path_factory.mktemp("cluster"), POSTGRES_URL, REDIS_URL, s3, workers=2, preload_first=True,
        # One render worker per process; this module's one carer may ask for more PDFs a minute than a
        # person would (the PDF test's "try again" answers count towards the per-account allowance too).
        extra_env={"HERBERT_PDF_WORKERS": "1", "HERBERT_RATELIMIT_PDF_PER_ACCOUNT": "100/minute"},
    )  # fmt: skip
    yield running
    stop_cluster(running)


@pytest.fixture(scope="module")
def servers(cluster):
    return cluster.urls  # [A, B]


def text_of(body: bytes) -> str:
    return " ".join(BeautifulSoup(body, "html.parser").get_text().split())


def sign_up(browser: Browser, server: str, email: str) -> None:
    status, url, _ = browser.post(f"{server}/sign-up", {"email": email, "password": PASSWORD})
    assert status == 200 and not url.endswith("/sign-up"), (status, url)


def sign_in(browser: Browser, server: str, email: str, password: str = PASSWORD) -> tuple[int, str, bytes]:
    return browser.post(f"{server}/sign-in", {"email": email, "password": password})


def signed_in(browser: Browser, server: str) -> bool:
    status, url, _ = browser.get(f"{server}/account")
    return status == 200 and urllib.parse.urlsplit(url).path == "/account"  # not sent to /sign-in?next=/account


def new_person(browser: Browser, server: str) -> str:
    status, url, _ = browser.post(f"{server}/people/new", {}, form_url=f"{server}/people/new")
    found = re.search(r"/people/([0-9a-f]{32})/", url)
    assert status == 200 and found, (status, url)
    return found.group(1)


@pytest.fixture(scope="module")
def carer(servers):
    """A carer who signed up on A, signed out on B and signed in again on A, with one person named on B."""
    a, b = servers
    browser = Browser()
    email = "cluster-carer@example.com"
    sign_up(browser, a, email)
    status, url, body = browser.post(f"{b}/sign-out", {}, form_url=f"{b}/account")
    assert status == 200 and "signed out" in text_of(body), (status, url)
    assert not signed_in(browser, a)
    status, url, body = sign_in(browser, a, email)
    assert status == 200 and not url.endswith("/sign-in"), text_of(body)
    person_id = new_person(browser, b)
    status, url, _ = browser.post(f"{b}/people/{person_id}/about-the-person/name", {"full_name": NAME})
    assert status == 200 and not url.endswith("/about-the-person/name"), url
    return browser, email, person_id


def test_a_carer_signs_in_on_a_and_continues_on_b(servers, carer):
    a, b = servers
    browser, _, person_id = carer
    assert signed_in(browser, a) and signed_in(browser, b)
    # what was saved on B is on A's dashboard (the sealed summary is in the shared database)
    status, _, body = browser.get(f"{a}/people")
    assert status == 200 and NAME in text_of(body)
    # a save on A reads back on B
    status, url, _ = browser.post(f"{a}/people/{person_id}/about-the-person/name", {"full_name": NAME + " Jr"})
    assert status == 200 and not url.endswith("/name")
    status, _, body = browser.get(f"{b}/people/{person_id}/about-the-person/name")
    assert status == 200 and f'value="{NAME} Jr"' in body.decode()
    browser.post(f"{b}/people/{person_id}/about-the-person/name", {"full_name": NAME})


def test_a_photo_uploaded_on_a_shows_on_b_and_only_ciphertext_reaches_the_bucket(cluster, servers, carer):
    a, b = servers
    browser, _, person_id = carer
    image = jpeg(640, 480)
    caption = "Canary caption: red scarf"
    fields = [("kind", "head_and_shoulders"), ("taken_on", "2"), ("taken_on", "3"), ("taken_on", "2026"),
              ("caption", caption)]  # fmt: skip
    status, url, body = browser.upload(f"{a}/people/{person_id}/photos/add", fields, "photo", image)
    assert status == 200 and url.endswith("/photos"), text_of(body)
    status, _, body = browser.get(f"{b}/people/{person_id}/photos")
    assert status == 200 and caption in text_of(body)
    [photo_id] = re.findall(rf"/people/{person_id}/photos/([0-9a-f]{{32}})\.jpg", body.decode())[:1]
    status, _, served = browser.get(f"{b}/people/{person_id}/photos/{photo_id}.jpg")
    assert status == 200 and served.startswith(b"\xff\xd8")  # B decrypts what A stored

    objects = cluster.s3.objects(cluster.bucket)
    assert list(objects) == [f"herbert/{photo_id}"]  # a random id: neither the person's id nor a name
    for data in objects.values():
        assert data[:1] == b"\x01" and not data.startswith(b"\xff\xd8")  # a sealed envelope, not a JPEG
        for canary in (NAME, caption, "Canary", person_id):
            for encoded in (canary.encode(), canary.encode("utf-16-le")):
                assert encoded not in data
    for host in (0, 1):  # no host keeps photos on its own disk
        assert not (cluster.folder / f"host-{host}" / "blobs").exists()


def test_wrong_share_codes_alternated_between_a_and_b_lock_the_share_after_5_in_all(servers, carer):
    a, b = servers
    browser, _, person_id = carer
    path, code = make_share(browser, a, person_id, PASSWORD)
    officer = Browser()
    token = officer.token(f"{b}{path}")  # the code form's CSRF token, kept for a last try once it is locked
    outcomes = []
    for attempt in range(5):
        server = (a, b)[attempt % 2]
        status, _, body = officer.post(f"{server}{path}", {"code": "ZZZZ-ZZZZ"})
        left = re.search(r"(\d) (?:try|tries) left", text_of(body))
        outcomes.append((status, left.group(1) if left else None))
    assert outcomes == [(200, "4"), (200, "3"), (200, "2"), (200, "1"), (423, None)]
    assert officer.get(f"{a}{path}")[0] == 423 and officer.get(f"{b}{path}")[0] == 423  # locked on both
    # even the right code opens nothing now; the per-link limit (5 failures a minute, counted in Redis across
    # both servers) answers first: with counters per process, B would have seen only 2 failures
    assert officer.post(f"{b}{path}", {"code": code}, token=token)[0] == 429


def test_rate_limits_are_shared_between_the_servers(servers):
    """The per-account sign-in limit (5 failures a minute) counts failures on A and B together."""
    a, b = servers
    browser = Browser()
    email = "limited@example.com"
    sign_up(browser, b, email)
    browser.post(f"{b}/sign-out", {}, form_url=f"{b}/account")
    statuses = [sign_in(browser, (a, b)[n % 2], email, "wrong password, attempt")[0] for n in range(6)]
    assert statuses == [200] * 5 + [429]  # with per-process counters the 6th would still be a plain 200


def test_a_session_ended_on_a_is_dead_on_b(servers):
    a, b = servers
    phone, laptop = Browser(), Browser()
    email = "two-devices@example.com"
    sign_up(phone, a, email)
    assert sign_in(laptop, b, email)[0] == 200 and signed_in(laptop, b) and signed_in(phone, b)
    phone.post(f"{a}/sign-out", {}, form_url=f"{a}/account")  # sign-out ends every session of the account
    assert not signed_in(phone, b) and not signed_in(laptop, b) and not signed_in(laptop, a)


def test_pdfs_render_on_both_servers_at_once_including_the_preloaded_one(servers, carer):
    """Each worker process has its own PDF worker pool, made after the fork: concurrent renders on the
    preloaded server's two workers and on B all come back as PDFs. A render that finds every worker busy
    answers 503 at once rather than queueing (issue 15); the download then tries again, as the page asks."""
    browser, _, person_id = carer
    results: list[tuple[int, bytes]] = []
    refused_at_first = []
    lock = threading.Lock()

    def download(server: str) -> None:
        for _attempt in range(20):
            got = browser.get(f"{server}/people/{person_id}/pdf/draft")
            if got[0] != 503:
                break
            with lock:
                refused_at_first.append(server)
            time.sleep(1)
        with lock:
            results.append((got[0], got[2][:5]))

    threads = [threading.Thread(target=download, args=(servers[n % 2],)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert results == [(200, b"%PDF-")] * 6
    print(f"\n6 concurrent PDFs on two servers: {len(refused_at_first)} 'try again' answers before all six came back")


def test_operator_commands_run_on_any_host(cluster, carer):
    """The runbook's commands (docs/operations/deploy.md) against the shared services, from host B."""
    check = run_flask(cluster, 1, "blobs", "check")
    assert check.returncode == 0 and "Write, read back and delete work; it holds 1 photo blobs" in check.stdout, (
        check.stdout + check.stderr
    )
    verify = run_flask(cluster, 1, "keys", "verify")
    assert verify.returncode == 0 and "All records open." in verify.stdout, verify.stdout + verify.stderr
    swept = run_flask(cluster, 1, "sweep")
    assert swept.returncode == 0 and "0 orphan blobs" in swept.stdout
    assert "Traceback" not in cluster.log_text()
