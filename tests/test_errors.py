"""Error pages: every status the app can answer with is a page in the service's layout, with no stack trace."""

import sys

import pytest
from flask import abort

from herbert.errors import TITLES


@pytest.fixture
def aborting(app):
    def fail(code: int):
        if code == 410:
            abort(410, description="This share link expired on 3 March.")
        abort(code)

    app.add_url_rule("/test-abort/<int:code>", "test_abort", fail)
    return app


@pytest.mark.parametrize("code", [400, 403, 404, 405, 410, 413, 429, 500])
def test_error_pages_in_the_layout(aborting, client_request, code):
    page = client_request.get(f"/test-abort/{code}", expected_status=code)
    assert page.title.text.strip().startswith(TITLES[code])
    assert page.h1.text.strip() == TITLES[code]
    assert page.find(class_="govuk-footer") and page.find(class_="app-sidebar")
    assert "call 999" in page.get_text()
    assert "Traceback" not in page.get_text() and "Werkzeug" not in page.get_text()


def test_410_shows_the_views_own_message(aborting, client_request):
    page = client_request.get("/test-abort/410", expected_status=410)
    assert "This share link expired on 3 March." in page.get_text()


def test_unknown_http_errors_become_the_500_page(aborting, client_request):
    page = client_request.get("/test-abort/418", expected_status=500)
    assert page.h1.text.strip() == TITLES[500]


def test_csrf_expired_page(client_request):
    response = client_request.client.post("/sign-in", data={"email": "a@example.com", "password": "x"})
    page = client_request.check(response)
    assert response.status_code == 400
    assert page.h1.text.strip() == "Your page timed out"


def test_signed_in_error_pages_keep_the_signed_in_layout(signed_in, client_request):
    page = client_request.get("/no-such-page", expected_status=404)
    assert page.find("form", action="/sign-out")  # the layout knows who is signed in


def test_flask_own_error_logs_keep_the_type_but_withhold_the_text(app, caplog):
    """Failures Flask logs itself (outside our 500 handler) must not carry what a user typed."""
    canary = "canary-typed-by-a-carer-5173"
    with app.test_request_context("/"):
        try:
            raise ValueError(f"bad value {canary}")
        except ValueError:
            app.logger.exception("Request finalizing failed with an error while handling an error")
            app.log_exception(sys.exc_info())
    logged = "\n".join(record.getMessage() + str(record.exc_info or "") for record in caplog.records)
    assert "ValueError" in logged
    assert canary not in logged


def test_the_404_page_says_call_999_once(client_request):
    """Once in the page's own content; the useful links leave their copy out (wide sidebar and phone)."""
    page = client_request.get("/no-such-page", expected_status=404)
    text = page.find("main").get_text(" ")
    assert text.count("call 999 now") == 1
    assert page.find("main").find(class_="app-emergency-banner")
