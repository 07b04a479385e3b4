"""The police PDF and the public appeal poster: built from the question registry, rendered by herbert.pdf.

render_police_pdf: page 1 is the grab sheet (what officers need in the first minutes; a missing-now
report, when there is one, at the very top), then every answered section in form order, every photo,
and one line naming the sections not answered. The pages after the grab sheet name no question and
list no section: labels, order, skip logic and display values come from herbert.questions.registry, so
a new question appears in the PDF without editing a template. Only the grab sheet picks questions by
name (declared in GRAB_SHEET; tests check each still exists and that nothing else is read by name).

render_appeal_poster: only for publicity consent "yes", and built from an explicit allow-list of
questions (POSTER_QUESTIONS): no address, health, contact or family details can reach it.

Every value goes through `printable` (drops bidi overrides and control characters, makes very long
unbroken runs breakable) and Jinja's autoescape. The routes at the end serve the downloads.
"""

import base64
import io
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import Blueprint, Response, render_template

from herbert import pdf
from herbert.access import Permission, current_person, person_required
from herbert.audit import record_event
from herbert.auth.limits import pdf_limits
from herbert.clock import utcnow
from herbert.dates import age_on, as_date, format_date
from herbert.pdf_budget import fit_document
from herbert.questions import registry
from herbert.records import store
from herbert.search_aid.aid import build_search_aid

log = logging.getLogger(__name__)

bp = Blueprint("documents", __name__)

Photo = tuple[Mapping[str, Any], bytes]

# --- making user text safe to print ---------------------------------------------------------------

_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")  # embeddings, overrides and isolates
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LONG_RUN = re.compile(r"\S{40}(?=\S)")
ZERO_WIDTH_SPACE = "\u200b"


def printable(value: Any) -> str:
    """User text as it may go into the PDF (Jinja still escapes it).

    Bidi embedding/override/isolate controls are dropped, so an answer cannot reverse the text around
    it (Arabic and Hebrew still read right to left: that comes from the letters, not the controls).
    Control characters and lone surrogates go too. Runs of 40+ characters without a space get a
    zero-width space every 40: WeasyPrint's line breaking is quadratic in the length of an unbreakable
    word (100,000 characters took 108 s); with break points it stays linear.
    """
    text = "" if value is None else str(value)
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = _CONTROLS.sub("", _BIDI_CONTROLS.sub("", text))
    return _LONG_RUN.sub(lambda match: match.group(0) + ZERO_WIDTH_SPACE, text)


