"""Apps made the way an operator runs them, for tests about production-only behaviour."""

from pathlib import Path

import pytest
from flask import Flask

from herbert import create_app
from herbert.records.keys import Keyring


def production_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **config) -> Flask:
    """A production app on a new SQLite file in tmp_path (email off on purpose); config adds or overrides."""
    monkeypatch.setenv("HERBERT_INSTANCE_PATH", str(tmp_path))
    base = {"ENV": "production", "SECRET_KEY": "x" * 48, "KEYRING": Keyring.generate().to_json(), "MAIL_DISABLED": True}
    return create_app({**base, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'h.db'}", **config})
