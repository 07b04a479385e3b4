"""What a police share holds: a copy of one version of the form, the missing-now report and the photos.

Photos are copied into the sealed snapshot rather than referenced by id. A share is a snapshot: what police
see must not change (or break) when the carer later edits, replaces or deletes a photo, and the PDF and
export made from the share must match the page. The cost is size (cleaned photos are at most 1600 px JPEGs,
a few hundred KB each, capped at MAX_PHOTOS) for at most 7 days; the copy is dropped from the row as soon
as the share ends (revoked, found, locked or expired).
"""

import base64
from typing import Any

from herbert.clock import utcnow
from herbert.handover.missing import report as missing
from herbert.models import Person
from herbert.records import store

MAX_PHOTOS = 30


def source_choices(person: Person) -> list[tuple[str, str]]:
    """(value, label) for "which version to share": published versions newest first, then the draft."""
    choices = [(f"v{rev['number']}", f"Version {rev['number']}") for rev in store.list_revisions(person)]
    choices.append(("draft", "The current draft (not yet published)"))
    return choices


def default_source(person: Person) -> str:
    """The latest published version, or the draft when nothing has been published."""
    revisions = store.list_revisions(person)
    return f"v{revisions[0]['number']}" if revisions else "draft"


def source_label(source: str) -> str:
    """How a PDF names what it was made from: "Version 3", or the draft."""
    return f"Version {source[1:]}" if source.startswith("v") else "Draft (not yet published)"


def load_source(person: Person, source: str) -> dict[str, Any]:
    if source.startswith("v") and source[1:].isdigit():
        return store.load_revision(person, int(source[1:]))
    return store.load_draft(person)


def photo_details(photo: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": photo.get("kind") or "other",
        "taken_on": photo.get("taken_on") or None,
        "caption": photo.get("caption") or "",
        "primary": bool(photo.get("is_primary")),
    }


def build_snapshot(person: Person, source: str) -> dict[str, Any]:
    """The sealed contents of a new share (plain dict; the caller seals it)."""
    photos = []
    for photo in store.list_photos(person)[:MAX_PHOTOS]:
        jpeg = store.open_photo(person, photo["id"])
        photos.append(photo_details(photo) | {"id": photo["id"], "jpeg": base64.b64encode(jpeg).decode("ascii")})
    report = missing.open_report(person)
    return {
        "source": source,
        "shared_at": utcnow().isoformat(timespec="seconds"),
        "document": load_source(person, source),
        "missing_report": missing.load_report(person, report) if report is not None else None,
        "photos": photos,
    }


def snapshot_photos(snapshot: dict[str, Any]) -> list[tuple[dict[str, Any], bytes]]:
    """(details, JPEG bytes) pairs, the shape the police PDF takes."""
    return [
        ({key: photo[key] for key in ("kind", "taken_on", "caption", "primary")}, base64.b64decode(photo["jpeg"]))
        for photo in snapshot.get("photos", [])
    ]