def clip(text: str, limit: int) -> str:
    """At most about `limit` characters, cut at a space where there is one near the end, with "…"."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + "…"


# Page 1 holds the whole grab sheet on one sheet of A4, always. herbert.pdf lays the PDF out at fit level 0
# and, while the grab sheet runs past page 1, again at the next level; each level shortens more, in this order
# (docs/design/pdf.md): 1-2 long answers are cut shorter; 3 smaller type and photo; 4 (the last resort)
# shorter still, lists keep their first entries ("… and 3 more on page 5") and anything still left over is
# cut off at the foot of page 1 under a line saying so. A cut answer ends "(continued on page N)": N is the page of
# the section that holds all of it (CSS target-counter, so it is right whatever the layout).
FIT_LIMITS = (160, 110, 70, 70, 40)  # characters of one long answer on page 1, at each fit level
FIT_FLOORS = (64, 56, 44, 44, 24)  # a short answer is never cut below this many characters
FIT_LEVELS = len(FIT_LIMITS) - 1
FIT_KEEP = 4  # entries of a list kept at the last fit level


@dataclass(frozen=True)
class FitText:
    """A page-1 answer that the fitting may shorten: versions[level] is what page 1 shows at that level,
    target the id of the part of the PDF that holds all of it."""

    full: str
    versions: tuple[str, ...]
    target: str

    def runs(self) -> list[tuple[str, bool, str]]:
        """(text, was it cut, CSS classes of the fit levels that show it), one per distinct version."""
        runs: list[tuple[str, bool, list[str]]] = []
        for level, text in enumerate(self.versions):
            if runs and runs[-1][0] == text:
                runs[-1][2].append(f"f{level}")
            else:
                runs.append((text, text != self.full, [f"f{level}"]))
        if len(runs) == 1:
            return [(runs[0][0], runs[0][1], "fit-all")]
        return [(text, cut, " ".join(levels)) for text, cut, levels in runs]

    def __str__(self) -> str:
        return self.full

    def __bool__(self) -> bool:
        return bool(self.full)


def section_anchor(where: str) -> str:
    """The id of a part of the PDF: a section letter ("D") or an id as it is ("missing-report")."""
    return f"section-{where}" if len(where) == 1 else where


def brief(text: Any, where: str, scale: float = 1.0) -> FitText:
    """Page 1 shows the start of a long answer (shorter at each fit level); its section has all of it."""
    text = str(text)
    limits = (max(floor, int(limit * scale)) for limit, floor in zip(FIT_LIMITS, FIT_FLOORS, strict=True))
    versions = tuple(clip(text, limit) for limit in limits)
    return FitText(text, versions, section_anchor(where) if where else "")


# --- photos ---------------------------------------------------------------------------------------

_JPEG_KEEP_BEFORE_SCAN = {0xC0, 0xC1, 0xC2, 0xC3, 0xC4, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_JPEG_KEEP_BEFORE_SCAN |= {0xDB, 0xDD, 0xE0}  # quantisation tables, restart interval, JFIF header


def jpeg_without_metadata(jpeg: bytes) -> bytes | None:
    """The JPEG with every APPn (except JFIF) and comment segment removed, or None if it is not a JPEG.

    Photos are already rebuilt from pixels when uploaded (herbert.photos); this makes sure that even a
    photo from an older import cannot carry EXIF, GPS or XMP into the PDF (WeasyPrint embeds JPEG bytes
    as they are)."""
    if not jpeg.startswith(b"\xff\xd8"):
        return None
    out = io.BytesIO()
    out.write(b"\xff\xd8")
    position = 2
    while position + 4 <= len(jpeg):
        if jpeg[position] != 0xFF:
            return None
        marker = jpeg[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        length = int.from_bytes(jpeg[position + 2 : position + 4], "big")
        if length < 2 or position + 2 + length > len(jpeg):
            return None
        if marker == 0xDA:  # start of scan: the rest is image data
            out.write(jpeg[position:])
            return out.getvalue()
        if marker in _JPEG_KEEP_BEFORE_SCAN:
            out.write(jpeg[position : position + 2 + length])
        position += 2 + length
    return None


def _data_uri(jpeg: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


def _kind_label(kind: Any) -> str:
    from herbert.records.photo_views import KIND_LABELS

    return KIND_LABELS.get(str(kind or ""), "Photo")


def _photo_date(value: Any) -> str:
    day = as_date(value)
    return format_date(day) if day else "date not known"


@dataclass
class PrintedPhoto:
    src: str
    kind: str
    taken: str
    caption: str
    primary: bool

    @property
    def alt(self) -> str:
        return f"Photo: {self.kind.lower()}, taken {self.taken}"


def printed_photos(photos: list[Photo]) -> list[PrintedPhoto]:
    """Photos as the templates use them: primary first (the first one if none is marked), metadata removed."""
    result = []
    for details, jpeg in photos:
        clean = jpeg_without_metadata(jpeg)
        if clean is None:
            log.warning("a photo was left out of a PDF: not a JPEG")
            continue
        result.append(
            PrintedPhoto(
                src=_data_uri(clean),
                kind=_kind_label(details.get("kind")),
                taken=_photo_date(details.get("taken_on")),
                caption=printable(details.get("caption") or ""),
                primary=bool(details.get("primary") or details.get("is_primary")),
            )
        )
    result.sort(key=lambda photo: not photo.primary)  # stable: keeps the caller's order otherwise
    if result and not result[0].primary:
        result[0].primary = True
    return result


# --- meta: version, dates -------------------------------------------------------------------------


def _long_date(value: Any) -> str:
    day = as_date(value)
    return format_date(day) if day else "not set"


@dataclass
class Header:
    """What the margin boxes of every page show (set from elements with CSS string-set)."""

    name: str
    version_label: str
    dates_line: str
    draft: bool
    police_line: str = ""  # the second footer line: where police open a share online


def make_header(document: registry.Document, photos: list[PrintedPhoto], meta: Mapping[str, Any]) -> Header:
    """meta: {"version": int | None, "draft": bool, "version_label": str (optional, overrides),
    "completed_on", "next_review_on", "generated_at" (dates; completed and review default to section M)}."""
    about = document.get("about-the-person") or {}
    review = document.get(registry.CONSENT_SECTION) or {}
    completed = meta.get("completed_on") or review.get("date_completed")
    next_review = meta.get("next_review_on") or review.get("next_review_date")
    generated = meta.get("generated_at") or utcnow()
    primary = photos[0].taken if photos else "no photo"
    name = printable(about.get("full_name") or about.get("preferred_name") or "Name not given")
    return Header(
        name=clip(name, 80),
        version_label=version_label(meta),
        dates_line=(
            f"Completed: {_long_date(completed) if completed else 'not yet'} · "
            f"Next review: {_long_date(next_review)} · Main photo taken: {primary} · "
            f"Printed: {_long_date(generated)}"
        ),
        draft=is_draft(meta),
        police_line=printable(meta.get("police_line") or _police_line()),
    )


def _police_line() -> str:
    from herbert.handover.share_messages import footer_line
    from herbert.links import police_address

    return footer_line(police_address())


def is_draft(meta: Mapping[str, Any]) -> bool:
    return bool(meta.get("draft")) or (meta.get("version") is None and not meta.get("version_label"))


def version_label(meta: Mapping[str, Any]) -> str:
    if meta.get("version_label"):
        return printable(meta["version_label"])
    return "DRAFT – not a published version" if is_draft(meta) else f"Version {meta['version']}"


# --- registry look-ups ----------------------------------------------------------------------------


def question(section_slug: str, name: str) -> registry.Question:
    """A question (or a row question, as "rows_key.name") by section and name. KeyError if it is gone."""
    head, _, row_name = name.partition(".")
    for candidate in registry.iter_questions(registry.section_by_slug(section_slug)):
        if candidate.name == head:
            if not row_name:
                return candidate
            for row_question in candidate.row_questions:
                if row_question.name == row_name:
                    return row_question
    raise KeyError(f"{section_slug}/{name}")


def shown(document: registry.Document, section_slug: str, name: str) -> str:
    """The printable display value of one answer ("" when unanswered)."""
    value = (document.get(section_slug) or {}).get(name)
    return printable(registry.display_value(question(section_slug, name), value))


def row_value(section_slug: str, rows_key: str, row: Mapping[str, Any], name: str) -> str:
    return printable(registry.display_value(question(section_slug, f"{rows_key}.{name}"), row.get(name)))


def rows_of(document: registry.Document, section_slug: str, rows_key: str) -> list[Mapping[str, Any]]:
    value = (document.get(section_slug) or {}).get(rows_key)
    return [row for row in value if isinstance(row, Mapping)] if isinstance(value, list) else []


# --- page 1: the grab sheet -----------------------------------------------------------------------

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


def as_phrase(*parts: str) -> str:
    """Answers joined as one phrase: "White", "Short and curly" → "White, short and curly" (a capital is
    lowered only where the next letter is lower case, so "LS1" or "UK" stay as typed)."""
    words = [part for part in parts if part]
    return ", ".join(words[:1] + [lower_first(word) for word in words[1:]])


def lower_first(word: str) -> str:
    return word[0].lower() + word[1:] if len(word) > 1 and word[0].isupper() and word[1].islower() else word


def person_with_relationship(who: str, relationship: str) -> str:
    """ "Susan Ellis (Daughter)", but "Susan Ellis – daughter (lives with her)" rather than nested brackets."""
    if not relationship:
        return who
    if "(" in relationship or ")" in relationship:
        return f"{who} – {lower_first(relationship)}"
    return f"{who} ({relationship})"


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
    from herbert.handover import missing

    captions = {
        str(details["id"]): ": ".join(filter(None, (_kind_label(details.get("kind")), details.get("caption"))))
        for details, _jpeg in photos or []
        if details.get("id")
    }
    part = {key: value for key, value in report.items() if first is None or (key in MISSING_NOW_FIRST) == first}
    rows = missing.report_rows(part, captions)
    if first:
        return [Fact(label, brief(printable(text), MISSING_REPORT_ANCHOR, 0.8)) for label, text in rows]
    return [Fact(label, printable(text)) for label, text in rows]


# --- the rest of the form: every answered section ------------------------------------------------


@dataclass
class PrintedTable:
    caption: str
    row_noun: str
    columns: list[str]
    rows: list[list[str]]
    records: bool  # many columns: each row as its own two-column table


@dataclass
class PrintedSection:
    letter: str
    title: str
    facts: list[Fact] = field(default_factory=list)
    tables: list[PrintedTable] = field(default_factory=list)
    photos: list[PrintedPhoto] = field(default_factory=list)
    parts: list[Any] = field(default_factory=list)  # facts runs and tables, in form order


WIDE_TABLE = 5  # more non-empty columns than this and each row prints as its own small table


def printed_sections(document: registry.Document, photos: list[PrintedPhoto]) -> tuple[list[PrintedSection], list[str]]:
    """Every answered section in registry order, and the titles of the ones not answered."""
    answered: list[PrintedSection] = []
    not_answered: list[str] = []
    for section in registry.SECTIONS:
        title = f"{section.letter}. {section.title}"
        if section.endpoint is not None:  # photographs live outside the document
            if photos:
                answered.append(PrintedSection(section.letter, section.title, photos=photos))
            else:
                not_answered.append(title)
            continue
        if not section.applies(document):
            if section.not_needed:  # in its place, so the letters match the paper form
                answered.append(
                    PrintedSection(section.letter, section.title, parts=[[Fact("Not needed", section.not_needed)]])
                )
            continue
        answers = document.get(section.slug) or {}
        rows = registry.summary_rows(section, answers, document, include_empty=False) if answers else []
        if not rows:
            not_answered.append(title)
            continue
        printed = PrintedSection(section.letter, section.title)
        facts: list[Fact] = []
        for row in rows:
            if row.is_table:
                if facts:
                    printed.parts.append(facts)
                    facts = []
                printed.parts.append(_table(row))
            else:
                facts.append(Fact(printable(row.label), printable(row.text)))
        if facts:
            printed.parts.append(facts)
        answered.append(printed)
    return answered, not_answered


def _table(row: registry.SummaryRow) -> PrintedTable:
    keep = [index for index in range(len(row.columns)) if any(cells[index] for cells in row.rows)]
    return PrintedTable(
        caption=printable(row.label),
        row_noun=printable(row.question.page.row_noun).capitalize(),
        columns=[printable(row.columns[index]) for index in keep],
        rows=[[printable(cells[index]) for index in keep] for cells in row.rows],
        records=len(keep) > WIDE_TABLE,
    )


# --- the two documents ------------------------------------------------------------------------------


def police_pdf_html(
    document: registry.Document,
    photos: list[Photo],
    *,
    meta: Mapping[str, Any],
    missing_report: Mapping[str, Any] | None = None,
) -> str:
    """The final HTML of the police PDF (what render_police_pdf renders; the bench renders it too)."""
    document = fit_document(registry.prune_document(document or {}))  # bounded worst case (herbert.pdf_budget)
    printed = printed_photos(photos)
    header = make_header(document, printed, meta)
    today = as_date(meta.get("generated_at")) or utcnow().date()
    sheet = grab_sheet(document, printed, today)
    sheet.missing_now = missing_now_facts(missing_report, first=True, photos=photos)
    sections, not_answered = printed_sections(document, printed)
    return render_template(
        "pdf/police.html",
        title=police_pdf_title(meta),
        header=header,
        sheet=sheet,
        missing_more=missing_now_facts(missing_report, first=None, photos=photos),
        fit_levels=FIT_LEVELS,
        sections=sections,
        not_answered=not_answered,
        search_aid=build_search_aid(document, missing_report, text_filter=printable),
    )


def police_pdf_title(meta: Mapping[str, Any]) -> str:
    """No name in the title: viewers show it in window bars and recent-file lists."""
    return f"Herbert Protocol form – {version_label(meta)}"


def render_police_pdf(
    document: registry.Document,
    photos: list[Photo],
    *,
    meta: Mapping[str, Any],
    missing_report: Mapping[str, Any] | None = None,
    lane: str = pdf.CARER,
) -> bytes:
    """The police PDF as bytes. photos: (details, JPEG bytes) pairs; see make_header for meta.
    lane=pdf.POLICE for a PDF police are opening (reserved render capacity).

    Raises herbert.pdf.PdfError / PdfTimeout / PdfBusy when it cannot be made in time."""

    def html() -> str:  # built only once a render worker is held (nothing is built for a "try again")
        return police_pdf_html(document, photos, meta=meta, missing_report=missing_report)

    return pdf.render_pdf(html, title=police_pdf_title(meta), fit_levels=FIT_LEVELS, lane=lane)


# The only questions an appeal poster may show: what a member of the public would see in the street.
POSTER_QUESTIONS: tuple[tuple[str, str], ...] = (
    ("about-the-person", "sex"),
    ("about-the-person", "ethnic_appearance"),
    ("physical-description", "height"),
    ("physical-description", "build"),
    ("physical-description", "hair_colour"),
    ("physical-description", "hair_style"),
    ("physical-description", "facial_hair"),
    ("physical-description", "glasses_description"),
    ("physical-description", "usual_clothing"),
    ("physical-description", "usual_coat"),
    ("physical-description", "hat"),
    ("physical-description", "footwear"),
)
POSTER_LIMIT = 200  # characters per description line on the poster


def publicity_consented(document: registry.Document) -> bool:
    return (document.get(registry.CONSENT_SECTION) or {}).get("publicity_consent") == "yes"


def poster_html(document: registry.Document, primary_photo: Photo | None, meta: Mapping[str, Any]) -> str:
    """The final HTML of the appeal poster: names, age, the allow-listed description, the photo, call 999."""
    if not publicity_consented(document):
        raise PosterNotAllowed
    document = registry.prune_document(document)
    about = document.get("about-the-person") or {}
    today = as_date(meta.get("generated_at")) or utcnow().date()
    dob = as_date(about.get("date_of_birth"))
    description = [
        Fact(question(slug, name).label, poster_text(text))
        for slug, name in POSTER_QUESTIONS
        if (text := shown(document, slug, name))
    ]
    photos = printed_photos([primary_photo]) if primary_photo else []
    name = shown(document, "about-the-person", "full_name")
    return render_template(
        "pdf/poster.html",
        title="Missing person appeal",
        name=name or shown(document, "about-the-person", "preferred_name"),
        preferred_name=shown(document, "about-the-person", "preferred_name") if name else "",
        age=age_on(dob, today) if dob else None,
        description=description,
        photo=photos[0] if photos else None,
    )


def poster_text(text: str) -> FitText:
    """A description line of the poster, shorter at the higher fit levels; the poster has no page 2 to
    continue on, so a cut line just ends with "…"."""
    limits = (POSTER_LIMIT, POSTER_LIMIT, POSTER_LIMIT, 100, 60)
    return FitText(text, tuple(clip(text, limit) for limit in limits), "")


class PosterNotAllowed(Exception):
    """The appeal poster exists only when publicity consent is "yes"."""


def render_appeal_poster(
    document: registry.Document, primary_photo: Photo | None, meta: Mapping[str, Any] | None = None
) -> bytes:
    """The public appeal poster as bytes; raises PosterNotAllowed without publicity consent."""
    html = poster_html(document, primary_photo, meta or {})
    return pdf.render_pdf(html, title="Missing person appeal", fit_levels=FIT_LEVELS)


# --- routes ---------------------------------------------------------------------------------------


@bp.app_template_global("documents_panel")
def documents_panel(person: Any, draft: registry.Document | None = None) -> dict[str, Any]:
    """For templates/people/_documents_panel.html: published versions, whether a draft exists, the poster."""
    if draft is None:
        draft = store.load_draft(person)
    return {
        "versions": [
            {"number": r["number"], "published": _long_date(r["published_at"])} for r in store.list_revisions(person)
        ],
        "has_draft": bool(draft),
        "poster": publicity_consented(draft),
    }


def _photos_of(person: Any) -> list[Photo]:
    return [(details, store.open_photo(person, details["id"])) for details in store.list_photos(person)]


def _open_missing_report(person: Any) -> dict[str, Any] | None:
    """The missing-now report while the person is missing (it goes on top of page 1), else None."""
    from herbert.handover import missing

    report = missing.open_report(person)
    return (missing.load_report(person, report) or None) if report is not None else None


def _pdf_response(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _failed(error: pdf.PdfError):
    timed_out = isinstance(error, pdf.PdfTimeout)
    busy = isinstance(error, pdf.PdfBusy)
    page = render_template(
        "documents/pdf_failed.html", title="The PDF could not be made", timed_out=timed_out, busy=busy
    )
    return page, 503, {"Retry-After": "60"}


def _today_stamp() -> str:
    return utcnow().date().isoformat()


@bp.route("/people/<person_id>/pdf/draft")
@person_required(Permission.VIEW)
@pdf_limits
def draft_pdf(person_id: str):
    person = current_person()
    document = store.load_draft(person)
    meta = {"version": None, "draft": True, "next_review_on": person.next_review_on}
    try:
        body = render_police_pdf(document, _photos_of(person), meta=meta, missing_report=_open_missing_report(person))
    except pdf.PdfError as error:
        return _failed(error)
    record_event("pdf.download", person_id=person.id, detail="draft")
    return _pdf_response(body, f"herbert-protocol-draft-{_today_stamp()}.pdf")


@bp.route("/people/<person_id>/pdf/version/<int:number>")
@person_required(Permission.VIEW)
@pdf_limits
def version_pdf(person_id: str, number: int):
    person = current_person()
    document = store.load_revision(person, number)  # 404 if there is no such version
    published = next((r["published_at"] for r in store.list_revisions(person) if r["number"] == number), None)
    review = document.get(registry.CONSENT_SECTION) or {}
    meta = {
        "version": number,
        "draft": False,
        "completed_on": review.get("date_completed") or published,
        "next_review_on": review.get("next_review_date"),
    }
    from herbert.handover import kept_pdfs

    photos, report = _photos_of(person), _open_missing_report(person)
    # Rendered once and kept, until a photo, the missing-now report or the date printed changes.
    made_from = kept_pdfs.fingerprint([details for details, _jpeg in photos], report, meta, _today_stamp())
    body = kept_pdfs.kept_version_pdf(person, number, made_from)
    if body is None:
        try:
            body = render_police_pdf(document, photos, meta=meta, missing_report=report)
        except pdf.PdfError as error:
            return _failed(error)
        kept_pdfs.keep_version_pdf(person, number, made_from, body)
    record_event("pdf.download", person_id=person.id, detail=f"v{number}")
    return _pdf_response(body, f"herbert-protocol-v{number}-{_today_stamp()}.pdf")


@bp.route("/people/<person_id>/poster")
@person_required(Permission.VIEW)
@pdf_limits
def poster(person_id: str):
    """The appeal poster from the current answers (the draft), only with publicity consent."""
    person = current_person()
    document = store.load_draft(person)
    if not publicity_consented(document):
        return render_template(
            "documents/poster_refused.html", title="No appeal poster for this person", person=person
        ), 404
    primary = next((details for details in store.list_photos(person) if details.get("is_primary")), None)
    photo = (primary, store.open_photo(person, primary["id"])) if primary else None
    try:
        body = render_appeal_poster(document, photo, {})
    except pdf.PdfError as error:
        return _failed(error)
    record_event("pdf.download", person_id=person.id, detail="poster")
    return _pdf_response(body, f"missing-person-appeal-{_today_stamp()}.pdf")
