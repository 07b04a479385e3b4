"""The search aid in pages: one template global that templates/search_aid/_search_aid.html is fed by, and the
save hook the form and the missing-now pages call. No routes of its own (the aid lives inside other pages)."""

import logging
from collections.abc import Mapping
from typing import Any

from flask import Blueprint

from herbert.extensions import db
from herbert.models import Person
from herbert.records import store
from herbert.search_aid.aid import SearchAid, build_search_aid
from herbert.search_aid.stored_points import known_points, refresh_points

bp = Blueprint("search_aid", __name__)
log = logging.getLogger(__name__)


@bp.app_template_global("search_aid_for")
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
    from herbert.handover import missing

    try:
        refresh_points(person, store.load_draft(person), missing.load_report(person, missing.open_report(person)))
    except Exception as error:  # noqa: BLE001 - fail soft: the answer is saved, the point can wait
        db.session.rollback()
        log.warning("geocoding after a save failed for person %s: %s", person.id, type(error).__name__)
