"""Fixtures for the record store's tests: an app context with one carer, on SQLite and PostgreSQL."""

from dataclasses import dataclass

import pytest
from flask import Flask

from herbert.records.keys import load_keyring
from tests.support.store import make_user


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
