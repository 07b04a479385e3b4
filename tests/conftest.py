"""Shared fixtures: an app per test on a fresh database (SQLite always; PostgreSQL too when
HERBERT_TEST_DATABASE_URL is set), a test client, a page checker and a sign-in helper."""

import os
import re
import secrets
import shutil
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings
from sqlalchemy import create_engine, text

from herbert import clock, create_app
from herbert.auth import passwords
from herbert.extensions import db
from tests.blob_backends import blob_backend, blob_config, pytest_generate_tests, s3_server  # noqa: F401 (folder/s3rver)

POSTGRES_URL = os.environ.get("HERBERT_TEST_DATABASE_URL")
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgres",
        marks=pytest.mark.skipif(
            not POSTGRES_URL, reason="PostgreSQL tests need HERBERT_TEST_DATABASE_URL (CI sets it)"
        ),
    ),
]
PASSWORD = "correct horse battery staple 42"
PRODUCTION_HASHER = passwords.hasher

# B6 asks for at least 200 generated forms per section: CI runs them all; a developer's run takes a sample.
settings.register_profile("ci", max_examples=200)
settings.register_profile("dev", max_examples=25)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_configure(config: pytest.Config) -> None:
    # Tests make their own keys and never touch the developer's instance folder.
    os.environ.pop("HERBERT_INSTANCE_PATH", None)


@pytest.fixture(autouse=True)
def quick_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2id parameters for tests about behaviour, so the suite stays fast on a busy machine.

    Tests that measure hashing itself (B1 storage, B2 timing) ask for the `real_hashing` fixture instead.
    """
    if "real_hashing" in request.fixturenames:
        return
    quick = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "hasher", quick)
    monkeypatch.setattr(passwords, "DUMMY_HASH", quick.hash("not a real password, only for timing"))


@pytest.fixture
def real_hashing() -> PasswordHasher:
    """The production argon2id parameters, untouched."""
    assert passwords.hasher is PRODUCTION_HASHER
    return passwords.hasher


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One empty database per test run; each test gets a copy. (tests/test_migrations.py checks that
    the Alembic migrations build exactly these tables.)"""
    instance = tmp_path_factory.mktemp("template-instance")
    path = instance / "template.db"
    create_tables(f"sqlite:///{path}", instance)
    return path


def create_tables(url: str, instance: Path) -> None:
    os.environ["HERBERT_INSTANCE_PATH"] = str(instance)
    try:
        app = create_app({"TESTING": True, "SECRET_KEY": "template", "SQLALCHEMY_DATABASE_URI": url})
    finally:
        os.environ.pop("HERBERT_INSTANCE_PATH", None)
    with app.app_context():
        db.create_all()
        db.engine.dispose()


@pytest.fixture(scope="session")
def postgres_database() -> str:
    """A database of our own on the shared server for this run (per xdist worker), dropped afterwards."""
    assert POSTGRES_URL
    name = f"herbert_test_{secrets.token_hex(4)}"
    admin = create_engine(_driver_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = _driver_url(POSTGRES_URL).rsplit("/", 1)[0] + f"/{name}"
    create_tables(url, Path(tempfile.mkdtemp()))
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _driver_url(url: str) -> str:
    return re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def app(backend: str, request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, blob_config: dict):  # noqa: F811
    """A fresh app with its own instance folder, keyring and empty migrated database (and blob store: the
    folder, or a new bucket on s3rver too in modules marked `blob_backends`: see tests/blob_backends.py)."""
    clock.freeze(None)
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o700)
    if backend == "postgres":
        url = request.getfixturevalue("postgres_database")
    else:
        shutil.copy(sqlite_template, instance / "herbert.db")
        url = f"sqlite:///{instance / 'herbert.db'}"
    os.environ["HERBERT_INSTANCE_PATH"] = str(instance)
    try:
        app = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": url,
                "RATELIMIT_ENABLED": True,
                "PUBLIC_URL": "http://localhost",
                "PREPARE_POLICE_PDFS": False,  # no background renders; tests/handover/test_kept_pdfs.py turns it on
            }
            | blob_config
        )
    finally:
        os.environ.pop("HERBERT_INSTANCE_PATH", None)
    if blob_config:
        app.extensions["tests.s3_server"] = request.getfixturevalue("s3_server")
    yield app
    with app.app_context():
        if backend == "postgres":
            empty_all_tables()
        db.session.remove()
        db.engine.dispose()
    clock.freeze(None)


