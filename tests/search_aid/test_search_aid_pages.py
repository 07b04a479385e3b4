"""The search aid where people see it: geocoded on save and sealed, "use my location", the carer's handover
page, the police share view and page 2 of the police PDF."""

import re

from sqlalchemy import text

from herbert.extensions import db
from herbert.handover.missing import report as missing
from herbert.records import store
from herbert.search_aid.geocode import ATTRIBUTION, postcode_point
from tests.support.journey import create_share, page, police_open, report_missing, text_of
from tests.support.pdfs import page_texts, reader
from tests.support.search_aid_sample import DOCUMENT

PASSWORD = "correct horse battery staple 42"


def fill_form(carer, document=DOCUMENT, publish=True) -> None:
    """Save the sample sections through the store, then one real page save (which geocodes), then publish
    (the handover and a share use the latest version)."""
    with carer.app.app_context():
        person = carer.person()
        for section, answers in document.items():
            if section != "about-the-person":
                store.save_section(person, section, answers)
    home = f"/people/{carer.person_id}/about-the-person/home-address"
    response = carer.post(home, {"address": "1 High Street\nBromley", "postcode": "br1 3uh", "action": "continue"})
    assert response.status_code == 302, text_of(response)
    if publish:
        with carer.app.app_context():
            person = carer.person()
            store.publish(person, carer.user_id, store.load_draft(person), None)


def metres(line: str) -> float:
    number, unit = re.search(r": ([\d.]+) (k?m) ", line).groups()
    return float(number) * (1000 if unit == "km" else 1)


def test_postcodes_are_geocoded_on_save_and_sealed(carer):
    fill_form(carer)
    with carer.app.app_context():
        person = carer.person()
        points = store.load_points(person)
        assert points["BR1 3UH"] == list(postcode_point("BR1 3UH"))
        assert points["SE10 9NF"] is not None and points["BT1 1AA"] is None  # Northern Ireland: no point
        raw = db.session.execute(text("SELECT points_sealed FROM geocoded_points")).scalar_one()
        assert b"BR1" not in bytes(raw) and b"51.4" not in bytes(raw)
        # a removed address takes its point with it
        store.save_section(person, "contacts", {})
        store.save_section(person, "routines-and-interests", {})
    response = carer.post(
        f"/people/{carer.person_id}/about-the-person/home-address",
        {"address": "1 High Street", "postcode": "SE10 9NF", "action": "continue"},
    )
    assert response.status_code == 302
    with carer.app.app_context():
        points = store.load_points(carer.person())
        assert "BR1 3UH" not in points and "SE9 5AB" not in points and "SE10 9NF" in points


def test_use_my_location_is_sealed_in_the_report_and_measured_from(carer):
    fill_form(carer)
    report_missing(carer, last_seen_lat="51.48031", last_seen_lon="-0.00598", last_seen_accuracy="18")
    with carer.app.app_context():
        person = carer.person()
        report = missing.load_report(person, missing.open_report(person))
        assert (report["last_seen_lat"], report["last_seen_lon"], report["last_seen_accuracy"]) == (
            "51.48031", "-0.00598", "18")  # fmt: skip
        raw = db.session.execute(text("SELECT report_sealed FROM missing_reports")).scalar_one()
        assert b"51.48" not in bytes(raw)
    ready = carer.client.get(f"/people/{carer.person_id}/missing/handover")
    words = text_of(ready)
    assert "Places police will look first" in words and "the location the family's phone gave" in words
    assert "51.48031, -0.00598 (accurate to about 18 metres)" in words
    first = page(ready).select(".app-search-aid__places li")[0].get_text(" ", strip=True)
    assert first.startswith("1. Old house") and "here (within 50 m)" in first  # the phone stood at the old house


def last_seen_page(carer) -> dict:
    """Page 1 as the browser would send it back: every box (the hidden location boxes too) as rendered."""
    form = page(carer.client.get(f"/people/{carer.person_id}/missing/last-seen"))
    data = {field["name"]: field.get("value", "") for field in form.select("input[name]") if field["type"] != "submit"}
    data["last_seen_date"] = [i.get("value", "") for i in form.select("input[name=last_seen_date]")]
    data["last_seen_where"] = form.find("textarea", {"name": "last_seen_where"}).text.strip()
    return data | {"action": "share"}


