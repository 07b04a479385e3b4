"""The first screen police see after the code: the web grab sheet, built from a share's snapshot.

The officer at the door, on a phone, needs the person before the form: who they are (name, the name they
answer to, the main photo, age), since when they are missing, the medicines that cannot wait, where to
look first, how to approach them and whom to call. This module picks those answers out of the snapshot's
document (by question name, through the question registry's display values) into plain values; the
template only lays them out. The PDF's page 1 (herbert.documents.grab_sheet) makes the same choices for
paper; this one keeps whole answers (a screen scrolls) and makes phone numbers tappable.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from herbert.dates import age_on, display_time, human_date
from herbert.handover.missing import report as missing
from herbert.questions import registry
from herbert.wording import as_phrase, person_with_relationship

ABOUT = "about-the-person"
BODY = "physical-description"
HEALTH = "health-and-medication"
BEHAVIOUR = "communication-and-behaviour"
PLACES = "significant-places"
EPISODES = "previous-missing-episodes"
CONTACTS = "contacts"
URGENCY_ORDER = {"urgent": 0, "soon": 1, "not_urgent": 2}
URGENCY_WORDS = {"urgent": "Urgent", "soon": "Within a day", "not_urgent": "Not urgent"}


@dataclass
class Medicine:
    name: str
    when_taken: str
    if_missed: str
    urgency: str  # "urgent", "soon", "not_urgent" or ""
    urgency_words: str  # "Urgent", ... (shown as a word, never by colour alone)
    urgency_detail: str  # the carer's choice as they read it: "Urgent: they need it within hours"


@dataclass
class Phone:
    text: str  # as the carer typed it
    tel: str  # "tel:+447700900123"; "" when it cannot be dialled as typed (the text is shown without a link)


@dataclass
class Contact:
    name: str
    relationship: str
    phones: list[Phone]
    emergency: bool

    @property
    def label(self) -> str:
        """ "Susan Ellis – daughter (lives with her)", as the PDF prints it: never nested brackets."""
        return person_with_relationship(self.name, self.relationship)


@dataclass
class MissingNow:
    summary: str  # "Last seen 2:30pm · reported 8:21pm"
    last_seen: str  # "Tuesday 4 March 2025 at 2:30pm"
    reported: str  # when the carer made the report
    where: str
    direction: str
    said_going_to: str
    clothing: str


@dataclass
class PoliceGrabSheet:
    name: str
    preferred_name: str
    age: str  # "84 (born 1 March 1942)"
    photo_number: int | None  # the main photo's place in the snapshot (1-based), for its URL
    photo_alt: str
    photo_taken: str  # "2 January 2025"
    missing_now: MissingNow | None
    description: list[tuple[str, str]]
    allergies: str
    diagnosis: str
    medicines: list[Medicine]  # urgent first
    places: list[str]  # where to search first, in order
    hazards: str
    approach: list[tuple[str, str]]
    contacts: list[Contact]  # emergency contacts and next of kin first
    vehicle: str
    mobile: str
    mobile_tel: str

    @property
    def urgent_medicines(self) -> list[Medicine]:
        return [medicine for medicine in self.medicines if medicine.urgency == "urgent"]


# --- reading answers ------------------------------------------------------------------------------


def _question(section_slug: str, name: str) -> registry.Question | None:
    head, _, row_name = name.partition(".")
    for candidate in registry.iter_questions(registry.section_by_slug(section_slug)):
        if candidate.name == head:
            if not row_name:
                return candidate
            return next((q for q in candidate.row_questions if q.name == row_name), None)
    return None


def _shown(answers: Mapping[str, Any], section_slug: str, name: str, key: str | None = None) -> str:
    """The display value of one answer ("" when unanswered or when the question no longer exists)."""
    value = answers.get(key or name.rpartition(".")[2])
    found = _question(section_slug, name)
    if found is None:
        return str(value or "")
    return registry.display_value(found, value).strip()


def _section(document: Mapping[str, Any], slug: str) -> Mapping[str, Any]:
    answers = document.get(slug)
    return answers if isinstance(answers, Mapping) else {}


def _rows(answers: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = answers.get(key)
    return [row for row in value if isinstance(row, Mapping)] if isinstance(value, list) else []


def _join(*parts: str, sep: str = ", ") -> str:
    return sep.join(part for part in parts if part)


# An extension at the end ("ext. 12", "extension 12", "x12", "#12") is for whoever answers, not for the dialler.
EXTENSION = re.compile(r"\s*(?:\bext(?:ension)?\.?|\bx|#)\s*\d+\s*$", re.IGNORECASE)
MAX_DIGITS = 15  # the longest international number (ITU-T E.164); more means two numbers in one box


def tel_href(number: str) -> str:
    """ "tel:+447700900123" from "07700 900123", "+44 7700 900 123" or "+44 (0)7700-900-123"; "" when what was
    typed cannot be dialled as one number (no digits, an extension alone, two numbers in one box).

    After a country code the national trunk prefix is not dialled: "(0)" goes, and so does a bare 0 after
    +44 (no UK number starts with 0 after the country code). An extension is left out of the number dialled
    (phones treat ";ext=" and pauses differently); the officer still reads it in the link's text."""
    main = EXTENSION.sub("", number).strip()
    international = main.startswith("+")
    if international:
        main = main.replace("(0)", "")
    digits = re.sub(r"\D", "", main)
    if international and digits.startswith("440"):
        digits = "44" + digits[3:]
    if not 3 <= len(digits) <= MAX_DIGITS:
        return ""
    return f"tel:{'+' if international else ''}{digits}"