def empty_all_tables() -> None:
    names = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
    db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    db.session.commit()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


class PageChecker:
    """Fetch pages through the test client and check what every page must get right
    (in the spirit of notifications-admin's client_request): a title, unique ids, a nonce on
    every script matching the CSP header, and a CSRF token in every POST form."""

    def __init__(self, client: FlaskClient):
        self.client = client

    def get(self, path: str, expected_status: int = 200, **kwargs) -> BeautifulSoup:
        response = self.client.get(path, **kwargs)
        assert response.status_code == expected_status, (path, response.status_code)
        return self.check(response)

    def post(self, path: str, data: dict | None = None, expected_status: int = 200, **kwargs) -> BeautifulSoup:
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        response = self.client.post(path, data=data, **kwargs)
        assert response.status_code == expected_status, (path, response.status_code, response.location)
        return self.check(response) if response.mimetype == "text/html" and expected_status < 300 else response

    def csrf_token(self) -> str:
        page = self.client.get("/sign-in" if not self._signed_in() else "/account")
        field = BeautifulSoup(page.data, "html.parser").find("input", {"name": "csrf_token"})
        return field["value"] if field else ""

    def _signed_in(self) -> bool:
        return self.client.get("/account").status_code == 200

    @staticmethod
    def check(response) -> BeautifulSoup:
        page = BeautifulSoup(response.data, "html.parser")
        title = page.find("title")
        assert title is not None and title.text.strip(), "page has no title"
        ids = Counter(tag["id"] for tag in page.find_all(id=True))
        duplicates = [name for name, count in ids.items() if count > 1]
        assert not duplicates, f"duplicate ids: {duplicates}"
        csp = response.headers.get("Content-Security-Policy", "")
        nonce = re.search(r"'nonce-([^']+)'", csp)
        for script in page.find_all("script"):
            assert nonce and script.get("nonce") == nonce.group(1), "script without the request's CSP nonce"
        for form in page.find_all("form"):
            if form.get("method", "get").lower() == "post":
                assert form.find("input", {"name": "csrf_token"}), "POST form without a CSRF token"
        return page


@pytest.fixture
def client_request(client: FlaskClient) -> PageChecker:
    return PageChecker(client)


def csrf_from(client: FlaskClient, path: str) -> str:
    page = BeautifulSoup(client.get(path).data, "html.parser")
    return page.find("input", {"name": "csrf_token"})["value"]


class AuthActions:
    """Sign up, sign in and out through the real pages, as a carer would."""

    def __init__(self, client: FlaskClient):
        self.client = client

    def sign_up(self, email: str = "carer@example.com", password: str = PASSWORD):
        token = csrf_from(self.client, "/sign-up")
        return self.client.post("/sign-up", data={"email": email, "password": password, "csrf_token": token})

    def sign_in(self, email: str = "carer@example.com", password: str = PASSWORD):
        token = csrf_from(self.client, "/sign-in")
        return self.client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token})

    def sign_out(self):
        token = csrf_from(self.client, "/account")
        return self.client.post("/sign-out", data={"csrf_token": token})


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def signed_in(client: FlaskClient, auth: AuthActions) -> FlaskClient:
    """A client signed in as a new carer (carer@example.com)."""
    response = auth.sign_up()
    assert response.status_code == 302, "sign-up failed"
    return client
