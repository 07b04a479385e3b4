"""Shared fixtures: an app per test on a fresh database (SQLite always; PostgreSQL too when
HERBERT_TEST_DATABASE_URL is set), a test client, a page checker and a sign-in helper."""

import os
import re
import secrets
import shutil
import tempfile
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings
from sqlalchemy import create_engine, text

from herbert import clock, create_app
from herbert.auth import passwords
from herbert.extensions import db
from herbert.models import User
from tests.support.accounts import AuthActions
from tests.support.blob_backends import blob_backend, blob_config, pytest_generate_tests, s3_server  # noqa: F401 (folder/s3rver)
from tests.support.carers import Carer, add_person
from tests.support.http_servers import free_port
from tests.support.journey import make_person
from tests.support.mail import Mailbox
from tests.support.pages import PageChecker

POSTGRES_URL = os.environ.get("HERBERT_TEST_DATABASE_URL")
# Every database test runs on SQLite, and has a PostgreSQL twin only when a server is named (CI names one):
# without it the twins are not made at all (the report header says so) rather than collected and skipped.
BACKENDS = ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]
PRODUCTION_HASHER = passwords.hasher

# B6 asks for at least 200 generated forms per section: CI runs them all; a developer's run takes a sample.
settings.register_profile("ci", max_examples=200)
settings.register_profile("dev", max_examples=25)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_report_header(config: pytest.Config) -> str:
    if POSTGRES_URL:
        return "databases: SQLite and PostgreSQL (HERBERT_TEST_DATABASE_URL)"
    return "databases: SQLite only; set HERBERT_TEST_DATABASE_URL to run every test on PostgreSQL too (CI does)"


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
    folder, or a new bucket on s3rver too in modules marked `blob_backends`: see tests/support/blob_backends.py)."""
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


@pytest.fixture
def client_request(client: FlaskClient) -> PageChecker:
    return PageChecker(client)


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def signed_in(client: FlaskClient, auth: AuthActions) -> FlaskClient:
    """A client signed in as a new carer (carer@example.com)."""
    response = auth.sign_up()
    assert response.status_code == 302, "sign-up failed"
    return client


@pytest.fixture
def carer(app: Flask, signed_in: FlaskClient) -> Carer:
    """A signed-in carer (carer@example.com) with one person added through the pages: an empty form."""
    with app.app_context():
        user_id = db.session.execute(db.select(User.id).filter_by(email="carer@example.com")).scalar_one()
    return Carer(app=app, client=signed_in, user_id=user_id, person_id=add_person(signed_in))


@pytest.fixture
def carer_with_form(app: Flask, signed_in: FlaskClient) -> Carer:
    """A signed-in carer with one person whose form is filled in, confirmed as version 1, with photos."""
    with app.app_context():
        user_id = db.session.execute(db.select(User.id).filter_by(email="carer@example.com")).scalar_one()
        person_id = make_person(user_id)
    return Carer(app=app, client=signed_in, user_id=user_id, person_id=person_id)


@pytest.fixture
def smtp():
    """aiosmtpd's controller on 127.0.0.1 (a free port), stopped when the test ends."""
    mailbox = Mailbox()
    mailbox.port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    yield mailbox
    controller.stop()


@pytest.fixture
def mail_app(app: Flask, smtp: Mailbox) -> Flask:
    """The test app (jobs in immediate mode) sending through the loopback SMTP server."""
    app.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_DEFAULT_SENDER="Herbert Protocol <noreply@example.org>"
    )
    app.extensions.pop("herbert.mail.sender", None)
    return app
