"""Absolute links come from PUBLIC_URL, never from the request's Host header (issue 15 point 6)."""

import pytest

from herbert.links import public_host, public_url_for
from tests.support.apps import production_app
from tests.support.journey import create_share, report_missing


def test_share_link_ignores_a_forged_host_header(carer):
    report_missing(carer)
    carer.client.environ_base["HTTP_HOST"] = "evil.example"
    link, _code, created = create_share(carer)
    assert link.startswith("http://localhost/police/share/")
    assert "evil.example" not in str(created)


def test_public_url_for_works_outside_a_request(app):
    with app.app_context():
        assert public_url_for("auth.sign_in") == "http://localhost/sign-in"
        assert public_host() == "localhost"


def test_production_refuses_to_start_without_a_public_url(tmp_path, monkeypatch):
    with pytest.raises(RuntimeError, match="HERBERT_PUBLIC_URL"):
        production_app(tmp_path, monkeypatch)


@pytest.mark.parametrize("bad", ["herbert.example.org", "ftp://herbert.example.org", "https://x.org/?a=1"])
def test_a_malformed_public_url_stops_start_up(tmp_path, monkeypatch, bad):
    with pytest.raises(RuntimeError, match="must look like"):
        production_app(tmp_path, monkeypatch, PUBLIC_URL=bad)


def test_production_refuses_requests_for_another_host(tmp_path, monkeypatch):
    app = production_app(tmp_path, monkeypatch, PUBLIC_URL="https://herbert.example.org/")
    client = app.test_client()
    assert client.get("/", base_url="https://evil.example").status_code == 400
    assert client.get("/", base_url="https://herbert.example.org").status_code != 400
    with app.app_context():
        assert public_url_for("pages.start") == "https://herbert.example.org/"
