"""Issue 12 in a real browser on a 375-pixel phone: "use my location" with the permission granted and denied
(Playwright's geolocation override), and the search aid on the carer's handover page and the police view,
axe at zero violations on every page (the journey checks each page it loads)."""

import re
from datetime import date, timedelta

import pytest

from tests.support.browser import NARROW, PASSWORD, PHONE, Journey

pytestmark = pytest.mark.browser

OLD_HOUSE = {"latitude": 51.48031, "longitude": -0.00598, "accuracy": 18}  # by SE10 9NF


def add_person_with_places(journey: Journey) -> str:
    """Set-up through the same POSTs the form pages make: a name, a home postcode and two places."""
    request = journey.page.request
    token = re.search(r'name="csrf_token" value="([^"]+)"', request.get("/account").text()).group(1)
    started = request.post("/people/new", form={"csrf_token": token})
    person = re.search(r"/people/([0-9a-f]{32})/", started.url).group(1)
    base = f"/people/{person}"
    for path, form in (
        ("/about-the-person/name", {"full_name": "Ada Example"}),
        ("/about-the-person/home-address", {"address": "1 High Street, Bromley", "postcode": "br1 3uh"}),
        ("/significant-places/places/new", {"place_type": "previous_home", "place_name": "Old house",
                                            "place_postcode": "SE10 9NF", "likelihood": "high"}),
        ("/significant-places/places/new", {"place_type": "workplace", "place_name": "The palace",
                                            "place_postcode": "SW1A 1AA", "how_get_there": "Train"}),
        ("/significant-places/nearby-hazards", {"hazards": "water", "hazards_details": "The river behind"}),
    ):  # fmt: skip
        saved = request.post(base + path, form={"csrf_token": token, "action": "continue", **form})
        assert saved.ok, (path, saved.status)
    return person


def fill_when_last_seen(journey: Journey) -> None:
    """The date and time boxes start empty (the carer says when): yesterday at noon, always in the past."""
    today = date.today() - timedelta(days=1)
    boxes = journey.page.locator("input[name=last_seen_date]")
    for index, value in enumerate((today.day, today.month, today.year)):
        boxes.nth(index).fill(str(value))
    journey.page.locator("input[name=last_seen_time]").fill("12:00")


def search_aid_items(journey: Journey) -> list[str]:
    return [text.strip() for text in journey.page.locator(".app-search-aid__places li").all_inner_texts()]


def test_use_my_location_granted_and_the_search_aid_on_a_phone(make_journey):
    carer = make_journey(viewport=PHONE, geolocation=OLD_HOUSE, permissions=["geolocation"])
    carer.sign_up()
    person = add_person_with_places(carer)
    carer.visit(f"/people/{person}/missing/last-seen")
    button = carer.page.get_by_role("button", name="Use my location", exact=True)
    assert button.is_visible()
    button.click()
    status = carer.page.locator("#use-location-status")
    status.filter(has_text="Your location was added").wait_for()
    assert "about 18 metres" in status.inner_text()
    carer.check("last seen, location added")
    fill_when_last_seen(carer)
    carer.submit("Save and share with police now")
    assert carer.path == f"/people/{person}/missing/handover"
    main = carer.page.locator("main")
    assert main.get_by_role("heading", name="Places police will look first").is_visible()
    assert "the location the family's phone gave" in main.inner_text()
    assert carer.page.locator("svg.app-search-map").is_visible()
    items = search_aid_items(carer)
    assert items[0].startswith("1. Old house") and "here (within 50 m)" in items[0]
    assert items[1].startswith("2. The palace")
    assert "Contains OS data © Crown copyright and database right" in main.inner_text()
    width = carer.page.locator("svg.app-search-map").bounding_box()["width"]
    assert width <= PHONE["width"]

    # police on a phone see the same aid after the code
    password = carer.page.locator("main input[name=password]")
    if password.count():
        password.fill(PASSWORD)
    carer.submit("Share with police")
    link = carer.page.locator("#share-link").inner_text().strip()
    code = carer.page.locator("#share-code").inner_text().strip()
    officer = make_journey(viewport=PHONE)
    officer.visit(link.replace("http://localhost", ""))
    officer.page.locator("input[name=code]").fill(code)
    officer.submit()
    assert officer.page.get_by_role("heading", name="Where to look first").is_visible()
    assert search_aid_items(officer)[0].startswith("1. Old house")


def test_use_my_location_denied_leaves_the_page_working(make_journey):
    carer = make_journey(viewport=PHONE, geolocation=OLD_HOUSE, permissions=[])
    carer.sign_up()
    person = add_person_with_places(carer)
    carer.visit(f"/people/{person}/missing/last-seen")
    carer.page.get_by_role("button", name="Use my location", exact=True).click()
    carer.page.locator("#use-location-status").filter(has_text="could not be found").wait_for()
    assert carer.page.locator("#last_seen_lat").input_value() == ""
    carer.check("last seen, location refused")
    fill_when_last_seen(carer)
    carer.submit("Save and share with police now")
    assert carer.path == f"/people/{person}/missing/handover"
    main = carer.page.locator("main").inner_text()
    assert "Location from the family's phone" not in main and "the location the family's phone gave" not in main
    # distances are then measured from the place typed (the home address by default)
    assert search_aid_items(carer)[0].startswith("1. Old house") and "north" in search_aid_items(carer)[0]


def test_without_javascript_there_is_no_location_button_and_the_aid_reflows_at_320_px(make_journey):
    carer = make_journey(viewport=NARROW, java_script_enabled=False)
    carer.sign_up()
    person = add_person_with_places(carer)
    carer.visit(f"/people/{person}/missing/last-seen")
    assert not carer.page.get_by_role("button", name="Use my location", exact=True).is_visible()
    fill_when_last_seen(carer)
    carer.submit("Save and share with police now")
    assert carer.path == f"/people/{person}/missing/handover"
    assert carer.page.locator("svg.app-search-map").bounding_box()["width"] <= NARROW["width"]
