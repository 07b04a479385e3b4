"""Several app servers as a real deployment runs them, on loopback: gunicorn processes on their own ports
sharing one PostgreSQL database, one Redis (rate limits, and the job queue in a database of its own) and one
S3-compatible store (s3rver), with job runners (`flask --app herbert jobs run`) beside them.

Each server gets its own instance folder, as separate hosts would: nothing may depend on a shared disk.
The secret key and the keyring come from the environment (HERBERT_SECRET_KEY, HERBERT_KEYRING), as a
secret store would inject them. Used by tests/test_cluster.py (B21) and bench/bench_cluster_load.py.
Every server, job runner, database and Redis claim made here is stopped, dropped or released by stop_cluster().
"""

import http.cookiejar
import os
import re
import secrets
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from bs4 import BeautifulSoup
from sqlalchemy import create_engine, text

from herbert.crypto import Keyring
from herbert.dates import uk_now
from tests.support.blob_backends import CREDENTIALS, S3Server
from tests.support.http_servers import free_port

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
REQUEST_TIMEOUT_S = 120
# Redis databases a cluster's job queue may claim, one run each. huey names its keys after the app
# ("huey.redis.herbert"), not the run, so two runs sharing a database would take each other's jobs. 15 is the
# test suite's (rate limits; some tests flush it), 7 the load bench's default and 4 bench_mail's.
JOBS_DATABASES = (14, 13, 12, 11, 10, 9, 8)
JOBS_CLAIM = "herbert-cluster-jobs-claim"
JOBS_CLAIM_SECONDS = 6 * 3600  # a run killed before it released its claim frees the database after this


@dataclass
class Cluster:
    urls: list[str]
    database_url: str
    env: dict[str, str]
    folder: Path
    bucket: str
    s3: S3Server | None
    admin_url: str
    database: str
    gunicorn_options: list[list[str]] = field(default_factory=list)  # per server: workers, threads, --preload
    servers: list[subprocess.Popen | None] = field(default_factory=list)  # per url; None once stopped
    runners: list[tuple[int, bool, subprocess.Popen]] = field(default_factory=list)  # (host, periodic, process)
    jobs_claim: tuple[str, str] | None = None  # (Redis URL of the claimed database, claim token)
    logs: list[Path] = field(default_factory=list)

    def log_text(self) -> str:
        return "\n".join(path.read_text(errors="replace") for path in self.logs if path.exists())


def driver_url(url: str) -> str:
    return re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)


