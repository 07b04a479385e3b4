"""Fixtures for the record store's tests: an app context with one carer, on SQLite and PostgreSQL."""

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

from herbert.records.keys import load_keyring

# store_helpers sits next to this file; the subprocess worker imports it by name too, so make that name
# importable whether or not this folder is a package.
sys.path.insert(0, str(Path(__file__).parent))
from store_helpers import make_user  # noqa: E402


@dataclass
class StoreContext:
    app: Flask
    user_id: int


@pytest.fixture
def ctx(app: Flask):
    """Inside an app context (as a request or a CLI command would be), with a carer account and a keyring."""
    with app.app_context():
        load_keyring()
        yield StoreContext(app=app, user_id=make_user("carer@example.com"))
