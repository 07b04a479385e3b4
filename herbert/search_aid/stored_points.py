"""Geocoding on save: the person's postcodes as points, sealed with their key through the record store.

Called after a form section or the missing-now report is saved. Only postcodes the form (or report) still
holds are kept, so a removed address takes its point with it. Unknown postcodes are stored as None, so they
are not looked up again on every page. Pages that draw the search aid read these first and look up offline
only what is missing (an imported record, a share snapshot older than the points).
"""

import logging
from collections.abc import Mapping
from typing import Any

from herbert.extensions import db
from herbert.handover.missing import report as missing
from herbert.models import Person
from herbert.records import store
from herbert.search_aid.aid import build_search_aid
from herbert.search_aid.geocode import Point, postcode_point
from herbert.search_aid.model import SearchAid
from herbert.search_aid.places import postcodes_in

log = logging.getLogger(__name__)


def known_points(person: Person | None) -> dict[str, Point | None]:
    """The stored points as Point values; {} when none are stored or they will not open (fail soft)."""
    if person is None:
        return {}
    try:
        stored = store.load_points(person)
    except store.RecordUnreadable:
        return {}
    points: dict[str, Point | None] = {}
    for postcode, value in stored.items():
        if isinstance(value, list) and len(value) == 2:
            points[postcode] = Point(float(value[0]), float(value[1]))
        elif value is None:
            points[postcode] = None
    return points


def refresh_points(person: Person, document: Mapping[str, Any], report: Mapping[str, Any] | None = None) -> int:
    """Geocode the postcodes of `document` (+ `report`) not yet stored; store the set if it changed.
    Returns how many were looked up."""
    wanted = postcodes_in(document, report)
    have = known_points(person)
    looked_up = 0
    points: dict[str, list[float] | None] = {}
    for postcode in wanted:
        if postcode in have:
            point = have[postcode]
        else:
            point = postcode_point(postcode)
            looked_up += 1
        points[postcode] = [point.lat, point.lon] if point is not None else None
    previous = {key: ([value.lat, value.lon] if value else None) for key, value in have.items()}
    if points != previous:
        store.save_points(person, points)
    return looked_up


def search_aid_for(
    document: Mapping[str, Any] | None, report: Mapping[str, Any] | None = None, person: Any = None
) -> SearchAid | None:
    """The search aid for a document and (optional) missing-now report. `person` (a Person or its id) lets it
    use the person's sealed geocoded points instead of looking every postcode up again."""
    row = person if isinstance(person, Person) else (db.session.get(Person, person) if person else None)
    return build_search_aid(document, report, known_points(row))


def points_after_save(person: Person) -> None:
    """Geocode on save, after the caller committed the answers: the draft's and the open report's postcodes.
    Never lets a geocoding problem undo or block a save (the pages fall back to looking up at render)."""
    try:
        refresh_points(person, store.load_draft(person), missing.load_report(person, missing.open_report(person)))
    except Exception as error:  # noqa: BLE001 - fail soft: the answer is saved, the point can wait
        db.session.rollback()
        log.warning("geocoding after a save failed for person %s: %s", person.id, type(error).__name__)