def start_cluster(
    folder: Path,
    postgres_url: str | None,
    redis_url: str | None,
    s3: S3Server | None,
    servers: int = 2,
    workers: int = 1,
    threads: int = 4,
    preload_first: bool = False,
    extra_env: dict[str, str] | None = None,
    job_runners: bool = False,
    mail_port: int | None = None,
    secret_key: str | None = None,
    keyring: str | None = None,
) -> Cluster:
    """Create a database, migrate it once, start `servers` gunicorn servers; wait until each answers.

    job_runners: the job queue on a Redis database of its own (claimed on redis_url's server) and two job
    runners, as docs/operations/deploy.md runs them: host 0's with the periodic jobs, host 1's with
    --no-periodic. mail_port: every process sends email to an SMTP server on 127.0.0.1 at that port.
    secret_key, keyring: the secrets (as a secret store holds them); generated here when not given.

    Without postgres_url, redis_url and s3 it is the embedded default instead (`make run`'s set-up: SQLite and
    photo blobs in one instance folder, rate limits in memory): one server only, since that is one machine."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    database = f"herbert_cluster_{secrets.token_hex(4)}"
    ports = [free_port() for _ in range(servers)]
    if postgres_url:
        admin_url = driver_url(postgres_url)
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{database}"'))
        admin.dispose()
        database_url = admin_url.rsplit("/", 1)[0] + f"/{database}"
    else:
        assert servers == 1, "the embedded default is one machine"
        assert not job_runners, "the embedded default's job queue is the instance's jobs.db"
        admin_url = ""
        database_url = f"sqlite:///{folder / 'host-0' / 'herbert.db'}"
    bucket = s3.new_bucket() if s3 else ""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HERBERT_", "AWS_"))}
    env.update(
        {
            "HERBERT_DATABASE_URL": database_url,
            "HERBERT_RATELIMIT_KEY_PREFIX": f"herbert-cluster-{secrets.token_hex(4)}",  # this run's counters only
            "HERBERT_SECRET_KEY": secret_key or secrets.token_urlsafe(48),
            "HERBERT_KEYRING": keyring or Keyring.generate().to_json(),
            "HERBERT_PUBLIC_URL": f"http://127.0.0.1:{ports[0]}",
            "PYTHONUNBUFFERED": "1",
        }
        | ({"HERBERT_RATELIMIT_STORAGE_URI": redis_url} if redis_url else {})
        | (s3.environment(bucket) | CREDENTIALS if s3 else {})
        | (
            {
                "HERBERT_MAIL_SERVER": "127.0.0.1",
                "HERBERT_MAIL_PORT": str(mail_port),
                "HERBERT_MAIL_DEFAULT_SENDER": "Herbert Protocol form <noreply@example.org>",
            }
            if mail_port
            else {}
        )
        | (extra_env or {})
    )
    cluster = Cluster(
        urls=[f"http://127.0.0.1:{port}" for port in ports],
        database_url=database_url,
        env=env,
        folder=folder,
        bucket=bucket,
        s3=s3,
        admin_url=admin_url,
        database=database,
    )
    try:
        if job_runners:
            assert redis_url, "the job runners of several hosts share a Redis queue"
            cluster.jobs_claim = claim_jobs_database(redis_url)
            cluster.env["HERBERT_JOBS_URL"] = cluster.jobs_claim[0]
        init = run_flask(cluster, 0, "init")
        if init.returncode != 0:
            raise RuntimeError(f"flask init failed: {init.stderr[-2000:]}")
        for number in range(servers):
            options = ["--workers", str(workers), "--threads", str(threads)]
            if preload_first and number == 0:
                options.append("--preload")  # the app is made before the fork: nothing may cross it
            cluster.gunicorn_options.append(options)
            cluster.servers.append(None)
            start_server(cluster, number, wait=False)
        for number in range(servers):
            wait_until_answering(cluster, number)
        if job_runners:
            start_runner(cluster, 0, periodic=True)
            start_runner(cluster, 1 if servers > 1 else 0, periodic=False)
    except BaseException:
        stop_cluster(cluster)
        raise
    return cluster


def start_server(cluster: Cluster, number: int, wait: bool = True) -> subprocess.Popen:
    """Start host `number`'s gunicorn (the command line of docs/operations/deploy.md) on its port, with the
    cluster's environment as it is now. A number one past the last adds a host (with the first's options)."""
    if number == len(cluster.urls):
        cluster.urls.append(f"http://127.0.0.1:{free_port()}")
        cluster.gunicorn_options.append([o for o in cluster.gunicorn_options[0] if o != "--preload"])
        cluster.servers.append(None)
    port = urllib.parse.urlsplit(cluster.urls[number]).port
    log = cluster.folder / f"host-{number}.log"
    command = [str(VENV_BIN / "gunicorn"), *cluster.gunicorn_options[number], "--timeout", "120",
               "--bind", f"127.0.0.1:{port}", "--no-control-socket", "herbert:create_app()"]  # fmt: skip
    with open(log, "a") as handle:
        process = subprocess.Popen(
            command, cwd=ROOT, env=host_env(cluster, number), stdout=handle, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the master, its workers and their PDF workers
        )  # fmt: skip
    cluster.servers[number] = process
    if log not in cluster.logs:
        cluster.logs.append(log)
    if wait:
        wait_until_answering(cluster, number)
    return process


def restart_server(cluster: Cluster, number: int) -> None:
    """Stop host `number`'s server and start it again with the cluster's environment as it is now (a rollout)."""
    process = cluster.servers[number]
    if process is not None:
        stop_process(process)
    start_server(cluster, number)


def kill_server(cluster: Cluster, number: int) -> None:
    """Lose host `number` at once, as a machine that dies does: SIGKILL to its master, workers and PDF workers."""
    process = cluster.servers[number]
    assert process is not None and process.poll() is None
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=20)


def start_runner(cluster: Cluster, host: int, periodic: bool) -> subprocess.Popen:
    """`flask --app herbert jobs run` on a host (with --no-periodic unless it is the one periodic runner)."""
    log = cluster.folder / f"runner-{len(cluster.runners)}-host-{host}.log"
    command = [str(VENV_BIN / "flask"), "--app", "herbert", "jobs", "run", "--workers", "2"]
    if not periodic:
        command.append("--no-periodic")
    with open(log, "a") as handle:
        process = subprocess.Popen(
            command, cwd=ROOT, env=host_env(cluster, host), stdout=handle, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    cluster.runners.append((host, periodic, process))
    if log not in cluster.logs:
        cluster.logs.append(log)
    deadline = time.monotonic() + 60
    while "Job runner started" not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the job runner on host {host} did not start: {log.read_text()[-2000:]}")
        time.sleep(0.1)
    return process


def roll_out(cluster: Cluster, **settings: str) -> None:
    """Change shared settings (e.g. HERBERT_KEYRING from the secret store) the way the runbook does: restart
    every app server, one at a time, then every job runner, each with the new environment."""
    cluster.env.update(settings)
    for number, process in enumerate(cluster.servers):
        if process is not None and process.poll() is None:
            restart_server(cluster, number)
    restart_runners(cluster)


def restart_runners(cluster: Cluster) -> None:
    running, cluster.runners = cluster.runners, []
    for host, periodic, process in running:
        stop_runner(process)
        start_runner(cluster, host, periodic)


def host_env(cluster: Cluster, number: int) -> dict[str, str]:
    """One host's environment: the shared settings plus its own instance folder."""
    instance = cluster.folder / f"host-{number}"
    instance.mkdir(mode=0o700, exist_ok=True)
    return cluster.env | {"HERBERT_INSTANCE_PATH": str(instance)}


