"""Issue 2 in a real browser: the public and account pages pass axe, work by keyboard alone, reflow at
320 px and work with JavaScript turned off."""

import pytest

from tests.support.browser import NARROW, PASSWORD, Journey, tab_to, unique_email

pytestmark = pytest.mark.browser

PUBLIC_PAGES = ["/", "/sign-up", "/sign-in", "/privacy", "/accessibility", "/cookies"]
SIGNED_IN_PAGES = ["/people", "/account", "/", "/privacy", "/accessibility", "/cookies"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_has_no_axe_violations(journey: Journey, path: str):
    journey.visit(path)
    assert journey.page.locator("h1").count() == 1


def test_signed_in_pages_have_no_axe_violations(journey: Journey):
    journey.sign_up()
    for path in SIGNED_IN_PAGES:
        journey.visit(path)
        assert journey.page.get_by_role("button", name="Sign out").is_visible()


def test_page_not_found_has_no_axe_violations(journey: Journey):
    journey.visit("/no-such-page", status=404)
    assert journey.page.locator("h1").inner_text() == "Page not found"


def test_sign_up_error_state_is_announced_and_accessible(journey: Journey):
    journey.visit("/sign-up")
    journey.submit("Create account")
    page = journey.page
    assert journey.visited[-1]["error_state"]
    assert page.title().startswith("Error: ")
    summary = page.locator(".govuk-error-summary")
    # GOV.UK Frontend moves focus to the summary so screen readers announce the errors at once.
    assert summary.evaluate("(e) => document.activeElement === e")
    assert "Enter your email address" in summary.inner_text()
    # Each summary link takes the carer to the field it is about.
    summary.get_by_role("link", name="Enter your email address").click()
    assert page.evaluate("document.activeElement.id") == "email"


def test_sign_up_with_a_badly_formed_email_shows_an_accessible_error(journey: Journey):
    journey.visit("/sign-up")
    journey.fill("Email address", "not-an-email")
    journey.page.locator("input[name=password]").fill(PASSWORD)
    journey.submit("Create account")
    assert journey.error_state()
    assert journey.page.get_by_label("Email address", exact=True).input_value() == "not-an-email"


def test_sign_in_error_state_has_no_axe_violations(journey: Journey):
    journey.visit("/sign-in")
    journey.submit("Sign in")
    assert journey.error_state()


@pytest.mark.parametrize("finish_with", ["Enter in the password field", "Tab to the button and press Space"])
def test_sign_up_by_keyboard_alone(journey: Journey, finish_with: str):
    page = journey.page
    journey.visit("/sign-up")
    email = unique_email()
    tab_to(page, "#email")
    page.keyboard.type(email)
    tab_to(page, "#password")
    page.keyboard.type(PASSWORD)
    with journey.navigation():
        if finish_with.startswith("Enter"):
            page.keyboard.press("Enter")
        else:
            tab_to(page, "main button[type=submit], main input[type=submit]")
            page.keyboard.press("Space")
    assert journey.path == "/people"
    assert page.locator("h1").inner_text() == "Your people"
    assert page.get_by_role("button", name="Sign out").is_visible()


def test_sign_in_by_keyboard_alone(journey: Journey, make_journey):
    email = journey.sign_up()
    carer = make_journey()
    page = carer.page
    carer.visit("/sign-in")
    tab_to(page, "#email")
    page.keyboard.type(email)
    tab_to(page, "#password")
    page.keyboard.type(PASSWORD)
    with carer.navigation():
        page.keyboard.press("Enter")
    assert carer.path == "/people"


@pytest.mark.parametrize("path", ["/", "/sign-up"])
def test_skip_link_is_first_and_moves_focus_to_main(journey: Journey, path: str):
    page = journey.page
    journey.visit(path)
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.innerText.trim(), document.activeElement.getAttribute('href')]")
    assert focused == ["Skip to main content", "#main-content"]
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main-content"
    assert page.evaluate("document.activeElement.tagName") == "MAIN"


@pytest.mark.parametrize("path", PUBLIC_PAGES + ["/no-such-page"])
def test_public_page_reflows_at_320_pixels(make_journey, path: str):
    journey = make_journey(viewport=NARROW)
    # Journey.check (run by visit) fails when the page is wider than the window, and runs axe at this width.
    journey.visit(path, status=404 if path == "/no-such-page" else 200)


def test_signed_in_and_error_pages_reflow_at_320_pixels(make_journey):
    journey = make_journey(viewport=NARROW)
    journey.visit("/sign-up")
    journey.submit("Create account")
    assert journey.error_state()
    journey.sign_up()
    for path in SIGNED_IN_PAGES:
        journey.visit(path)
    assert all(entry["path"] for entry in journey.visited)


def test_sign_up_sign_out_and_sign_in_without_javascript(make_journey):
    journey = make_journey(java_script_enabled=False)
    page = journey.page
    journey.visit("/sign-up")
    assert not page.evaluate("document.body.classList.contains('js-enabled')"), "JavaScript should be off"
    journey.submit("Create account")
    assert journey.error_state()  # the error summary works without scripts too
    email = journey.sign_up()
    assert page.locator("h1").inner_text() == "Your people"
    journey.visit("/account")
    journey.sign_out()
    assert journey.path == "/"
    journey.sign_in(email)
    assert journey.path == "/people"
    assert page.get_by_role("button", name="Sign out").is_visible()
