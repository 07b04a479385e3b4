"""The two blob stores for tests: the instance folder, and a real S3-compatible server (s3rver, from npm).

A suite that touches blobs runs with both by putting `pytestmark = pytest.mark.blob_backends` at the top of
the module (the way tests/conftest.py runs every app test on SQLite and PostgreSQL). s3rver is started once
per test session (per xdist worker) on 127.0.0.1 by the `s3_server` fixture and stopped after; each test
gets its own new bucket, so tests never see each other's objects. When Node.js or the npm package is
missing, the S3 cases are skipped with a reason saying which.

moto is not used on purpose: it is a mock of the S3 API, and the point is to talk to a server.
"""

import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.support.http_servers import free_port

ROOT = Path(__file__).resolve().parents[2]
S3RVER = ROOT / "node_modules" / "s3rver" / "bin" / "s3rver.js"
NODE = shutil.which("node")
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "S3RVER", "AWS_SECRET_ACCESS_KEY": "S3RVER", "AWS_DEFAULT_REGION": "eu-west-2"}
PREFIX = "herbert/"


def s3_unavailable() -> str:
    """Why the S3 tests cannot run here ('' when they can)."""
    if NODE is None:
        return "S3 blob tests need Node.js (node is not on PATH) to run s3rver"
    if not S3RVER.exists():
        return f"S3 blob tests need the npm package s3rver ({S3RVER} is missing): run `make setup` (npm ci)"
    return ""


BLOB_BACKENDS = [
    "folder",
    pytest.param("s3", marks=pytest.mark.skipif(bool(s3_unavailable()), reason=s3_unavailable())),
]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked `blob_backends` that use the app run once per blob store (imported by tests/conftest.py)."""
    if metafunc.definition.get_closest_marker("blob_backends") and "blob_backend" in metafunc.fixturenames:
        metafunc.parametrize("blob_backend", BLOB_BACKENDS, indirect=True)


@dataclass
class S3Server:
    endpoint: str
    directory: Path
    process: subprocess.Popen
    _client: Any = None

    def client(self) -> Any:
        """One client per server, made on first use (making one costs about half a second)."""
        if self._client is None:
            self._client = self._new_client()
        return self._client

    def _new_client(self) -> Any:
        import boto3
        from botocore.config import Config

        config = Config(
            s3={"addressing_style": "path"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        return boto3.session.Session(
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
        ).client("s3", endpoint_url=self.endpoint, config=config)

    def new_bucket(self) -> str:
        name = f"herbert-test-{secrets.token_hex(6)}"
        self.client().create_bucket(Bucket=name)
        return name

    def objects(self, bucket: str) -> dict[str, bytes]:
        """Every object in the bucket (any prefix), read back through the S3 API."""
        client = self.client()
        names = [
            item["Key"]
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
            for item in page.get("Contents", [])
        ]
        return {name: client.get_object(Bucket=bucket, Key=name)["Body"].read() for name in names}

    def config(self, bucket: str) -> dict[str, str]:
        """The app settings (test_config form) for this bucket."""
        return {"S3_BUCKET": bucket, "S3_ENDPOINT_URL": self.endpoint, "S3_PREFIX": PREFIX}

    def environment(self, bucket: str) -> dict[str, str]:
        """The same settings as a child process's environment (HERBERT_* plus boto3's standard names)."""
        return {f"HERBERT_{name}": value for name, value in self.config(bucket).items()} | CREDENTIALS


RUNNING: list[S3Server] = []  # the session's s3rver, for apps made inside a test (a restore target)


def server_for(app: Flask) -> S3Server:
    return app.extensions.get("tests.s3_server") or RUNNING[0]



def start_s3rver(directory: Path, port: int | None = None) -> S3Server:
    """Start s3rver on loopback and wait until it answers; the caller stops it (stop_s3rver)."""
    port = port or free_port()
    process = subprocess.Popen(
        [NODE or "node", str(S3RVER), "--address", "127.0.0.1", "--port", str(port), "--directory", str(directory),
         "--silent"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"s3rver did not start: {process.stderr.read().decode()[-500:]}") from None
            time.sleep(0.1)
    return S3Server(endpoint=f"http://127.0.0.1:{port}", directory=directory, process=process)


def stop_s3rver(server: S3Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=10)
    server.process.stderr.close()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """One s3rver for the session (per xdist worker), on 127.0.0.1, stopped and its folder removed after."""
    reason = s3_unavailable()
    if reason:
        pytest.skip(reason)
    directory = Path(tempfile.mkdtemp(prefix="s3rver-"))
    server = start_s3rver(directory)
    RUNNING.append(server)
    yield server
    RUNNING.remove(server)
    stop_s3rver(server)
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def blob_backend(request: pytest.FixtureRequest) -> str:
    """Which blob store the `app` fixture configures: the folder, unless the test is marked `blob_backends`."""
    return getattr(request, "param", "folder")


@pytest.fixture
def blob_config(blob_backend: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Settings for the chosen blob store: nothing for the folder; a new bucket on s3rver for S3."""
    if blob_backend != "s3":
        return {}
    server: S3Server = request.getfixturevalue("s3_server")
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    return server.config(server.new_bucket())


def blob_environment(app: Flask, fresh: bool = False) -> dict[str, str]:
    """Environment for a child process using the app's blob store, or (fresh=True) a new empty one of the
    same kind (a restore target). Empty for the folder: the instance path decides."""
    bucket = app.config.get("S3_BUCKET")
    if not bucket:
        return {}
    server = server_for(app)
    return server.environment(server.new_bucket() if fresh else bucket)


def stored_blobs(app: Flask) -> dict[str, bytes]:
    """Every blob the app's store holds (key -> sealed bytes), whichever store it is."""
    from herbert.records.blobs import blob_store

    store = blob_store(app)
    return {key: store.get(key) for key in store.list_keys()}


def every_stored_object(app: Flask) -> dict[str, bytes]:
    """Everything in the blob store's own medium: every file under the folder (temp files too), or every
    object in the whole bucket (other prefixes too): what a B10 canary scan must search."""
    bucket = app.config.get("S3_BUCKET")
    if bucket:
        return server_for(app).objects(bucket)
    folder = Path(app.config["BLOB_PATH"])
    return {str(p): p.read_bytes() for p in folder.rglob("*") if p.is_file()} if folder.exists() else {}
