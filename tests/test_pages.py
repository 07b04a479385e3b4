"""The privacy notice, accessibility statement and cookies page are real, and linked from every page."""

import pytest


@pytest.mark.parametrize("path", ["/", "/sign-in", "/sign-up", "/privacy", "/accessibility", "/cookies"])
def test_footer_links_on_every_page(client_request, path):
    page = client_request.get(path)
    footer = {a["href"] for a in page.find("footer").find_all("a", href=True)}
    assert {"/privacy", "/accessibility", "/cookies"} <= footer


def test_privacy_notice_covers_uk_gdpr(client_request):
    text = client_request.get("/privacy").get_text(" ", strip=True)
    for phrase in [
        "special category data",
        "lawful basis",
        "9(2)(a)",
        "9(2)(c)",
        "encrypted",
        "police",
        "only when you decide to give it to them",
        "How long we keep it",
        "destroy its encryption key",
        "Your rights",
        "Information Commissioner",
        "[privacy contact email address]",  # the operator fills this in
    ]:
        assert phrase in text, phrase


def test_accessibility_statement(client_request):
    text = client_request.get("/accessibility").get_text(" ", strip=True)
    for phrase in ["WCAG", "2.2", "level AA", "axe-core", "keyboard", "Enforcement procedure"]:
        assert phrase in text, phrase


def test_cookies_page_names_the_one_cookie(app, client_request):
    page = client_request.get("/cookies")
    text = page.get_text(" ", strip=True)
    assert app.config["SESSION_COOKIE_NAME"] in text
    assert "strictly necessary" in text
    assert "do not use analytics" in text
    names = [key for key in page.select(".govuk-summary-list__key, th") if key.get_text(strip=True) == "Name"]
    assert len(names) == 1  # exactly one cookie described
