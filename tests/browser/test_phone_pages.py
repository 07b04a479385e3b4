"""Issue 9 on a phone, in Chromium: the useful links fold into one "Useful links" disclosure after the
main content (and stay a sidebar on a wide screen), and "Sign out" is not the first full-width control.
Every page the journeys load passes axe at zero violations and needs no sideways scrolling."""

import pytest

from tests.support.browser import NARROW, PHONE, Journey, tab_to

pytestmark = pytest.mark.browser
WIDE = {"width": 1280, "height": 900}


@pytest.mark.parametrize("viewport", [PHONE, NARROW], ids=["375px", "320px"])
def test_on_a_phone_useful_links_are_one_closed_disclosure_after_the_content(make_journey, viewport):
    journey: Journey = make_journey(viewport=viewport)
    journey.sign_up()
    page = journey.page
    assert not page.locator(".app-sidebar--wide").is_visible()
    details = page.locator(".app-sidebar--phone details")
    assert details.is_visible() and details.get_attribute("open") is None
    assert not page.get_by_role("link", name="Crimestoppers").first.is_visible()
    # it comes after the page's own content, and the 999 line stays in view outside it
    main_bottom = page.locator(".govuk-grid-column-two-thirds").bounding_box()
    assert details.bounding_box()["y"] >= main_bottom["y"] + main_bottom["height"]
    assert page.locator(".app-sidebar--phone .app-sidebar__emergency").is_visible()
    height_closed = page.evaluate("document.documentElement.scrollHeight")
    # keyboard only: Tab to the summary, Enter opens it, the links can be reached
    tab_to(page, ".app-sidebar--phone summary", max_presses=60)
    page.keyboard.press("Enter")
    assert details.get_attribute("open") is not None
    missing_people = page.locator(".app-sidebar--phone").get_by_role("link", name="Missing People")
    assert missing_people.is_visible()
    journey.check("dashboard with useful links open")
    tab_to(page, '.app-sidebar--phone a[href="tel:116000"]', max_presses=60)
    height_open = page.evaluate("document.documentElement.scrollHeight")
    print(f"\n{viewport['width']} px dashboard: {height_closed} px tall, {height_open} px with useful links open")
    assert height_closed < height_open - 1000  # folded away, the links no longer make the page thousands tall


def test_on_a_wide_screen_the_links_stay_a_sidebar(make_journey):
    journey: Journey = make_journey(viewport=WIDE)
    journey.sign_up()
    page = journey.page
    sidebar = page.locator(".app-sidebar--wide")
    assert sidebar.is_visible() and not page.locator(".app-sidebar--phone").is_visible()
    assert sidebar.get_by_role("link", name="Crimestoppers").is_visible()
    main_box = page.locator(".govuk-grid-column-two-thirds").bounding_box()
    assert sidebar.bounding_box()["x"] > main_box["x"] + main_box["width"] - 1  # beside the content


@pytest.mark.parametrize("viewport", [PHONE, NARROW], ids=["375px", "320px"])
def test_sign_out_is_not_the_first_full_width_control(make_journey, viewport):
    journey: Journey = make_journey(viewport=viewport)
    journey.sign_up()
    page = journey.page
    sign_out = page.get_by_role("button", name="Sign out")
    assert sign_out.is_visible()
    assert sign_out.bounding_box()["width"] < viewport["width"] / 3
    first_wide = page.evaluate(
        """() => [...document.querySelectorAll('a, button, input, select, textarea, summary')]
            .filter((e) => e.offsetParent !== null && !e.matches('.govuk-skip-link'))
            .find((e) => e.getBoundingClientRect().width > window.innerWidth * 0.8)
            ?.innerText.trim()"""
    )
    assert first_wide != "Sign out"
    # and it still signs out, by keyboard
    tab_to(page, ".app-sign-out__button", max_presses=20)
    with journey.navigation():
        page.keyboard.press("Enter")
    assert journey.path in ("/", "/sign-in")


def add_medicines(journey: Journey) -> str:
    """Sign up, add a person who takes two medicines (through the pages); return the person's path."""
    journey.sign_up()
    journey.visit("/people/new")
    journey.submit("Start")
    person = "/".join(journey.path.split("/")[:3])
    journey.visit(f"{person}/health-and-medication/takes-medication")
    journey.page.get_by_label("Yes", exact=True).check()
    journey.submit("Save and continue")
    for name, dose in (("Donepezil", "10 mg"), ("Metformin", "500 mg")):
        journey.visit(f"{person}/health-and-medication/medication/new")
        journey.fill("Medicine", name)
        journey.fill("Dose", dose)
        journey.submit("Save and continue")
    return person


@pytest.mark.parametrize("viewport", [PHONE, NARROW], ids=["375px", "320px"])
def test_check_your_answers_shows_a_summary_card_per_row_on_a_phone(make_journey, viewport):
    journey: Journey = make_journey(viewport=viewport)
    person = add_medicines(journey)
    journey.visit(f"{person}/check-answers")
    page = journey.page
    cards = page.locator(".app-rows-cards .govuk-summary-card")
    assert cards.filter(has_text="Medicine 1 of 2").first.is_visible()
    assert cards.filter(has_text="Metformin").first.is_visible()
    assert not page.locator(".app-rows-table").first.is_visible()  # no wide table on a phone
    for card in cards.all()[:2]:
        box = card.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]


def test_check_your_answers_keeps_the_table_on_a_wide_screen(make_journey):
    journey: Journey = make_journey(viewport=WIDE)
    person = add_medicines(journey)
    journey.visit(f"{person}/check-answers")
    assert journey.page.locator(".app-rows-table table").first.is_visible()
    assert not journey.page.locator(".app-rows-cards").first.is_visible()
