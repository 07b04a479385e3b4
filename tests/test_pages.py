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


def test_cookies_page_names_every_cookie_the_service_sets(app, client, auth, client_request):
    client.get("/sign-in")  # an anonymous visitor: the signed visitor cookie (no session row)
    set_names = {cookie.key for cookie in client._cookies.values()}
    auth.sign_up()  # the session and the new-device cookie
    set_names |= {cookie.key for cookie in client._cookies.values()}
    auth.sign_out()
    auth.sign_in()  # the known-device cookie that lets this browser past a stranger's lock-out
    set_names |= {cookie.key for cookie in client._cookies.values()}
    page = client_request.get("/cookies")
    text = page.get_text(" ", strip=True)
    assert app.config["SESSION_COOKIE_NAME"] in set_names and len(set_names) == 4
    assert "strictly necessary" in text
    assert "do not use analytics" in text
    described = [key.find_next_sibling().get_text(strip=True) for key in page.select(".govuk-summary-list__key")
                 if key.get_text(strip=True) == "Name"]
    assert sorted(described) == sorted(set_names)