# --- the sheet ------------------------------------------------------------------------------------


def grab_sheet(snapshot: Mapping[str, Any], today: date) -> PoliceGrabSheet:
    """What the officer reads first, from a share's snapshot (document, photos, missing report)."""
    document = registry.prune_document(dict(snapshot.get("document") or {}))
    about = _section(document, ABOUT)
    name = _shown(about, ABOUT, "full_name") or _shown(about, ABOUT, "preferred_name") or "Name not given"
    preferred = _shown(about, ABOUT, "preferred_name")
    photos = list(snapshot.get("photos") or [])
    main = next((i for i, photo in enumerate(photos) if photo.get("primary")), 0 if photos else None)
    mobile = _shown(_section(document, "phone-money-and-devices"), "phone-money-and-devices", "mobile_number")
    return PoliceGrabSheet(
        name=name,
        preferred_name=preferred if preferred and preferred != name else "",
        age=_age(about, today),
        photo_number=None if main is None else main + 1,
        photo_alt=f"Photo of {name}",
        photo_taken=human_date(photos[main].get("taken_on")) if main is not None else "",
        missing_now=_missing_now(snapshot.get("missing_report") or {}),
        description=_description(document),
        allergies=_shown(_section(document, HEALTH), HEALTH, "allergies"),
        diagnosis=_join(
            _shown(_section(document, HEALTH), HEALTH, "diagnosis"),
            _shown(_section(document, HEALTH), HEALTH, "diagnosis_details"),
            sep=": ",
        ),
        medicines=_medicines(_section(document, HEALTH)),
        places=_places(document),
        hazards=_join(
            _shown(_section(document, PLACES), PLACES, "hazards"),
            _shown(_section(document, PLACES), PLACES, "hazards_details"),
            sep=": ",
        ),
        approach=[
            (_question(BEHAVIOUR, key).label, text)  # type: ignore[union-attr]
            for key in ("best_approach", "what_calms", "what_upsets", "responds_to_name")
            if (text := _shown(_section(document, BEHAVIOUR), BEHAVIOUR, key))
        ],
        contacts=_contacts(_section(document, CONTACTS)),
        vehicle=_vehicle(_section(document, "mobility-and-transport")),
        mobile=mobile,
        mobile_tel=tel_href(mobile) if mobile else "",
    )


def _age(about: Mapping[str, Any], today: date) -> str:
    born = about.get("date_of_birth")
    try:
        years = age_on(str(born), today) if born else None
    except ValueError:
        return ""
    return f"{years} (born {human_date(born)})" if years is not None else ""