def run_flask(cluster: Cluster, host: int, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """An operator's command on one host (as the runbooks in docs/operations/deploy.md run them)."""
    return subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "herbert", *args],
        cwd=ROOT,
        env=host_env(cluster, host),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def wait_until_answering(cluster: Cluster, number: int, timeout: float = 60) -> None:
    """Until GET / answers 200 for the service's own host name (production refuses any other)."""
    url, process = cluster.urls[number], cluster.servers[number]
    host = urllib.parse.urlsplit(cluster.env["HERBERT_PUBLIC_URL"]).netloc
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn for {url} exited with {process.returncode}")
        request = urllib.request.Request(url + "/", headers={"Host": host})  # noqa: S310 (our own loopback server)
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn for {url} did not answer in {timeout} s")


def stop_process(process: subprocess.Popen, first: int = signal.SIGTERM, grace: float = 20) -> None:
    """Stop a process started in its own session, and everything it started (SIGKILL after `grace` s)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, first)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=20)


def stop_server(process: subprocess.Popen) -> None:
    stop_process(process)


def stop_runner(process: subprocess.Popen) -> None:
    stop_process(process, signal.SIGINT, grace=30)  # what the runbook's KillSignal=SIGINT does: finish, then stop


def stop_cluster(cluster: Cluster) -> None:
    for _host, _periodic, process in cluster.runners:
        stop_runner(process)
    for process in cluster.servers:
        if process is not None:
            stop_server(process)
    if cluster.jobs_claim:
        release_jobs_database(*cluster.jobs_claim)
        cluster.jobs_claim = None
    if not cluster.admin_url:
        return
    admin = create_engine(cluster.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{cluster.database}" WITH (FORCE)'))
    admin.dispose()


# --- the job queue's Redis database ---------------------------------------------------------------


def redis_database_url(redis_url: str, number: int) -> str:
    parts = urllib.parse.urlsplit(redis_url)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{number}"))


def claim_jobs_database(redis_url: str) -> tuple[str, str]:
    """The first of JOBS_DATABASES on redis_url's server that no other run holds: (its URL, our claim token).
    Only huey's keys (left by a run that was killed) are cleared in it; nobody else's database is touched."""
    import redis

    token = secrets.token_hex(8)
    for number in JOBS_DATABASES:
        url = redis_database_url(redis_url, number)
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        try:
            if client.set(JOBS_CLAIM, token, nx=True, ex=JOBS_CLAIM_SECONDS):
                for key in list(client.scan_iter(match="huey.*")):
                    client.delete(key)
                return url, token
        finally:
            client.close()
    raise RuntimeError(f"every Redis database in {JOBS_DATABASES} is claimed by another run: try again later")


def release_jobs_database(url: str, token: str) -> None:
    """Delete huey's keys and our claim (only if it is still ours), never the database."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        if client.get(JOBS_CLAIM) == token.encode():
            for key in list(client.scan_iter(match="huey.*")):
                client.delete(key)
            client.delete(JOBS_CLAIM)
    finally:
        client.close()


