"""B21: two app servers on one PostgreSQL database, one Redis and one S3-compatible store behave as one service.

Two gunicorn servers on their own loopback ports and their own instance folders (as two hosts would have);
the first is started with --preload and two workers, so the app is made before gunicorn forks (nothing made
at start-up, such as a database connection or a PDF worker, may be shared across the fork). One browser
(one cookie jar, as behind a load balancer) goes back and forth between them. Two job runners, one per host
(host A's runs the periodic jobs, host B's has --no-periodic), share the job queue on Redis and send email
to a real SMTP server (aiosmtpd) on loopback.

Needs HERBERT_TEST_DATABASE_URL, HERBERT_TEST_REDIS_URL and s3rver (npm); skipped with the reason otherwise.
"""

import http.client
import os
import re
import subprocess
import threading
import time
import urllib.parse
from datetime import timedelta
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from bs4 import BeautifulSoup
from sqlalchemy import create_engine, text

from herbert.crypto import Keyring
from tests.support.blob_backends import s3_unavailable
from tests.support.cluster import (
    ROOT,
    VENV_BIN,
    Browser,
    Cluster,
    host_env,
    kill_server,
    make_share,
    restart_runners,
    restart_server,
    roll_out,
    run_flask,
    start_cluster,
    start_server,
    stop_cluster,
    stop_server,
)
from tests.support.http_servers import free_port
from tests.support.mail import Mailbox, links, whole_message
from tests.support.photos import jpeg

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

