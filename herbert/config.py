"""Configuration layers: built-in defaults < instance/config.py < HERBERT_* environment < the test's dict."""

import contextlib
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask


class Defaults:
    """Built-in defaults: safe for development, and production only differs by what fails fast."""

    SERVICE_NAME = "Herbert Protocol form"
    ENV = "development"  # or "production": then missing secrets stop start-up instead of being generated
    DATABASE_URL: str | None = None  # None means SQLite in the instance folder
    SECRET_KEY_FILE = "secret_key"  # noqa: S105 (a file name, not a secret)
    KEYRING_FILE = "keyring.json"
    KEYRING: str | None = None  # the keyring as JSON, for deployments that inject it from the environment
    BLOB_DIR = "blobs"
    # Photos (sealed) on S3-compatible object storage instead of BLOB_DIR when S3_BUCKET is set; credentials and
    # region come from boto3's standard AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_DEFAULT_REGION.
    S3_BUCKET: str | None = None
    S3_ENDPOINT_URL: str | None = None  # for services other than AWS, e.g. "https://objects.example.net"
    S3_PREFIX = ""  # e.g. "herbert/": every object name starts with it
    BLOB_SWEEP_GRACE_SECONDS = 600  # the start-up sweep leaves younger stray files alone (another worker's upload)
    MAX_CONTENT_LENGTH = 12 * 1024 * 1024  # one photo upload at most; larger requests get 413
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the (server-side, expiring) session
    SESSION_IDLE_MINUTES = 30
    SESSION_ABSOLUTE_HOURS = 12
    SESSION_COOKIE_NAME = "herbert_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE: bool | None = None  # None: secure in production, plain in development
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = False
    RESOURCES_FILE = "resources.toml"  # looked for in the instance folder first, then the packaged default
    PROXY_FIX = False  # trust one proxy's X-Forwarded-* headers (set when running behind nginx/caddy)
    PDF_TIMEOUT_SECONDS = 20
    PDF_WORKERS = 2  # long-lived WeasyPrint worker processes per app process
    PREPARE_POLICE_PDFS = True  # render a share's police PDF in the background when it is made (kept sealed)
    PDF_POLICE_WORKERS = 1  # one more that only police PDFs may use, so carers' renders cannot starve them
    PDF_QUEUE_SECONDS = 1  # a carer's render that cannot start within this gets "try again", never a queue
    PDF_POLICE_QUEUE_SECONDS = 10
    # Caps that bound each request's work (herbert/caps.py; README "Limits"):
    MAX_LIST_ROWS = 15
    MAX_PHOTOS_PER_PERSON = 20
    MAX_PEOPLE_PER_ACCOUNT = 25
    MAX_RESIDENTS_PER_ORGANISATION = 500
    IMPORT_MAX_TOTAL_PIXELS = 100_000_000
    MAX_LIVE_SHARES_PER_PERSON = 5
    # Where carers and police reach the service, e.g. "https://herbert.example.org". Every absolute link (share
    # links, QR codes, emails) is built from it, never from the request's Host header; production requires it.
    PUBLIC_URL: str | None = None
    DEVELOPMENT_PUBLIC_URL = "http://127.0.0.1:5000"  # where `make run` serves
    # The job runner and outgoing email (docs/design/email-and-jobs.md).
    JOBS_URL: str | None = None  # None: a SQLite file (jobs.db) in the instance folder; or "redis://host:6379/1"
    JOBS_IMMEDIATE: bool | None = None  # None: run jobs inside the caller when TESTING, else in the job runner
    JOBS_NAME = "herbert"  # the queue's name (its Redis keys are huey.*.NAME): differ to share one Redis database
    MAIL_SERVER: str | None = None  # None: email is off and messages go to the log (refused in production)
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER: str | None = None
    MAIL_DISABLED = False  # production only starts without a mail server when this says so explicitly
    MAIL_SENDER: str | None = None  # "package.module:Class" of another sender (e.g. a GOV.UK Notify client)


def load_config(app: Flask, test_config: Mapping[str, Any] | None) -> None:
    """Apply the layers in order, then derive the values that depend on the instance folder."""
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env(prefix="HERBERT")
    if test_config:
        app.config.update(test_config)

    instance = Path(app.instance_path)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        url = app.config["DATABASE_URL"] or f"sqlite:///{instance / 'herbert.db'}"
        app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(url)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["BLOB_PATH"] = str(instance / app.config["BLOB_DIR"])
    if app.config["SESSION_COOKIE_SECURE"] is None:
        app.config["SESSION_COOKIE_SECURE"] = app.config["ENV"] == "production"
    app.config["RATELIMIT_STORAGE_URI"] = app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = read_secret_key(app)
    apply_public_url(app)


def apply_public_url(app: Flask) -> None:
    """Normalise PUBLIC_URL; in production it is required and requests for any other host name are refused."""
    url = app.config.get("PUBLIC_URL")
    if not url:
        if app.config["ENV"] == "production":
            raise RuntimeError("No public address: set HERBERT_PUBLIC_URL, e.g. https://herbert.example.org")
        url = app.config["DEVELOPMENT_PUBLIC_URL"]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise RuntimeError("HERBERT_PUBLIC_URL must look like https://herbert.example.org (optionally with a path)")
    app.config["PUBLIC_URL"] = url.rstrip("/")
    if app.config["ENV"] == "production" and not app.config.get("TRUSTED_HOSTS"):
        app.config["TRUSTED_HOSTS"] = [parts.hostname]


def normalise_database_url(url: str) -> str:
    """Accept the usual postgres:// spellings and use psycopg 3, the driver we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def engine_options(url: str) -> dict[str, Any]:
    """SQLite waits for a busy writer instead of failing; PostgreSQL drops dead pooled connections."""
    # hide_parameters: a database error's text never carries the values (an email, a sealed blob).
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30}, "hide_parameters": True}
    return {"pool_pre_ping": True, "hide_parameters": True}


def read_secret_key(app: Flask) -> str:
    """The secret key lives in a 0600 file in the instance folder; created on first run in development only."""
    path = Path(app.instance_path) / app.config["SECRET_KEY_FILE"]
    if path.exists():
        return path.read_text().strip()
    if app.config["ENV"] == "production":
        raise RuntimeError(f"No secret key: set HERBERT_SECRET_KEY or create {path} with `flask --app herbert init`.")
    with contextlib.suppress(FileExistsError):  # another worker created it first: use theirs
        write_private_file(path, secrets.token_urlsafe(48))
    return path.read_text().strip()


def write_private_file(path: Path, text: str) -> None:
    """Create a file only its owner can read, without a window where it is world-readable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