# --- a browser ------------------------------------------------------------------------------------


class Browser:
    """One person's browser: one cookie jar for every server (cookies are per host name, not per port, just
    as behind a load balancer), following redirects. Each call names the server it goes to."""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, url: str, data: bytes | None = None, content_type: str | None = None) -> tuple[int, str, bytes]:
        """(status, final url, body); HTTP errors are returned, not raised."""
        request = urllib.request.Request(url, data=data)  # noqa: S310 (our own loopback servers)
        if content_type:
            request.add_header("Content-Type", content_type)
        try:
            with self.opener.open(request, timeout=REQUEST_TIMEOUT_S) as response:
                return response.status, response.geturl(), response.read()
        except urllib.error.HTTPError as failure:
            return failure.code, failure.geturl(), failure.read()

    def get(self, url: str) -> tuple[int, str, bytes]:
        return self.request(url)

    def token(self, url: str) -> str:
        status, _, body = self.get(url)
        found = CSRF.search(body.decode(errors="replace"))
        if not found:
            raise AssertionError(f"no csrf_token on {url} (HTTP {status})")
        return found.group(1)

    def post(
        self, url: str, fields: dict | list, form_url: str | None = None, token: str | None = None
    ) -> tuple[int, str, bytes]:
        """Post a form as a browser would: with the CSRF token of the page it is on (fetched first unless given)."""
        token = token or self.token(form_url or url)
        pairs = list(fields.items()) if isinstance(fields, dict) else list(fields)
        body = urllib.parse.urlencode([("csrf_token", token), *pairs], doseq=True).encode()
        return self.request(url, body, "application/x-www-form-urlencoded")

    def upload(self, url: str, fields: list[tuple[str, str]], file_field: str, data: bytes) -> tuple[int, str, bytes]:
        token = self.token(url)
        boundary = "----herbert-" + uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            for name, value in [("csrf_token", token), *fields]
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="photo.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n".encode()
            + data
            + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request(url, b"".join(parts), f"multipart/form-data; boundary={boundary}")


def text_of(body: bytes) -> str:
    return " ".join(BeautifulSoup(body, "html.parser").get_text().split())


def make_share(browser: Browser, server: str, person_id: str, password: str) -> tuple[str, str]:
    """Report missing (page 1 with its defaults), then make a share on the handover page: (path, access code)."""
    page_url = f"{server}/people/{person_id}/missing/last-seen"
    form = BeautifulSoup(browser.get(page_url)[2], "html.parser")
    data = [
        (field["name"], field.get("value", ""))
        for field in form.select("input[name]")
        if field["type"] not in ("submit", "checkbox", "radio", "hidden")
        and field["name"] not in ("last_seen_date", "last_seen_time")
    ]
    seen = uk_now() - timedelta(minutes=10)
    data += [("last_seen_date", str(seen.day)), ("last_seen_date", str(seen.month)), ("last_seen_date", str(seen.year))]
    data.append(("last_seen_time", seen.strftime("%H:%M")))
    data.append(("last_seen_where", form.find("textarea", {"name": "last_seen_where"}).text.strip() or "Home"))
    data.append(("action", "share"))
    status, url, body = browser.post(page_url, data)
    assert status == 200 and url.endswith("/missing/handover"), text_of(body)
    ready = BeautifulSoup(body, "html.parser")
    share_form = ready.find("form", action=f"/people/{person_id}/shares")
    fields = {"request_id": share_form.find("input", {"name": "request_id"})["value"], "hours": "72"}
    fields["source"] = "draft"
    if share_form.find("input", {"name": "password"}):
        fields["password"] = password
    token = share_form.find("input", {"name": "csrf_token"})["value"]  # the same page as its request_id
    status, _, body = browser.post(f"{server}/people/{person_id}/shares", fields, token=token)
    created = BeautifulSoup(body, "html.parser")
    assert status == 200 and created.find(id="share-link"), text_of(body)
    link = created.find(id="share-link").text.strip()
    return "/" + link.split("/", 3)[3], created.find(id="share-code").text.strip()
