"""The search aid as one plain object for the templates: places nearest-first, rings, hazards, the map.

`build_search_aid(document, report, known)` is the one function the police view, the police PDF and the
carer's handover page call (pages through herbert.search_aid.stored_points.search_aid_for). Distances are
measured from where they were last seen; from home when there is no report or the last-seen place has no point.
"""

from collections.abc import Callable, Mapping
from typing import Any

from herbert.questions import registry
from herbert.search_aid import map_svg
from herbert.search_aid.distances import describe, distance_and_bearing
from herbert.search_aid.geocode import Point
from herbert.search_aid.model import ListedPlace, SearchAid
from herbert.search_aid.places import PLACES, _display, form_places, locate
from herbert.search_aid.rings import POPULATION_NOTE, choose_rings, wider_area_note

TEXT_FIELDS = ("kind", "name", "address", "how", "likelihood", "note")


def _hazards(document: Mapping[str, Any]) -> tuple[list[str], str]:
    answers = document.get(PLACES) or {}
    picked = answers.get("hazards") or []
    labels = [_display(PLACES, "hazards", [value]) for value in picked if isinstance(value, str)]
    return [label for label in labels if label], str(answers.get("hazards_details") or "")


def build_search_aid(
    document: Mapping[str, Any] | None,
    report: Mapping[str, Any] | None = None,
    known: Mapping[str, Point | None] | None = None,
    text_filter: Callable[[Any], str] | None = None,
    max_listed: int | None = None,
) -> SearchAid | None:
    """None when neither the last-seen place nor the home has a point: there is nothing to measure from.
    `text_filter` cleans every form text first (the PDF passes herbert.documents.printable.printable).
    `max_listed` keeps the nearest places only, in the list and on the map alike, so every marker drawn has its
    entry (the PDF's one page); the rest are `further` (the pages pass nothing and show every place)."""
    document = registry.prune_document(dict(document or {}))
    report = dict(report or {})
    places = form_places(document, report)
    locate(places, report, known)
    if text_filter is not None:
        for place in places:
            for name in TEXT_FIELDS:
                setattr(place, name, text_filter(getattr(place, name)))
    home = next((p for p in places if p.role == "home" and p.point is not None), None)
    last_seen = next((p for p in places if p.role == "last_seen" and p.point is not None), None)
    origin = last_seen or home
    if origin is None or origin.point is None:
        return None
    others = [p for p in places if p.role == "place"]
    measured = []
    for place in others:
        if place.point is None:
            continue
        bearing = distance_and_bearing(origin.point, place.point)
        measured.append((bearing.metres, bearing.degrees, place))
    measured.sort(key=lambda item: (item[0], not item[2].found_before))
    listed = [
        ListedPlace(number, place, metres, degrees, describe(origin.point, place.point))  # type: ignore[arg-type]
        for number, (metres, degrees, place) in enumerate(measured, start=1)
    ]
    further = listed[max_listed:] if max_listed is not None else []
    listed = listed[:max_listed] if max_listed is not None else listed
    home_from_origin = ""
    if home is not None and last_seen is not None:
        home_from_origin = describe(last_seen.point, home.point)  # type: ignore[arg-type]
    hazards, details = _hazards(document)
    if text_filter is not None:
        details = text_filter(details)
    aid = SearchAid(
        origin=origin,
        from_last_seen=last_seen is not None,
        home=home,
        last_seen=last_seen,
        home_from_origin=home_from_origin,
        listed=listed,
        further=further,
        unlocated=[p for p in others if p.point is None and (p.name or p.address or p.postcode)],
        rings=choose_rings(document),
        population_note=POPULATION_NOTE,
        wider_note=wider_area_note(document),
        hazards=hazards,
        hazards_details=details,
        reported=bool(report),
    )
    aid.text_equivalent = map_svg.describe_map(aid)
    aid.svg = map_svg.draw(aid)
    return aid
