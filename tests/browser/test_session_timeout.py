"""The session-timeout warning in Chromium, with the page's clock faked (Playwright's clock) so 25 idle
minutes pass in a moment; the server's own clock is real, so the session is still valid on the server.
Typing counts as activity, the warning does not take focus from a text box, and typed text is saved
before an idle sign-out and is there again after signing in."""

import pytest

from tests.support.browser import NARROW, PHONE, Journey

pytestmark = pytest.mark.browser
FIELD = "textarea[name=best_approach]"


def question_page(journey: Journey) -> str:
    """Sign up, add a person and open the "approaching them" page; return its path."""
    journey.page.clock.install()
    email = journey.sign_up()
    journey.visit("/people/new")
    journey.submit("Start")  # adding a person is one button; the form starts at their name
    person = journey.path.split("/")[2]
    path = f"/people/{person}/communication-and-behaviour/approaching-them"
    journey.visit(path)
    return email


@pytest.mark.parametrize("viewport", [PHONE, NARROW], ids=["375px", "320px"])
def test_the_warning_does_not_take_focus_from_a_text_box(make_journey, viewport):
    journey: Journey = make_journey(viewport=viewport)
    question_page(journey)
    page = journey.page
    page.locator(FIELD).focus()
    page.keyboard.type("From the front")
    page.clock.run_for("25:30")  # idle: the warning comes at 25 minutes
    banner = page.locator("#session-timeout")
    assert banner.is_visible()
    assert page.evaluate("document.activeElement.name") == "best_approach"  # focus stayed in the text box
    journey.check("question page with the timeout warning")
    page.keyboard.type(", slowly")  # typing is activity: the warning goes and the countdown starts again
    assert not banner.is_visible()
    assert page.locator(FIELD).input_value() == "From the front, slowly"


def test_typing_counts_as_activity(make_journey):
    journey: Journey = make_journey(viewport=PHONE)
    question_page(journey)
    page = journey.page
    page.locator(FIELD).focus()
    for _ in range(3):  # an hour and a quarter of slow typing, 20 minutes between words
        page.clock.run_for("20:00")
        page.keyboard.type("word ")
        assert not page.locator("#session-timeout").is_visible()
    assert journey.path.endswith("/approaching-them")  # never signed out while typing


def test_nothing_typed_is_lost_when_the_session_expires(make_journey):
    journey: Journey = make_journey(viewport=PHONE)
    email = question_page(journey)
    page = journey.page
    page.locator(FIELD).fill("Come from the front and say her name")
    page.locator("body").click(position={"x": 1, "y": 1})  # the carer looks away; nothing more is typed
    with page.expect_navigation():
        page.clock.run_for("29:50")  # the page is saved just before the idle limit
    journey.check("sign-in after the idle save")
    assert journey.path.startswith("/sign-in?next=")
    assert "We saved what you had typed on the page before signing you out." in page.inner_text("main")
    journey.fill("Email address", email)
    journey.page.locator("input[name=password]").fill("correct horse battery staple 42")
    journey.submit("Sign in")
    assert journey.path.endswith("/approaching-them")
    assert page.locator(FIELD).input_value() == "Come from the front and say her name"
