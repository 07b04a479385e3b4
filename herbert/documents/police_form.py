"""The police PDF: page 1 the grab sheet, then every answered section in form order, every photo, and one line
naming the sections not answered.

The pages after the grab sheet name no question and list no section: labels, order, skip logic and display
values come from herbert.questions.registry, so a new question appears in the PDF without editing a template.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import render_template

from herbert.clock import utcnow
from herbert.dates import as_date, format_date, uk_now
from herbert.documents import renderer
from herbert.documents.budget import fit_document
from herbert.documents.grab_sheet import Fact, grab_sheet, missing_now_facts
from herbert.documents.printable import FIT_LEVELS, clip, printable
from herbert.documents.printed_photos import Photo, PrintedPhoto, printed_photos
from herbert.handover.shares.messages import footer_line
from herbert.links import police_address
from herbert.questions import registry
from herbert.search_aid.aid import build_search_aid


def long_date(value: Any) -> str:
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
            f"Completed: {long_date(completed) if completed else 'not yet'} · "
            f"Next review: {long_date(next_review)} · Main photo taken: {primary} · "
            f"Printed: {long_date(generated)}"
        ),
        draft=is_draft(meta),
        police_line=printable(meta.get("police_line") or _police_line()),
    )


def _police_line() -> str:
    return footer_line(police_address())


def is_draft(meta: Mapping[str, Any]) -> bool:
    return bool(meta.get("draft")) or (meta.get("version") is None and not meta.get("version_label"))


def version_label(meta: Mapping[str, Any]) -> str:
    if meta.get("version_label"):
        return printable(meta["version_label"])
    return "DRAFT – not a published version" if is_draft(meta) else f"Version {meta['version']}"


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

# The search-aid page (templates/search_aid/_pdf_page.html) lists and draws the nearest places only, so it stays
# one page and every marker on its map has its entry; the page says how many more there are and where they are.
# 12 rows of at most two lines fit below the map with the side column at its longest
# (tests/search_aid/test_search_aid_pdf.py renders that worst case).
SEARCH_AID_PLACES = 12


def police_pdf_html(
    document: registry.Document,
    photos: list[Photo],
    *,
    meta: Mapping[str, Any],
    missing_report: Mapping[str, Any] | None = None,
) -> str:
    """The final HTML of the police PDF (what render_police_pdf renders; the bench renders it too)."""
    document = fit_document(registry.prune_document(document or {}))  # bounded worst case (documents.budget)
    printed = printed_photos(photos)
    header = make_header(document, printed, meta)
    today = as_date(meta.get("generated_at")) or utcnow().date()
    sheet = grab_sheet(document, printed, today)
    sheet.missing_now = missing_now_facts(missing_report, first=True, photos=photos)
    sections, not_answered = printed_sections(document, printed)
    return render_template(
        "documents/pdf/police.html",
        title=police_pdf_title(meta),
        header=header,
        sheet=sheet,
        missing_more=missing_now_facts(missing_report, first=None, photos=photos),
        fit_levels=FIT_LEVELS,
        sections=sections,
        not_answered=not_answered,
        search_aid=build_search_aid(document, missing_report, text_filter=printable, max_listed=SEARCH_AID_PLACES),
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
    lane: str = renderer.CARER,
) -> bytes:
    """The police PDF as bytes. photos: (details, JPEG bytes) pairs; see make_header for meta.
    lane=renderer.POLICE for a PDF police are opening (reserved render capacity).

    Raises renderer.PdfError / PdfTimeout / PdfBusy when it cannot be made in time."""

    def html() -> str:  # built only once a render worker is held (nothing is built for a "try again")
        return police_pdf_html(document, photos, meta=meta, missing_report=missing_report)

    return renderer.render_pdf(html, title=police_pdf_title(meta), fit_levels=FIT_LEVELS, lane=lane)


def handover_meta(version_label: str, police_line: str = "") -> dict[str, Any]:
    """The meta of a PDF handed to police (a share's, the missing-now one): its version label, printed now in UK
    time, and the footer line telling police where to open the form online (default: /police, no reference)."""
    return {"version_label": version_label, "generated_at": uk_now(), "police_line": police_line}