POSTGRES_URL = os.environ.get("HERBERT_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("HERBERT_TEST_REDIS_URL")
PASSWORD = "correct horse battery staple 42"
NAME = "Winifred Clusterton-Canary"
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def redis_unavailable() -> str:
    if not REDIS_URL:
        return "the cluster test needs HERBERT_TEST_REDIS_URL (CI sets it)"
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        return f"Redis at HERBERT_TEST_REDIS_URL does not answer ({type(error).__name__})"
    return ""


def unavailable() -> str:
    for reason in (
        "" if POSTGRES_URL else "the cluster test needs HERBERT_TEST_DATABASE_URL (CI sets it)",
        redis_unavailable(),
        s3_unavailable(),
    ):
        if reason:
            return reason
    return ""


@pytest.fixture(scope="module")
def mailbox():
    """A real SMTP server (aiosmtpd) on loopback for the whole module: where the job runners send email."""
    box = Mailbox(port=free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, request, mailbox):
    if reason := unavailable():
        pytest.skip(reason)
    s3 = request.getfixturevalue("s3_server")
    running = start_cluster(
        tmp_path_factory.mktemp("cluster"), POSTGRES_URL, REDIS_URL, s3, workers=2, preload_first=True,
        # One render worker per process; this module's one carer may ask for more PDFs a minute than a
        # person would (the PDF test's "try again" answers count towards the per-account allowance too).
        extra_env={"HERBERT_PDF_WORKERS": "1", "HERBERT_RATELIMIT_PDF_PER_ACCOUNT": "100/minute"},
        job_runners=True, mail_port=mailbox.port,
    )  # fmt: skip
    yield running
    stop_cluster(running)


@pytest.fixture(scope="module")
def servers(cluster):
    return cluster.urls[:2]  # [A, B] (a test may add a third host of its own)


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
    audit = run_flask(cluster, 1, "audit", "verify")
    assert audit.returncode == 0 and "Audit trail intact" in audit.stdout, audit.stdout + audit.stderr
    assert "Traceback" not in cluster.log_text()


# --- the job runners ------------------------------------------------------------------------------

SHARE_OPENED = "Police opened a form you shared"
PASSWORD_CHANGED = "Your password was changed"
QUEUE_KEY = "huey.redis.herbert"  # huey's queue (RedisHuey, named "herbert" by herbert/jobs/runner.py)

# One message queued many times at once, as a duplicated or retried job would be (run on a host, like the
# re-queue command of docs/operations/jobs.md, "Failures").
QUEUE_COPIES = """
import sys
from herbert import create_app
from herbert.extensions import db
from herbert.jobs.runner import enqueue
from herbert.mail.delivery import deliver, new_message_row
from herbert.models import User

app = create_app()
with app.app_context():
    user = db.session.execute(db.select(User).filter_by(email=sys.argv[1])).scalar_one()
    row = new_message_row(user, "password-changed", when="just now")
    db.session.commit()
    for _copy in range(int(sys.argv[2])):
        enqueue(deliver, row.id)
    print(row.id)
"""


def mail_to(mailbox: Mailbox, address: str, subject: str) -> list[EmailMessage]:
    with mailbox.arrived:
        return [message for message in mailbox.messages if address in message["To"] and message["Subject"] == subject]


def wait_for_mail(mailbox: Mailbox, address: str, subject: str, count: int = 1, timeout: float = 60) -> list:
    deadline = time.monotonic() + timeout
    while len(found := mail_to(mailbox, address, subject)) < count and time.monotonic() < deadline:
        with mailbox.arrived:
            mailbox.arrived.wait(timeout=0.5)
    return found


def settle(cluster: Cluster, seconds: float = 3) -> None:
    """Wait until the queue is empty, then a little longer for the jobs the runners took to finish."""
    import redis

    client = redis.Redis.from_url(cluster.env["HERBERT_JOBS_URL"])
    deadline = time.monotonic() + 60
    while client.llen(QUEUE_KEY) and time.monotonic() < deadline:
        time.sleep(0.2)
    client.close()
    time.sleep(seconds)


def query_one(cluster: Cluster, sql: str, **params: str) -> tuple:
    """One row from the cluster's database, read as an operator would (the engine is closed after)."""
    engine = create_engine(cluster.database_url)
    try:
        with engine.connect() as conn:
            return tuple(conn.execute(text(sql), params).one())
    finally:
        engine.dispose()


def test_an_email_queued_on_a_is_sent_once_while_both_runners_take_jobs(cluster, servers, carer, mailbox):
    """Police open a share on server A: the notice it queues reaches the carer once, through a runner. Then one
    message queued eight times at once on host B (as a duplicated or retried job would be) is still sent once:
    the four threads of the two runners race for it and only one claims the outbox row."""
    a, _ = servers
    browser, email, person_id = carer
    path, code = make_share(browser, a, person_id, PASSWORD)
    status, _, body = Browser().post(f"{a}{path}", {"code": code})
    assert status == 200 and "Enter the access code" not in text_of(body)
    [notice] = wait_for_mail(mailbox, email, SHARE_OPENED)
    assert all(link.startswith(a + "/") for link in links(notice))  # built from HERBERT_PUBLIC_URL only

    copies = subprocess.run(
        [str(VENV_BIN / "python"), "-c", QUEUE_COPIES, email, "8"], env=host_env(cluster, 1), cwd=ROOT,
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert copies.returncode == 0, copies.stderr[-2000:]
    message_id = copies.stdout.split()[-1]
    assert wait_for_mail(mailbox, email, PASSWORD_CHANGED)
    settle(cluster)
    assert len(mail_to(mailbox, email, SHARE_OPENED)) == 1
    assert len(mail_to(mailbox, email, PASSWORD_CHANGED)) == 1
    sql = "SELECT attempts, sent_at, to_address FROM outbox_messages WHERE id = :id"
    attempts, sent_at, address = query_one(cluster, sql, id=message_id)
    assert attempts == 1 and sent_at is not None and address == ""  # claimed once; no copy of the address kept
    delivered_by = [runner_log for runner_log in cluster.logs if "runner-" in runner_log.name]
    assert all("herbert.mail.delivery.deliver" in log.read_text() for log in delivered_by), "a runner took no job"


def publish_form(browser: Browser, server: str, person_id: str) -> None:
    for page, answers in (("about-the-person/name", {"full_name": "Reminded Person"}),
                          ("consent-and-review/consent", {"consent_basis": "person"})):  # fmt: skip
        status, url, _ = browser.post(f"{server}/people/{person_id}/{page}", answers)
        assert status == 200 and not url.endswith(page), (status, url)
    status, _, body = browser.post(
        f"{server}/people/{person_id}/publish", {}, form_url=f"{server}/people/{person_id}/check-answers"
    )
    assert status == 200 and "Version 1 confirmed" in text_of(body), text_of(body)


def reminders_sent(output: str) -> dict[str, int]:
    return {kind: int(n) for kind, n in re.findall(r"^(review|photo|draft): (\d+)$", output, re.MULTILINE)}


def test_a_reminder_run_started_on_both_hosts_at_once_sends_each_reminder_once(cluster, servers, mailbox):
    """`flask --app herbert reminders send --today D` on host A and host B at the same moment: each reminder
    due is queued once between them (sent_reminders' unique key) and reaches the carer once."""
    a, b = servers
    browser, email = Browser(), "reminded@example.com"
    sign_up(browser, a, email)
    [confirm] = wait_for_mail(mailbox, email, "Confirm your email address")
    link = next(url for url in links(confirm) if "/confirm-email/" in url)
    assert browser.get(link)[0] == 200  # a verified address: reminders go only to those
    published, draft = new_person(browser, b), new_person(browser, a)
    publish_form(browser, a, published)
    [review_on] = query_one(cluster, "SELECT next_review_on FROM people WHERE id = :id", id=published)
    today = (review_on - timedelta(days=10)).date().isoformat()  # the review is "soon"; the draft is months old

    runs = [
        subprocess.Popen(
            [str(VENV_BIN / "flask"), "--app", "herbert", "reminders", "send", "--today", today],
            env=host_env(cluster, host),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for host in (0, 1)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err[-1000:] for _, err in outputs]
    counts = [reminders_sent(out) for out, _ in outputs]
    assert sum(c["review"] for c in counts) == 1 and sum(c["draft"] for c in counts) == 1, counts
    review = "A Herbert Protocol form you keep is due for review"
    nudge = "Finish your Herbert Protocol form"
    assert wait_for_mail(mailbox, email, review) and wait_for_mail(mailbox, email, nudge)
    again = run_flask(cluster, 1, "reminders", "send", "--today", today)
    assert again.returncode == 0 and reminders_sent(again.stdout) == {"review": 0, "photo": 0, "draft": 0}
    settle(cluster)
    assert len(mail_to(mailbox, email, review)) == 1 and len(mail_to(mailbox, email, nudge)) == 1
    [reminder], [nudged] = mail_to(mailbox, email, review), mail_to(mailbox, email, nudge)
    assert "Reminded Person" not in whole_message(reminder) + whole_message(nudged)  # never the person's name
    assert published in whole_message(reminder) and draft in whole_message(nudged)  # each links to its own form


# --- runbooks: a lost app server, a key rotation, the production settings ---------------------------


def test_a_lost_app_server_costs_a_carer_only_the_request_in_flight(cluster, servers):
    """docs/operations/deploy.md, "A lost app server": a third host C is killed (SIGKILL: master, workers, PDF
    workers) while a carer is saving on it. The carer carries on on B, still signed in, with every save C
    acknowledged; a replacement started with the same command line serves them too."""
    _, b = servers
    start_server(cluster, 2)
    c = cluster.urls[2]
    browser = Browser()
    sign_up(browser, c, "lost-server@example.com")
    person_id = new_person(browser, c)
    page = f"/people/{person_id}/about-the-person/name"
    acknowledged: list[int] = []
    attempted: list[int] = []
    stop = threading.Event()

    def keep_saving() -> None:
        for n in range(1, 10_000):
            if stop.is_set():
                return
            attempted.append(n)
            try:
                status, url, _ = browser.post(f"{c}{page}", {"full_name": f"Saved {n} times"})
            except Exception:  # the server is gone (connection refused or cut): the carer's next click goes to B
                return
            if status != 200 or url.endswith(page):
                return
            acknowledged.append(n)

    saver = threading.Thread(target=keep_saving)
    saver.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 3 and saver.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(acknowledged) >= 3, "no saves on C"
    kill_server(cluster, 2)
    stop.set()  # the carer's next click goes to another server
    saver.join(timeout=60)
    assert not saver.is_alive()

    assert signed_in(browser, b)  # the session lives in PostgreSQL, not on C
    status, _, body = browser.get(f"{b}{page}")
    shown = re.search(r'value="Saved (\d+) times"', body.decode())
    assert status == 200 and shown, text_of(body)
    # every acknowledged save is there; the one in flight when C died happened or did not, nothing half-way
    assert acknowledged[-1] <= int(shown.group(1)) <= attempted[-1], (acknowledged[-1], shown.group(1))
    status, url, _ = browser.post(f"{b}{page}", {"full_name": "Carried on on B"})
    assert status == 200 and not url.endswith(page)

    start_server(cluster, 2)  # the replacement: the same environment and command line, the same address
    status, _, body = browser.get(f"{c}{page}")
    assert status == 200 and 'value="Carried on on B"' in body.decode()
    stop_server(cluster.servers[2])
    cluster.servers[2] = None


def test_a_key_rotation_made_on_host_b_is_honoured_by_host_a_through_rolling_restarts(cluster, servers, carer):
    """docs/operations/deploy.md, "Key rotation": the keyring comes from the secret store (HERBERT_KEYRING), so
    each step reaches a host when it restarts, one host at a time. Step 1 (--inactive) adds the key everywhere
    first; half-way through rolling out step 2 (--activate) a person added on B, whose key B wraps with the new
    key, opens on A, which still has step 1. After `keys rotate` on B, A opens everyone without a restart."""
    a, b = servers
    browser, _, person_id = carer
    old = Keyring.from_json(cluster.env["HERBERT_KEYRING"]).active
    step1, step2 = cluster.folder / "step1-keyring.json", cluster.folder / "step2-keyring.json"
    made = run_flask(cluster, 1, "keys", "new-keyring", "--inactive", "--output", str(step1))
    assert made.returncode == 0, made.stdout + made.stderr
    new = re.search(r"--activate (\S+) ", made.stdout).group(1)
    roll_out(cluster, HERBERT_KEYRING=step1.read_text())  # every server, one at a time, then the job runners
    made = run_flask(cluster, 1, "keys", "new-keyring", "--activate", new, "--output", str(step2))
    assert made.returncode == 0, made.stdout + made.stderr

    cluster.env["HERBERT_KEYRING"] = step2.read_text()
    restart_server(cluster, 1)  # half-way through the roll-out: B has step 2, A still step 1
    newcomer = new_person(browser, b)
    status, url, _ = browser.post(f"{b}/people/{newcomer}/about-the-person/name", {"full_name": "Added on B"})
    assert status == 200 and not url.endswith("/name")
    status, _, body = browser.get(f"{a}/people/{newcomer}/about-the-person/name")
    assert status == 200 and 'value="Added on B"' in body.decode(), status  # A unwraps B's new-key wrap
    restart_server(cluster, 0)
    restart_runners(cluster)

    rotated = run_flask(cluster, 1, "keys", "rotate")
    assert rotated.returncode == 0 and "Re-wrapped" in rotated.stdout, rotated.stdout + rotated.stderr
    status = run_flask(cluster, 0, "keys", "status")
    assert re.search(rf"{old}: wraps 0 people", status.stdout) and f"{new} (active)" in status.stdout, status.stdout
    for pid, name in ((person_id, NAME), (newcomer, "Added on B")):  # A, not restarted since, opens them all
        status, _, body = browser.get(f"{a}/people/{pid}/about-the-person/name")
        assert status == 200 and f'value="{name}' in body.decode()
    verify = run_flask(cluster, 0, "keys", "verify")
    assert verify.returncode == 0 and "All records open." in verify.stdout, verify.stdout + verify.stderr


PUBLIC_HOST = "herbert.example.org"
THROUGH_PROXY = {"Host": PUBLIC_HOST, "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}


def through_proxy(server: str, path: str, headers: dict[str, str], body: bytes | None = None):
    """A request as the TLS proxy of docs/operations/deploy.md forwards it: (status, headers, body)."""
    parts = urllib.parse.urlsplit(server)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    try:
        connection.request("POST" if body is not None else "GET", path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def test_production_settings_with_secrets_made_as_the_deploy_guide_says(tmp_path_factory, request, mailbox):
    """docs/operations/deploy.md, "The keyring and the secret key": the secret key from Python's secrets module,
    the first keyring from `keys new-keyring` with the production settings; then `flask init` and gunicorn with
    HERBERT_ENV=production and HERBERT_PROXY_FIX=true behind a (simulated) TLS proxy: other host names get 400,
    the session cookie is Secure, and a carer signs up over "https"."""
    if reason := unavailable():
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("production")
    made = subprocess.run(
        ["python3", "-c", "import secrets; print(secrets.token_urlsafe(48))"],
        capture_output=True,
        text=True,
        check=True,
    )
    secret_key = made.stdout.strip()
    assert len(secret_key) == 64
    production = {
        "HERBERT_ENV": "production",
        "HERBERT_PUBLIC_URL": f"https://{PUBLIC_HOST}",
        "HERBERT_PROXY_FIX": "true",
        "HERBERT_MAIL_SERVER": "127.0.0.1",
        "HERBERT_MAIL_PORT": str(mailbox.port),
    }
    secure_machine = {k: v for k, v in os.environ.items() if not k.startswith(("HERBERT_", "AWS_"))} | production
    secure_machine["HERBERT_INSTANCE_PATH"] = str(folder / "secure-machine")

    def flask(*args: str, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(VENV_BIN / "flask"), "--app", "herbert", *args], env=secure_machine | env,
                              cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)  # fmt: skip

    refused = flask("init")  # production never invents a secret key
    assert refused.returncode != 0 and "No secret key: set HERBERT_SECRET_KEY" in refused.stderr
    keyring_file = folder / "keyring.json"
    made = flask("keys", "new-keyring", "--output", str(keyring_file), HERBERT_SECRET_KEY=secret_key)
    assert made.returncode == 0 and "a first keyring" in made.stdout, made.stdout + made.stderr
    assert oct(keyring_file.stat().st_mode & 0o777) == "0o600"
    assert not any((folder / "secure-machine").glob("keyring*"))  # the secure machine keeps no copy

    s3 = request.getfixturevalue("s3_server")
    cluster = start_cluster(folder / "hosts", POSTGRES_URL, REDIS_URL, s3, servers=1, extra_env=production,
                            secret_key=secret_key, keyring=keyring_file.read_text())  # fmt: skip
    try:
        [server] = cluster.urls
        jar: dict[str, str] = {}

        def visit(path: str, body: bytes | None = None, **extra: str):
            """Through the proxy with this browser's cookies; every cookie the service sets must be Secure."""
            headers = THROUGH_PROXY | extra | ({"Cookie": "; ".join(jar.values())} if jar else {})
            status, response_headers, page = through_proxy(server, path, headers, body)
            for cookie in response_headers.get_all("Set-Cookie") or []:
                name = cookie.split("=", 1)[0]
                if "; Max-Age=0;" in cookie:  # a cookie deleted (the visitor's, once signed in)
                    jar.pop(name, None)
                    continue
                assert "; Secure" in cookie and "; HttpOnly" in cookie, name
                jar[name] = cookie.split(";", 1)[0]
            return status, response_headers, page

        status, _, body = visit("/sign-up")
        assert status == 200 and jar  # an anonymous visitor's (Secure) cookie
        for forged in ({"Host": "evil.example"}, {"X-Forwarded-Host": "evil.example"}):
            status, _, refusal = visit("/sign-in", **forged)
            assert status == 400 and b"does not answer to that host name" in refusal  # HERBERT_PROXY_FIX believed it

        token = CSRF_FIELD.search(body.decode()).group(1)
        form = {"csrf_token": token, "email": "production@example.com", "password": PASSWORD}
        status, headers, _ = visit(
            "/sign-up", urllib.parse.urlencode(form).encode(),
            Referer=f"https://{PUBLIC_HOST}/sign-up", **{"Content-Type": "application/x-www-form-urlencoded"},
        )  # fmt: skip
        assert status == 302 and "herbert_session" in jar, status
        status, _, page = visit("/account")
        assert status == 200 and "production@example.com" in text_of(page)
        assert "Traceback" not in cluster.log_text()
    finally:
        stop_cluster(cluster)
