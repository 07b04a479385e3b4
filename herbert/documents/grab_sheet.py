"""Page 1 of the police PDF: the grab sheet, what an officer needs in the first minutes, on one sheet of A4.

Only the grab sheet picks questions by name (declared in GRAB_SHEET; tests check each still exists and that
nothing else is read by name). A missing-now report, when there is one, goes on top.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from herbert.dates import age_on, as_date
from herbert.documents.printable import (
    FIT_KEEP,
    FitText,
    brief,
    printable,
    question,
    row_value,
    rows_of,
    section_anchor,
    shown,
)
from herbert.documents.printed_photos import Photo, PrintedPhoto
from herbert.handover.missing import report as missing
from herbert.photos.kinds import kind_label
from herbert.questions import registry
from herbert.wording import as_phrase, person_with_relationship

# Every (section, question) the grab sheet reads by name. tests/test_pdf_document.py checks they exist.
GRAB_SHEET: dict[str, tuple[str, ...]] = {
    "about-the-person": (
        "full_name",
        "preferred_name",
        "date_of_birth",
        "sex",
        "ethnic_appearance",
        "first_language",
        "address",
        "postcode",
    ),
    "physical-description": (
        "height",
        "build",
        "hair_colour",
        "hair_style",
        "facial_hair",
        "glasses_description",
        "usual_clothing",
        "distinguishing_features.feature_kind",
        "distinguishing_features.location",
        "distinguishing_features.description",
    ),
    "health-and-medication": (
        "diagnosis",
        "diagnosis_details",
        "other_conditions",
        "allergies",
        "medication.medicine_name",
        "medication.dose",
        "medication.when_taken",
        "medication.if_missed",
        "medication.urgency",
    ),
    "communication-and-behaviour": ("best_approach", "what_calms", "what_upsets", "responds_to_name"),
    "mobility-and-transport": (
        "travel_modes",
        "walking_aids",
        "drives",
        "vehicle_make",
        "vehicle_model",
        "vehicle_colour",
        "vehicle_registration",
    ),
    "phone-money-and-devices": (
        "mobile_number",
        "handset",
        "locator_app",
        "gps_tracker_details",
        "gps_monitoring_phone",
        "telecare_provider",
        "telecare_phone",
    ),
    "significant-places": (
        "places.place_name",
        "places.place_address",
        "places.place_postcode",
        "places.connection",
        "places.likelihood",
        "hazards",
        "hazards_details",
    ),
    "previous-missing-episodes": ("episodes.where_found", "episodes.episode_date"),
    "contacts": (
        "contacts.role",
        "contacts.contact_name",
        "contacts.relationship",
        "contacts.emergency_contact",
        "contacts.phone",
        "contacts.other_phone",
    ),
}
URGENCY_ORDER = {"urgent": 0, "soon": 1}
# How page 1 words a medicine's urgency: short, and the urgent one in words (bold too), not by colour alone.
URGENCY_WORDS = {"urgent": "URGENT – needed within hours", "soon": "Needed within a day", "not_urgent": "Not urgent"}


@dataclass
class Fact:
    label: Any  # str or FitText
    value: Any  # str or FitText
    strong: bool = False


@dataclass
class Block:
    title: str
    where: str = ""  # the section letter that holds all of it (for "… and 2 more on page N")
    facts: list[Fact] = field(default_factory=list)
    items: list[Any] = field(default_factory=list)  # a numbered list (places to search)
    table_columns: list[str] = field(default_factory=list)
    table_rows: list[list[Any]] = field(default_factory=list)
    strong_rows: list[bool] = field(default_factory=list)  # table rows printed bold (urgent medicines)
    keep: int = FIT_KEEP  # entries of a list the last fit level keeps

    def add(self, label: Any, value: str, *, where: str = "", strong: bool = False, scale: float = 1.0) -> None:
        if value:
            self.facts.append(Fact(label, brief(value, where, scale), strong))

    @property
    def anchor(self) -> str:
        return section_anchor(self.where) if self.where else ""

    @property
    def empty(self) -> bool:
        return not (self.facts or self.items or self.table_rows)


@dataclass
class GrabSheet:
    name: FitText
    preferred_name: FitText
    identity: list[Fact]
    medical: Block | None  # full width, under the photo
    columns: list[list[Block]]  # two columns of blocks under it
    photo: PrintedPhoto | None
    missing_now: list[Fact]


def _label(section_slug: str, name: str) -> str:
    return question(section_slug, name).label


def grab_sheet(document: registry.Document, photos: list[PrintedPhoto], today: date) -> GrabSheet:
    """What an officer needs in the first minutes, from a pruned document."""
    about, body = "about-the-person", "physical-description"
    identity = Block("identity")
    dob = (document.get(about) or {}).get("date_of_birth")
    if dob and as_date(dob):
        identity.add("Age", f"{age_on(as_date(dob), today)} (born {shown(document, about, 'date_of_birth')})")
    for slug, name in ((about, "sex"), (about, "ethnic_appearance"), (body, "height"), (body, "build")):
        identity.add(_label(slug, name), shown(document, slug, name), where="A" if slug == about else "B")
    hair = as_phrase(shown(document, body, "hair_colour"), shown(document, body, "hair_style"))
    identity.add("Hair", hair, where="B")
    identity.add(_label(body, "facial_hair"), shown(document, body, "facial_hair"), where="B")
    identity.add("Glasses", shown(document, body, "glasses_description"), where="B")
    features = [
        " – ".join(
            filter(
                None,
                (
                    row_value(body, "distinguishing_features", row, "feature_kind"),
                    row_value(body, "distinguishing_features", row, "location"),
                    row_value(body, "distinguishing_features", row, "description"),
                ),
            )
        )
        for row in rows_of(document, body, "distinguishing_features")
    ]
    identity.add("Distinguishing features", "\n".join(filter(None, features)), where="B", scale=1.4)
    identity.add("Usual clothing", shown(document, body, "usual_clothing"), where="B")
    identity.add(_label(about, "first_language"), shown(document, about, "first_language"), where="A")
    home = ", ".join(filter(None, (shown(document, about, "address"), shown(document, about, "postcode"))))
    identity.add("Home address", home.replace("\n", ", "), where="A")

    left = [_places_block(document), _travel_block(document)]
    right = [_approach_block(document), _next_of_kin_block(document), _phone_block(document)]
    medical = _medical_block(document)
    return GrabSheet(
        name=brief(shown(document, about, "full_name") or "Name not given", "A", 2.0),
        preferred_name=brief(shown(document, about, "preferred_name"), "A", 2.0),
        identity=identity.facts,
        medical=None if medical.empty else medical,
        columns=[[block for block in column if not block.empty] for column in (left, right)],
        photo=photos[0] if photos else None,
        missing_now=[],
    )


def _medical_block(document: registry.Document) -> Block:
    slug = "health-and-medication"
    block = Block("Medical risks", where="D")
    diagnosis = ": ".join(
        filter(None, (shown(document, slug, "diagnosis"), shown(document, slug, "diagnosis_details")))
    )
    block.add("Diagnosis", diagnosis, where="D")
    block.add(_label(slug, "other_conditions"), shown(document, slug, "other_conditions"), where="D")
    block.add(_label(slug, "allergies"), shown(document, slug, "allergies"), where="D", strong=True)
    medicines = sorted(
        rows_of(document, slug, "medication"), key=lambda row: URGENCY_ORDER.get(str(row.get("urgency")), 2)
    )
    if medicines:
        block.table_columns = ["Medicine and dose", "When", "If a dose is missed", "How urgent"]
        for row in medicines:
            name = " ".join(
                filter(
                    None,
                    (row_value(slug, "medication", row, "medicine_name"), row_value(slug, "medication", row, "dose")),
                )
            )
            urgency = URGENCY_WORDS.get(str(row.get("urgency")), row_value(slug, "medication", row, "urgency"))
            block.table_rows.append(
                [
                    brief(name, "D", 0.5),
                    brief(row_value(slug, "medication", row, "when_taken"), "D", 0.4),
                    brief(row_value(slug, "medication", row, "if_missed"), "D", 0.6),
                    urgency,
                ]
            )
            block.strong_rows.append(row.get("urgency") == "urgent")
    return block


def _approach_block(document: registry.Document) -> Block:
    slug = "communication-and-behaviour"
    block = Block("Approaching them", where="E")
    for name in ("best_approach", "what_calms", "what_upsets", "responds_to_name"):
        block.add(_label(slug, name), shown(document, slug, name), where="E")
    return block


def _places_block(document: registry.Document) -> Block:
    """Where they were found before (most recent first), then the places most likely to draw them."""
    block = Block("Places to search first", where="I")
    episodes = rows_of(document, "previous-missing-episodes", "episodes")
    episodes = sorted(episodes, key=lambda row: str(row.get("episode_date") or ""), reverse=True)
    for row in episodes:
        where = row_value("previous-missing-episodes", "episodes", row, "where_found")
        if where:
            when = row_value("previous-missing-episodes", "episodes", row, "episode_date")
            block.items.append(brief(f"Found here before: {where}{f' ({when})' if when else ''}", "J"))
    slug = "significant-places"
    for row in rows_of(document, slug, "places"):
        if row.get("likelihood") != "high":
            continue
        address = ", ".join(
            filter(
                None,
                (row_value(slug, "places", row, "place_address"), row_value(slug, "places", row, "place_postcode")),
            )
        )
        parts = [row_value(slug, "places", row, "place_name"), address, row_value(slug, "places", row, "connection")]
        block.items.append(brief(" – ".join(filter(None, parts)).replace("\n", ", "), "I"))
    hazards = ": ".join(filter(None, (shown(document, slug, "hazards"), shown(document, slug, "hazards_details"))))
    block.add("Hazards near home", hazards, where="I", strong=True)
    return block


def _travel_block(document: registry.Document) -> Block:
    slug = "mobility-and-transport"
    block = Block("How they travel", where="F")
    block.add("Usually travels", shown(document, slug, "travel_modes"), where="F")
    block.add(_label(slug, "walking_aids"), shown(document, slug, "walking_aids"), where="F")
    if (document.get(slug) or {}).get("drives") == "yes":
        car = " ".join(filter(None, (shown(document, slug, "vehicle_make"), shown(document, slug, "vehicle_model"))))
        vehicle = ", ".join(filter(None, (car, shown(document, slug, "vehicle_colour"))))
        registration = shown(document, slug, "vehicle_registration")
        text = " – ".join(filter(None, (vehicle, f"registration {registration}" if registration else "")))
        block.add("Vehicle", text or "Drives or has access to car keys", where="F", strong=True)
    return block


def _phone_block(document: registry.Document) -> Block:
    slug = "phone-money-and-devices"
    block = Block("Phone and trackers", where="G")
    mobile = " – ".join(filter(None, (shown(document, slug, "mobile_number"), shown(document, slug, "handset"))))
    block.add("Mobile", mobile, where="G", strong=True)
    block.add(_label(slug, "locator_app"), shown(document, slug, "locator_app"), where="G")
    tracker = " – ".join(
        filter(None, (shown(document, slug, "gps_tracker_details"), shown(document, slug, "gps_monitoring_phone")))
    )
    block.add("GPS tracker", tracker, where="G")
    telecare = " – ".join(
        filter(None, (shown(document, slug, "telecare_provider"), shown(document, slug, "telecare_phone")))
    )
    block.add("Telecare", telecare, where="G")
    return block


def _next_of_kin_block(document: registry.Document) -> Block:
    slug = "contacts"
    block = Block("Next of kin and emergency contacts", where="K")
    for row in rows_of(document, slug, "contacts"):
        if row.get("role") != "next_of_kin" and row.get("emergency_contact") != "yes":
            continue
        who = row_value(slug, "contacts", row, "contact_name") or "Name not given"
        relationship = row_value(slug, "contacts", row, "relationship") or row_value(slug, "contacts", row, "role")
        phones = ", ".join(
            filter(None, (row_value(slug, "contacts", row, "phone"), row_value(slug, "contacts", row, "other_phone")))
        )
        label = brief(person_with_relationship(who, relationship), "K", 0.4)
        block.add(label, phones or "No phone number given", where="K", strong=True)
    return block


# --- the missing-now report -----------------------------------------------------------------------

MISSING_NOW_FIRST = ("last_seen_at", "reported_at", "last_seen_where", "direction", "said_going_to", "clothing_picks")
MISSING_NOW_FIRST += ("clothing_today", "clothing_photo_ids", "items_carried", "items_details")
MISSING_REPORT_ANCHOR = "missing-report"


def missing_now_facts(
    report: Mapping[str, Any] | None, *, first: bool | None, photos: list[Photo] | None = None
) -> list[Fact]:
    """The report's rows (herbert.handover.missing formats them): the top-of-page-1 ones (first=True, long
    ones shortened as the grab sheet's are), the rest (first=False) or all of them in full (first=None).
    Clothing photos picked in the report are named by their kind and caption."""
    if not report:
        return []
    captions = {
        str(details["id"]): ": ".join(filter(None, (kind_label(details.get("kind")), details.get("caption"))))
        for details, _jpeg in photos or []
        if details.get("id")
    }
    part = {key: value for key, value in report.items() if first is None or (key in MISSING_NOW_FIRST) == first}
    rows = missing.report_rows(part, captions)
    if first:
        return [Fact(label, brief(printable(text), MISSING_REPORT_ANCHOR, 0.8)) for label, text in rows]
    return [Fact(label, printable(text)) for label, text in rows]
