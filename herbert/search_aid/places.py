"""Every place in the form that has a postcode, as one list: what it is, how they would get there, how
likely the carer thinks it is, and whether they were found there before.

Keyed on the question registry's own names (herbert/questions/sections/*); if those change, this is the
only search-aid module to follow them. Points come from `known` (the person's sealed geocoded points)
first and are looked up offline otherwise.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from herbert.dates import format_date
from herbert.questions import registry
from herbert.search_aid.geocode import Point, normalise_postcode, postcode_in_text, postcode_point

ABOUT, CARE, CONTACTS = "about-the-person", "care-setting", "contacts"
PLACES, ROUTINES, EPISODES = "significant-places", "routines-and-interests", "previous-missing-episodes"
MAX_PLACES = 60  # bounded work per request: a form with hundreds of rows (an import) stops here


@dataclass
class Place:
    """One located or locatable place. `role` is "home", "last_seen" or "place"; `section` is the slug of the
    form section it comes from (the PDF names the sections of places it leaves off the map)."""

    role: str
    kind: str
    section: str = ""
    name: str = ""
    address: str = ""
    postcode: str | None = None
    how: str = ""
    likelihood: str = ""
    note: str = ""
    found_before: bool = False
    point: Point | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return self.name or self.address.split("\n")[0].strip() or self.postcode or self.kind


def _display(section: str, name: str, value: Any) -> str:
    """A choice answer's label, as the form shows it ("Previous home" for "previous_home")."""
    head, _, row_name = name.partition(".")
    for question in registry.iter_questions(registry.section_by_slug(section)):
        if question.name == head:
            target = next((q for q in question.row_questions if q.name == row_name), None) if row_name else question
            if target is not None:
                return registry.display_value(target, value)
    return str(value or "")


def _rows(document: Mapping[str, Any], section: str, key: str) -> list[Mapping[str, Any]]:
    value = (document.get(section) or {}).get(key)
    return [row for row in value if isinstance(row, Mapping)] if isinstance(value, list) else []


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value not in (None, "") else ""


def _postcode(value: Any, text: Any) -> str | None:
    """The postcode question's answer; else a postcode typed in the address (or place) text. Carers often type
    the whole address, postcode included, in the address box and leave the postcode box empty."""
    return normalise_postcode(value) or postcode_in_text(text)


# What a contact's address is, by their role (section K's choices). Organisations are offices, not homes, and a
# relationship answer does not rename them ("Care agency", not "Carer's home").
ROLE_KINDS = {
    "next_of_kin": "Next of kin's home",
    "family": "Family member's home",
    "friend": "Friend's home",
    "neighbour": "Neighbour's home",
    "carer": "Carer's home",
    "attorney_or_guardian": "Attorney or guardian's home",
    "care_agency": "Care agency",
    "social_worker": "Social worker's office",
    "telecare_centre": "Telecare centre",
}
ORGANISATION_ROLES = {"care_agency", "social_worker", "telecare_centre"}
SHORT_RELATIONSHIP = re.compile(r"[A-Za-z][A-Za-z'-]*( [A-Za-z][A-Za-z'-]*)?")  # "daughter", "step son"


def contact_kind(row: Mapping[str, Any]) -> str:
    """What a contact's address is to police: "Daughter's home" from a short relationship answer; else by role
    ("Friend's home", "Care agency", "Social worker's office"); else "Contact's home". A longer relationship
    ("neighbour at number 12") stays in the name line, where it is shown in full."""
    role = row.get("role") if isinstance(row.get("role"), str) else ""
    if role in ORGANISATION_ROLES:
        return ROLE_KINDS[role]
    relationship = _text(row.get("relationship"))
    if len(relationship) <= 24 and SHORT_RELATIONSHIP.fullmatch(relationship):
        noun = relationship[0].upper() + relationship[1:]
        return f"{noun}' home" if noun.endswith("s") else f"{noun}'s home"
    return ROLE_KINDS.get(role, "Contact's home")


def postcodes_in(document: Mapping[str, Any], report: Mapping[str, Any] | None = None) -> list[str]:
    """Every distinct postcode the form (and the missing-now report) gives, normalised, in form order."""
    seen: dict[str, None] = {}
    for place in form_places(document, report or {}):
        if place.postcode:
            seen.setdefault(place.postcode, None)
    return list(seen)


