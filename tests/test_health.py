"""The load balancer's health check: 200 while the database answers, 503 when it does not, for any host name."""

import logging

import pytest

from herbert.extensions import db
from tests.support.apps import production_app


def test_health_is_ok_while_the_database_answers_and_leaves_nothing_behind(app, client):
    with app.app_context():
        before = {table.name: db.session.execute(table.select()).all() for table in db.metadata.sorted_tables}
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok\n"
    assert response.headers["Cache-Control"].startswith("no-store")
    assert "Set-Cookie" not in response.headers
    with app.app_context():
        after = {table.name: db.session.execute(table.select()).all() for table in db.metadata.sorted_tables}
    assert after == before  # no session row, no audit event


def test_health_is_503_when_the_database_is_gone(app, client, caplog):
    """A database file replaced by junk (a lost volume, a botched restore): the proxy must take this server out."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("sqlite:///"):
        pytest.skip("breaks the database by overwriting its SQLite file")
    with app.app_context():
        db.engine.dispose()
    with open(url.removeprefix("sqlite:///"), "r+b") as database_file:
        database_file.write(b"this is not a database" * 100)
    with caplog.at_level(logging.WARNING, logger="herbert.health"):
        response = client.get("/health")
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "database unavailable\n"
    assert "the database did not answer (DatabaseError)" in caplog.text


def test_health_answers_a_probe_by_the_servers_own_address_in_production(tmp_path, monkeypatch):
    app = production_app(tmp_path, monkeypatch, PUBLIC_URL="https://herbert.example.org/")
    client = app.test_client()
    assert client.get("/health", base_url="http://10.0.0.7:8000").status_code == 200
    assert client.get("/", base_url="http://10.0.0.7:8000").status_code == 400  # every other page still refuses
    assert client.get("/health/", base_url="http://10.0.0.7:8000").status_code == 400
