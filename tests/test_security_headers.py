"""B11 headers on every kind of page (the ZAP baseline rules, in pytest): 200, 404, 405, 413, 429, 500,
CSRF failure and a signed-in page all carry the same security headers and no version banner."""

import logging
import re

import pytest
from bs4 import BeautifulSoup

CANARY = "canary-Zq81-user-typed-this"


def check_headers(response) -> list[str]:
    """The problems with one response's headers and body (empty when it passes)."""
    h = response.headers
    problems = []
    csp = h.get("Content-Security-Policy", "")
    nonce = re.search(r"'nonce-([A-Za-z0-9_-]{16,})'", csp)
    for directive in (
        "default-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ):
        if directive not in csp:
            problems.append(f"CSP lacks {directive}")
    if not nonce:
        problems.append("CSP has no nonce")
    if "unsafe-inline" in csp or "unsafe-eval" in csp:
        problems.append("CSP allows unsafe-inline/eval")
    expected = {
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cache-Control": "no-store",
    }
    for name, value in expected.items():
        if h.get(name) != value:
            problems.append(f"{name}: {h.get(name)!r}")
    if "camera=()" not in h.get("Permissions-Policy", ""):
        problems.append("Permissions-Policy missing")
    for banner in ("Server", "X-Powered-By"):
        if banner in h:
            problems.append(f"{banner} header present")
    body = response.get_data(as_text=True)
    for leak in ("Traceback", "werkzeug", "Werkzeug", "sqlalchemy", 'File "', CANARY):
        if leak in body:
            problems.append(f"body contains {leak!r}")
    if response.mimetype == "text/html" and nonce:
        page = BeautifulSoup(body, "html.parser")
        if any(script.get("nonce") != nonce.group(1) for script in page.find_all("script")):
            problems.append("script without the nonce")
        if not page.find(class_="govuk-footer"):
            problems.append("not in the layout")
    return problems


@pytest.fixture
def responses(app, client, auth):
    """One response of each kind, from the same app."""

    def explode():
        raise ValueError(f"could not parse {CANARY}")

    app.add_url_rule("/test-500", "test_500", explode)
    app.config["MAX_CONTENT_LENGTH"] = 2048
    token = BeautifulSoup(client.get("/sign-in").data, "html.parser").find("input", {"name": "csrf_token"})["value"]
    got = {
        "200 start": client.get("/"),
        "200 sign-in": client.get("/sign-in"),
        "404": client.get("/no-such-page"),
        "405": client.get("/sign-out"),
        "413": client.post("/sign-in", data={"csrf_token": token, "email": "x" * 5000}),
        "400 CSRF": client.post("/sign-in", data={"email": "carer@example.com"}),
        "500": client.get("/test-500"),
    }
    for n in range(11):
        last = client.post("/sign-in", data={"csrf_token": token, "email": f"p{n}@example.com", "password": ""})
    got["429"] = last
    app.config["MAX_CONTENT_LENGTH"] = 12 * 1024 * 1024
    auth.sign_up()
    got["200 signed in"] = client.get("/account")
    got["404 signed in"] = client.get("/people/" + "0" * 32 + "/nothing")
    return got


def test_b11_headers_on_every_kind_of_page(responses):
    statuses = {name: response.status_code for name, response in responses.items()}
    problems = {name: check_headers(response) for name, response in responses.items()}
    print("\nB11 headers: " + ", ".join(f"{name}={statuses[name]}:{p or 'ok'}" for name, p in problems.items()))
    assert statuses["404"] == 404 and statuses["405"] == 405 and statuses["413"] == 413
    assert statuses["500"] == 500 and statuses["429"] == 429 and statuses["400 CSRF"] == 400
    assert statuses["200 signed in"] == 200
    assert not any(problems.values()), problems
    assert responses["405"].headers.get("Allow")


def test_each_request_gets_its_own_nonce(client):
    first = client.get("/").headers["Content-Security-Policy"]
    second = client.get("/").headers["Content-Security-Policy"]
    assert first != second


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_500_is_logged_without_the_exception_message(app, client, caplog):
    def explode():
        raise ValueError(f"could not parse {CANARY}")

    app.add_url_rule("/test-500", "test_500", explode)
    with caplog.at_level(logging.ERROR):
        response = client.get("/test-500")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    print(f"\nB11 500 log line: {logged[:160]}…")
    assert response.status_code == 500
    assert "ValueError" in logged and "test_500" in logged
    assert CANARY not in logged and not any(record.exc_info for record in caplog.records)
    assert CANARY not in response.get_data(as_text=True)