def _missing_now(report: Mapping[str, Any]) -> MissingNow | None:
    if not report:
        return None
    clothing = _join(", ".join(report.get("clothing_picks") or []), str(report.get("clothing_today") or ""), sep="; ")
    return MissingNow(
        summary=missing.seen_and_reported(dict(report)),
        last_seen=display_time(report.get("last_seen_at")),
        reported=display_time(report.get("reported_at")),
        where=str(report.get("last_seen_where") or ""),
        direction=str(report.get("direction") or ""),
        said_going_to=str(report.get("said_going_to") or ""),
        clothing=clothing,
    )


def _description(document: Mapping[str, Any]) -> list[tuple[str, str]]:
    about, body = _section(document, ABOUT), _section(document, BODY)
    rows = [
        ("Sex", _shown(about, ABOUT, "sex")),
        ("Appearance", _shown(about, ABOUT, "ethnic_appearance")),
        ("Height", _shown(body, BODY, "height")),
        ("Build", _shown(body, BODY, "build")),
        ("Hair", as_phrase(_shown(body, BODY, "hair_colour"), _shown(body, BODY, "hair_style"))),
        ("Glasses", _shown(body, BODY, "glasses_description")),
        ("First language", _shown(about, ABOUT, "first_language")),
    ]
    return [(label, text) for label, text in rows if text]


def _medicines(health: Mapping[str, Any]) -> list[Medicine]:
    result = []
    for row in _rows(health, "medication"):
        urgency = str(row.get("urgency") or "")
        result.append(
            Medicine(
                name=_join(
                    _shown(row, HEALTH, "medication.medicine_name"), _shown(row, HEALTH, "medication.dose"), sep=" "
                ),
                when_taken=_shown(row, HEALTH, "medication.when_taken"),
                if_missed=_shown(row, HEALTH, "medication.if_missed"),
                urgency=urgency,
                urgency_words=URGENCY_WORDS.get(urgency, ""),
                urgency_detail=_shown(row, HEALTH, "medication.urgency"),
            )
        )
    return sorted(result, key=lambda medicine: URGENCY_ORDER.get(medicine.urgency, 3))


def _places(document: Mapping[str, Any]) -> list[str]:
    """Where they were found before (most recent first), then the places marked most likely."""
    places = []
    episodes = _rows(_section(document, EPISODES), "episodes")
    episodes = sorted(episodes, key=lambda row: str(row.get("episode_date") or ""), reverse=True)
    for row in episodes:
        where = _shown(row, EPISODES, "episodes.where_found")
        if where:
            when = human_date(row.get("episode_date"))
            places.append(f"Found here before{f' ({when})' if when else ''}: {where}")
    for row in _rows(_section(document, PLACES), "places"):
        if row.get("likelihood") != "high":
            continue
        address = _join(_shown(row, PLACES, "places.place_address"), _shown(row, PLACES, "places.place_postcode"))
        parts = (_shown(row, PLACES, "places.place_name"), address, _shown(row, PLACES, "places.connection"))
        text = _join(*parts, sep=" – ").replace("\r\n", ", ").replace("\n", ", ")
        if text:
            places.append(text)
    return places


def _contacts(answers: Mapping[str, Any]) -> list[Contact]:
    contacts = []
    for row in _rows(answers, "contacts"):
        phones = [
            Phone(text, tel_href(text))
            for text in (_shown(row, CONTACTS, "contacts.phone"), _shown(row, CONTACTS, "contacts.other_phone"))
            if text
        ]
        emergency = row.get("role") == "next_of_kin" or row.get("emergency_contact") == "yes"
        contacts.append(
            Contact(
                name=_shown(row, CONTACTS, "contacts.contact_name") or "Name not given",
                relationship=_shown(row, CONTACTS, "contacts.relationship") or _shown(row, CONTACTS, "contacts.role"),
                phones=phones,
                emergency=emergency,
            )
        )
    return sorted(contacts, key=lambda contact: not contact.emergency)


def _vehicle(answers: Mapping[str, Any]) -> str:
    if answers.get("drives") != "yes":
        return ""
    slug = "mobility-and-transport"
    car = _join(_shown(answers, slug, "vehicle_make"), _shown(answers, slug, "vehicle_model"), sep=" ")
    registration = _shown(answers, slug, "vehicle_registration")
    return (
        _join(car, _shown(answers, slug, "vehicle_colour"), f"registration {registration}" if registration else "")
        or "Drives or has access to car keys"
    )
