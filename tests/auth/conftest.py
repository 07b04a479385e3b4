"""Helpers for the account and session tests: building an app with its own config, and two-factor codes."""

import os
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from herbert import clock, create_app
from herbert.extensions import db
from herbert.models import User

PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def build_app(tmp_path: Path, sqlite_template: Path):
    """Make an extra SQLite app with config of the test's choosing (e.g. production cookies, Redis limits)."""
    made: list[Flask] = []

    def build(name: str = "extra", **config) -> Flask:
        instance = tmp_path / name
        instance.mkdir(mode=0o700, exist_ok=True)
        if not (instance / "herbert.db").exists():
            shutil.copy(sqlite_template, instance / "herbert.db")
        os.environ["HERBERT_INSTANCE_PATH"] = str(instance)
        try:
            app = create_app(
                {
                    "TESTING": True,
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'herbert.db'}",
                    "RATELIMIT_ENABLED": True,
                    **config,
                }
            )
        finally:
            os.environ.pop("HERBERT_INSTANCE_PATH", None)
        made.append(app)
        return app

    yield build
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.data, "html.parser")


def csrf(client: FlaskClient, path: str) -> str:
    return page(client.get(path)).find("input", {"name": "csrf_token"})["value"]


def post(client: FlaskClient, path: str, data: dict | None = None, token_from: str | None = None, **kwargs):
    """POST a form the way a browser would: with the CSRF token from the page it came from."""
    data = dict(data or {})
    data.setdefault("csrf_token", csrf(client, token_from or path))
    return client.post(path, data=data, **kwargs)


def error_text(response) -> str:
    summary = page(response).find(class_="govuk-error-summary")
    return summary.get_text(" ", strip=True) if summary else ""


def code_at(secret: str, moment: datetime) -> str:
    return pyotp.TOTP(secret).at(int(moment.replace(tzinfo=UTC).timestamp()))


def user_row(app: Flask, email: str = "carer@example.com") -> User:
    with app.app_context():
        user = db.session.execute(db.select(User).filter_by(email=email)).scalar_one()
        db.session.expunge(user)
        return user


class TwoFactorSetUp:
    """Turns on two-factor through the real pages with the clock frozen, so codes are predictable."""

    def __init__(self, client: FlaskClient):
        self.client = client
        self.now = clock.utcnow()
        clock.freeze(self.now)
        self.secret = ""
        self.recovery_codes: list[str] = []

    def advance(self, seconds: int = 30) -> datetime:
        self.now += timedelta(seconds=seconds)
        clock.freeze(self.now)
        return self.now

    def code(self) -> str:
        return code_at(self.secret, self.now)

    def turn_on(self) -> BeautifulSoup:
        set_up = page(self.client.get("/account/two-factor/set-up"))
        self.secret = re.sub(r"\s", "", set_up.find(id="secret-key").get_text())
        response = post(self.client, "/account/two-factor/set-up", {"code": self.code()})
        assert response.status_code == 200
        codes_page = page(response)
        self.recovery_codes = [code.get_text() for code in codes_page.select(".app-recovery-codes code")]
        return codes_page


@pytest.fixture
def two_factor(signed_in: FlaskClient) -> TwoFactorSetUp:
    """carer@example.com, signed in, with two-factor turned on."""
    helper = TwoFactorSetUp(signed_in)
    helper.turn_on()
    yield helper
    clock.freeze(None)
