"""Several app servers as a real deployment runs them, on loopback: gunicorn processes on their own ports
sharing one PostgreSQL database, one Redis database (rate limits) and one S3-compatible store (s3rver).

Each server gets its own instance folder, as separate hosts would: nothing may depend on a shared disk.
The secret key and the keyring come from the environment (HERBERT_SECRET_KEY, HERBERT_KEYRING), as a
secret store would inject them. Used by tests/test_cluster.py (B21) and bench/bench_cluster_load.py.
Every server and database made here is stopped or dropped by stop_cluster().
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
from tests.support.blob_backends import CREDENTIALS, S3Server, free_port

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
REQUEST_TIMEOUT_S = 120


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
    processes: list[subprocess.Popen] = field(default_factory=list)
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
) -> Cluster:
    """Create a database, migrate it once, start `servers` gunicorn servers; wait until each answers.

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
        admin_url = ""
        database_url = f"sqlite:///{folder / 'host-0' / 'herbert.db'}"
    bucket = s3.new_bucket() if s3 else ""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HERBERT_", "AWS_"))}
    env.update(
        {
            "HERBERT_DATABASE_URL": database_url,
            "HERBERT_RATELIMIT_KEY_PREFIX": f"herbert-cluster-{secrets.token_hex(4)}",  # this run's counters only
            "HERBERT_SECRET_KEY": secrets.token_urlsafe(48),
            "HERBERT_KEYRING": Keyring.generate().to_json(),
            "HERBERT_PUBLIC_URL": f"http://127.0.0.1:{ports[0]}",
            "PYTHONUNBUFFERED": "1",
        }
        | ({"HERBERT_RATELIMIT_STORAGE_URI": redis_url} if redis_url else {})
        | (s3.environment(bucket) | CREDENTIALS if s3 else {})
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
        init = run_flask(cluster, 0, "init")
        if init.returncode != 0:
            raise RuntimeError(f"flask init failed: {init.stderr[-2000:]}")
        for number, port in enumerate(ports):
            log = folder / f"host-{number}.log"
            command = [str(VENV_BIN / "gunicorn"), "--workers", str(workers), "--threads", str(threads),
                       "--timeout", "120", "--bind", f"127.0.0.1:{port}", "--no-control-socket"]  # fmt: skip
            if preload_first and number == 0:
                command.append("--preload")  # the app is made before the fork: nothing may cross it
            with open(log, "w") as handle:
                cluster.processes.append(
                    subprocess.Popen(
                        [*command, "herbert:create_app()"],
                        cwd=ROOT,
                        env=host_env(cluster, number),
                        stdout=handle,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
            cluster.logs.append(log)
        for url, process in zip(cluster.urls, cluster.processes, strict=True):
            wait_until_answering(url, process)
    except BaseException:
        stop_cluster(cluster)
        raise
    return cluster


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


def wait_until_answering(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn for {url} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/", timeout=5) as response:  # noqa: S310 (our own loopback server)
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn for {url} did not answer in {timeout} s")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)  # its own session: the master, its workers and their PDF workers
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=20)


def stop_cluster(cluster: Cluster) -> None:
    for process in cluster.processes:
        stop_server(process)
    if not cluster.admin_url:
        return
    admin = create_engine(cluster.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{cluster.database}" WITH (FORCE)'))
    admin.dispose()


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
