"""Fixtures for the account and session tests: an app with its own config, and a carer with two-factor on."""

import os
import shutil
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from herbert import clock, create_app
from herbert.extensions import db
from tests.support.accounts import TwoFactorSetUp


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


@pytest.fixture
def two_factor(signed_in: FlaskClient) -> TwoFactorSetUp:
    """carer@example.com, signed in, with two-factor turned on."""
    helper = TwoFactorSetUp(signed_in)
    helper.turn_on()
    yield helper
    clock.freeze(None)