def test_changing_the_place_typed_removes_a_saved_phone_location(carer):
    """A phone location saved earlier comes back in the hidden boxes on every later visit. Typing a different
    place without pressing "Use my location" again removes it (distances are then measured from the place
    typed, and the page says so); re-saving the same place keeps it; a location taken again is kept."""
    fill_form(carer)
    report_missing(carer, last_seen_where="At the old house, SE10 9NF", last_seen_lat="51.48031",
                   last_seen_lon="-0.00598", last_seen_accuracy="18", location_taken_now="yes")  # fmt: skip
    path = f"/people/{carer.person_id}/missing/last-seen"

    def saved() -> dict:
        with carer.app.app_context():
            person = carer.person()
            return missing.load_report(person, missing.open_report(person))

    unchanged = last_seen_page(carer)
    assert (unchanged["last_seen_lat"], unchanged["last_seen_lon"]) == ("51.48031", "-0.00598")
    assert carer.client.post(path, data=unchanged).status_code == 302
    assert saved()["last_seen_lat"] == "51.48031"  # the same place saved again: still where the phone was

    moved = last_seen_page(carer) | {"last_seen_where": "Outside the library, Bromley BR1 1EX"}
    handover = carer.client.post(path, data=moved, follow_redirects=True)
    words = text_of(handover)
    assert "The location from your phone was removed because you changed where they were last seen" in words
    report = saved()
    assert report["last_seen_where"] == "Outside the library, Bromley BR1 1EX"
    assert (report["last_seen_lat"], report["last_seen_lon"], report["last_seen_accuracy"]) == ("", "", "")
    assert "from where they were last seen: the postcode BR1 1EX in the place typed" in words
    assert "Location from the family's phone" not in words and "51.48031" not in words
    first = page(handover).select(".app-search-aid__places li")[0].get_text(" ", strip=True)
    assert first.startswith("1. Bromley South station")  # measured from the library, not the old house

    again = last_seen_page(carer) | {"last_seen_where": "The park, BR2 9EF", "last_seen_lat": "51.39870",
                                     "last_seen_lon": "0.02300", "location_taken_now": "yes"}  # fmt: skip
    words = text_of(carer.client.post(path, data=again, follow_redirects=True))
    assert saved()["last_seen_lat"] == "51.39870" and "was removed" not in words
    assert "the location the family's phone gave" in words
    # standing in the same spot, the phone can give the very same point with a new description: still kept
    same_spot = last_seen_page(carer)
    assert same_spot["last_seen_lat"] == "51.39870" and same_spot["location_taken_now"] == ""  # not saved
    same_spot |= {"last_seen_where": "The park gates, BR2 9EF", "location_taken_now": "yes"}  # as the script does
    assert carer.client.post(path, data=same_spot).status_code == 302
    assert saved()["last_seen_lat"] == "51.39870" and saved()["last_seen_where"] == "The park gates, BR2 9EF"


def test_a_location_that_is_not_a_coordinate_is_refused_and_nothing_is_stored(carer):
    form = page(carer.client.get(f"/people/{carer.person_id}/missing/last-seen"))
    data = {field["name"]: field.get("value", "") for field in form.select("input[name]") if field["type"] != "submit"}
    data["last_seen_date"] = [i.get("value", "") for i in form.select("input[name=last_seen_date]")]
    data.update(last_seen_lat="91.5", last_seen_lon="<script>", action="share")
    response = carer.client.post(f"/people/{carer.person_id}/missing/last-seen", data=data)
    assert response.status_code == 200
    assert "The location from your phone could not be used. Type the place instead" in text_of(response)
    with carer.app.app_context():
        assert missing.open_report(carer.person()) is None


def test_the_last_seen_page_alone_may_ask_for_the_location(carer):
    last_seen = carer.client.get(f"/people/{carer.person_id}/missing/last-seen")
    assert "geolocation=(self)" in last_seen.headers["Permissions-Policy"]
    assert "Use my location" in last_seen.get_data(as_text=True)
    for other in (f"/people/{carer.person_id}/missing/handover", "/account"):
        assert "geolocation=()" in carer.client.get(other).headers["Permissions-Policy"]


def test_carer_handover_page_lists_places_nearest_first_with_the_map(carer):
    fill_form(carer)
    report_missing(carer)  # last seen: the home address (section A's default)
    ready = page(carer.client.get(f"/people/{carer.person_id}/missing/handover"))
    svg = ready.select_one("svg.app-search-map")
    assert svg is not None and svg.find("title") and svg.find("desc")
    items = ready.select(".app-search-aid__places li")
    assert len(svg.select("g.app-map-place")) == len(items) == 6
    distances = [metres(li.get_text(" ", strip=True)) for li in items]
    assert distances == sorted(distances) and distances[-1] > 15_000  # nearest first; the palace last
    words = " ".join(ready.get_text(" ").split())
    assert ATTRIBUTION in words and "not a prediction for this person" in words and "misper.uk" in words
    assert "Found here before" in words and "Rivers, canals, lakes, ponds or the sea" in words


def test_police_share_view_and_pdf_show_the_search_aid(carer):
    fill_form(carer)
    report_missing(carer, last_seen_where="Outside the library, Bromley BR1 1EX")
    link, code, _ = create_share(carer, password=PASSWORD, source="v2")
    police = carer.app.test_client()
    opened = police_open(police, link, code)
    view = page(police.get(opened.location))
    aid = view.select_one("div.app-search-aid")
    assert aid is not None and aid.select_one("svg.app-search-map") is not None
    assert ATTRIBUTION in aid.get_text()
    listed = [li.get_text(" ", strip=True) for li in aid.select(".app-search-aid__places li")]
    assert listed[0].startswith("1. Bromley South station") and "Found here before" in listed[0]
    pdf = police.get(opened.location + "/pdf")
    assert pdf.status_code == 200
    texts = [" ".join(t.split()) for t in page_texts(pdf.data)]
    assert texts[1].startswith("CONFIDENTIAL") or "Where to look first" in texts[1]
    assert "Where to look first" in texts[1] and ATTRIBUTION in texts[1] and "50% within 1.2 km" in texts[1]
    assert not any("Where to look first" in t for t in texts[2:])
    drawing = reader(pdf.data).pages[1].get_contents().get_data()
    assert drawing.count(b" c\n") + drawing.count(b" c ") > 50  # the rings and markers: Bézier curves
