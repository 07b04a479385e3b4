"""Checking that every sealed record of a person still opens (`flask keys verify`, and after a restore)."""

from collections import Counter
from collections.abc import Callable
from typing import Any

from herbert.extensions import db
from herbert.models import DraftSection, GeocodedPoints, Person, Photo, Revision
from herbert.records import store


def verify_person(person_id: str) -> Counter:
    """Open everything of one person: {"<kind> ok": n, "<kind> failed": n}. Failures are logged by id."""
    counts: Counter = Counter()
    person = db.session.get(Person, person_id)
    if person is None or person.wrapped_key is None:
        return counts

    def check(kind: str, opener: Callable[[], Any]) -> None:
        try:
            opener()
            counts[f"{kind} ok"] += 1
        except store.RecordUnreadable:
            counts[f"{kind} failed"] += 1

    check("data keys", lambda: store.data_key(person))
    if counts["data keys failed"]:
        counts["records skipped"] += 1
        return counts
    if person.summary_sealed is not None:
        check("summaries", lambda: store.load_summary(person))
    for row in db.session.execute(db.select(DraftSection).filter_by(person_id=person_id)).scalars():
        check(
            "draft sections",
            lambda row=row: store.open_for(person, "draft_sections", person_id, row.section, row.answers_sealed),
        )
    for row in db.session.execute(db.select(Revision).filter_by(person_id=person_id)).scalars():
        check(
            "revisions",
            lambda row=row: store.open_for(person, "revisions", person_id, f"v{row.number}", row.document_sealed),
        )
    if db.session.get(GeocodedPoints, person_id) is not None:
        check("geocoded points", lambda: store.load_points(person))
    for row in db.session.execute(db.select(Photo).filter_by(person_id=person_id)).scalars():
        check("photo details", lambda row=row: store.open_for(person, "photos", row.id, "details", row.details_sealed))
        check("photos", lambda row=row: store.open_photo(person, row.id))
    return counts