def form_places(document: Mapping[str, Any], report: Mapping[str, Any]) -> list[Place]:
    """Home first, then the last-seen place (when a report gives one), then every other place, unlocated."""
    about = document.get(ABOUT) or {}
    address = str(about.get("address") or "")
    places = [Place("home", "Home", ABOUT, address=address, postcode=_postcode(about.get("postcode"), address))]
    care = document.get(CARE) or {}
    if care.get("home_postcode") or care.get("home_address"):
        places.append(
            Place("place", "Care home where they live", CARE, name=_text(care.get("home_name")),
                  address=str(care.get("home_address") or ""),
                  postcode=_postcode(care.get("home_postcode"), care.get("home_address")))
        )  # fmt: skip
    where = str(report.get("last_seen_where") or "")
    if report:
        places.append(Place("last_seen", "Where last seen", address=where, postcode=postcode_in_text(where)))
    found_postcodes = set()
    for row in _rows(document, EPISODES, "episodes"):
        postcode = _postcode(row.get("where_found_postcode"), row.get("where_found"))
        found_postcodes.add(postcode)
        when = _text(row.get("episode_date"))
        places.append(
            Place("place", "Where found before", EPISODES, name=_text(row.get("where_found")), postcode=postcode,
                  how=_text(row.get("how_travelled")), found_before=True,
                  note=f"Found here {format_date(when)}" if when else "Found here before")
        )  # fmt: skip
    for row in _rows(document, PLACES, "places"):
        places.append(
            Place("place", _display(PLACES, "places.place_type", row.get("place_type")) or "Significant place", PLACES,
                  name=_text(row.get("place_name")), address=str(row.get("place_address") or ""),
                  postcode=_postcode(row.get("place_postcode"), row.get("place_address")),
                  how=_text(row.get("how_get_there")),
                  likelihood=_display(PLACES, "places.likelihood", row.get("likelihood")),
                  note=_text(row.get("connection")))
        )  # fmt: skip
    for row in _rows(document, ROUTINES, "weekly_routine"):
        when = ", ".join(part for part in (
            _display(ROUTINES, "weekly_routine.day", row.get("day")), _text(row.get("time"))) if part)  # fmt: skip
        places.append(
            Place("place", "Routine place", ROUTINES, name=_text(row.get("place")),
                  postcode=_postcode(row.get("routine_postcode"), row.get("place")),
                  note="; ".join(part for part in (_text(row.get("activity")), when) if part))
        )  # fmt: skip
    for row in _rows(document, CONTACTS, "contacts"):
        who = ", ".join(part for part in (_text(row.get("contact_name")), _text(row.get("relationship"))) if part)
        places.append(
            Place("place", contact_kind(row), CONTACTS, name=who, address=str(row.get("contact_address") or ""),
                  postcode=_postcode(row.get("contact_postcode"), row.get("contact_address")))
        )  # fmt: skip
    for place in places:
        if place.role == "place" and place.postcode and place.postcode in found_postcodes:
            place.found_before = True
    return places[: MAX_PLACES + 2]


def locate(places: list[Place], report: Mapping[str, Any], known: Mapping[str, Point | None] | None = None,
           lookup: Callable[[str], Point | None] = postcode_point) -> None:  # fmt: skip
    """Give each place its point: the phone's location for last seen when the carer gave it, else its postcode's
    point (the person's stored points first, then an offline look-up)."""
    known = known or {}
    for place in places:
        if place.role == "last_seen":
            phone = phone_point(report)
            if phone is not None:
                place.point = phone
                place.extra["located_by"] = "the carer's phone"
                accuracy = str(report.get("last_seen_accuracy") or "")
                if accuracy.isdigit() and int(accuracy) > 0:
                    place.extra["accuracy_metres"] = accuracy
                continue
        if place.postcode:
            place.point = known[place.postcode] if place.postcode in known else lookup(place.postcode)


def phone_point(report: Mapping[str, Any]) -> Point | None:
    """The last-seen point the carer's browser gave ("use my location"), if it is a real coordinate."""
    try:
        lat, lon = float(report["last_seen_lat"]), float(report["last_seen_lon"])
    except (KeyError, TypeError, ValueError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or lat != lat or lon != lon:
        return None
    return Point(lat, lon)
