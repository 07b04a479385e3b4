"""The Herbert Protocol form, defined once: an ordered registry of sections, pages and questions.

Everything that shows or reads answers works from this module: the question pages, the task list and
its statuses, check-your-answers, versions and their differences, the PDF, the police view and the
export's JSON Schema. Adding a question is one edit in one place: add a field to a page's form class
in herbert/questions/sections/<section>.py.

CONTRACT (other modules code against exactly these names; keep them stable)

SECTIONS: tuple[Section, ...]          sections A..M in form order; section_by_slug(slug) (KeyError if unknown)
Section  .slug .letter .title .pages   .applies(document) (L only for a care home / supported living)
         .endpoint                     "photos.index" for C (photos own it; its answers are not in the document)
Page     .slug .title .form_class      a FlaskForm subclass whose every field is a question
         .rows_key                     "add another" pages: key of the list of row dicts; None otherwise
         .show(document)               skip logic
Question .name .label .kind .core .choices ((value, label), ...) .section .page .row_questions
         kinds: text long_text date datetime number yes_no choice multi_choice address phone rows
iter_questions(section), all_questions()
display_value(question, value) -> str  "1 March 1950", choice labels, "Yes"/"No", "170 cm", "" for empty
summary_rows(section, answers, document=None) -> list[SummaryRow]
section_status(section, answers, document) -> "not started" | "in progress" | "completed"
missing_core(document, photos=None) -> list[str]   labels of Core items still missing
document_schema() -> dict              JSON Schema (draft 2020-12) of the whole document

DOCUMENT SHAPE  {section_slug: {question_name: value}}, values JSON: str; ISO dates "YYYY-MM-DD"; numbers
(height in whole cm); "yes"/"no"; list[str] for multi-choice; list[dict] for rows, each row dict having a
stable "id" plus its question names. Empty answers are omitted. Saved per section with
store.save_section(person, section_slug, answers); the whole draft is store.load_draft(person).
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from herbert.dates import format_date
from herbert.questions.sections import (
    about_the_person,
    care_setting,
    communication_and_behaviour,
    consent_and_review,
    contacts,
    health_and_medication,
    mobility_and_transport,
    phone_money_and_devices,
    photographs,
    physical_description,
    previous_missing_episodes,
    routines_and_interests,
    significant_places,
)
from herbert.questions.structure import CoreCheck, Document, Page, Question, QuestionForm, Section

__all__ = [
    "SECTIONS",
    "CoreCheck",
    "Document",
    "Page",
    "Question",
    "QuestionForm",
    "Section",
    "SummaryRow",
    "all_questions",
    "display_value",
    "document_schema",
    "first_page",
    "has_consent",
    "iter_questions",
    "missing_core",
    "next_page",
    "page_answers",
    "page_form_data",
    "prune_document",
    "section_by_slug",
    "section_status",
    "summary_rows",
]

SECTIONS: tuple[Section, ...] = (
    about_the_person.SECTION,
    physical_description.SECTION,
    photographs.SECTION,
    health_and_medication.SECTION,
    communication_and_behaviour.SECTION,
    mobility_and_transport.SECTION,
    phone_money_and_devices.SECTION,
    routines_and_interests.SECTION,
    significant_places.SECTION,
    previous_missing_episodes.SECTION,
    contacts.SECTION,
    care_setting.SECTION,
    consent_and_review.SECTION,
)
_BY_SLUG = {section.slug: section for section in SECTIONS}

SUMMARY_SECTION = "about-the-person"  # its name fields go into the dashboard summary
CONSENT_SECTION = "consent-and-review"
NOT_STARTED, IN_PROGRESS, COMPLETED = "not started", "in progress", "completed"


def section_by_slug(slug: str) -> Section:
    return _BY_SLUG[slug]


def iter_questions(section: Section) -> Iterator[Question]:
    """The section's questions in page order (a rows page contributes one "rows" question)."""
    return section.questions()


def all_questions() -> Iterator[Question]:
    for section in SECTIONS:
        yield from section.questions()


# --- navigation -----------------------------------------------------------------------------------


def first_page(section: Section, document: Document) -> Page | None:
    return next((page for page in section.pages if page.show(document)), None)


def next_page(page: Page, document: Document) -> Page | None:
    """The next page of the same section that applies, or None at the end of the section."""
    pages = page.section.pages
    for candidate in pages[pages.index(page) + 1 :]:
        if candidate.show(document):
            return candidate
    return None


# --- answers in and out of forms ------------------------------------------------------------------


def page_form_data(page: Page, answers: dict[str, Any]) -> dict[str, Any]:
    """`data=` for the page's form (or a row's form) from stored answers."""
    fields = dict(_field_classes(page.form_class))
    return {name: fields[name].answer_to_data(answers[name]) for name in fields if name in answers}


def page_answers(form: QuestionForm) -> dict[str, Any]:
    """The answers a validated form holds: empty ones and hidden follow-ups are left out."""
    answers: dict[str, Any] = {}
    for field_ in form:
        if getattr(field_, "automatic", False) or not hasattr(field_, "to_answer"):
            continue
        value = field_.to_answer()
        if value not in (None, "", []):
            answers[field_.name] = value
    for field_ in form:
        show_if = getattr(field_, "show_if", None)
        if show_if is not None and field_.name in answers:
            parent, values = show_if
            if answers.get(parent) not in ((values,) if isinstance(values, str) else tuple(values)):
                del answers[field_.name]
    return answers


def _field_classes(form_class: type[QuestionForm]) -> list[tuple[str, Any]]:
    from herbert.questions.structure import unbound_fields

    return [(name, unbound.field_class) for name, unbound in unbound_fields(form_class)]


# --- what answers look like -----------------------------------------------------------------------


def display_value(question: Question, value: Any) -> str:
    """An answer as a person reads it: "1 March 1950", "Yes", "170 cm", choice labels; "" when empty."""
    if value is None or value == "" or value == []:
        return ""
    kind = question.kind
    if kind == "date":
        try:
            return format_date(value)
        except (TypeError, ValueError):
            return str(value)
    if kind in ("yes_no", "choice"):
        return dict(question.choices).get(str(value), str(value))
    if kind == "multi_choice":
        labels = dict(question.choices)
        return ", ".join(labels.get(str(item), str(item)) for item in value)
    if kind == "number":
        return f"{value} {question.unit}" if question.unit else str(value)
    if kind == "rows":
        count = len(value)
        return f"{count} {'entry' if count == 1 else 'entries'}"
    return str(value)


@dataclass
class SummaryRow:
    """One row of check-your-answers. A rows question is a table: `columns` are the row questions'
    labels, `rows` one list of display strings per row (aligned with columns), `row_ids` the rows' ids."""

    question: Question
    label: str
    text: str
    core: bool
    answered: bool
    is_table: bool = False
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    row_ids: list[str] = field(default_factory=list)

    @property
    def page(self) -> Page:
        return self.question.page


def summary_rows(
    section: Section, answers: dict[str, Any], document: Document | None = None, include_empty: bool = True
) -> list[SummaryRow]:
    """Every question that applies (pages that show, follow-ups that are revealed), in form order."""
    if document is None:
        document = {section.slug: answers}
    result = []
    for page in section.pages:
        if not page.show(document):
            continue
        for question in page.questions:
            if not question.revealed(answers):
                continue
            value = answers.get(question.name)
            answered = value not in (None, "", [])
            if not answered and not include_empty:
                continue
            if not answered and question.automatic:  # the service fills it in itself (date completed)
                continue
            row = SummaryRow(question, question.label, display_value(question, value), question.core, answered)
            if question.kind == "rows":
                row.is_table = True
                row.columns = [q.label for q in question.row_questions]
                for item in value or []:
                    row.rows.append([display_value(q, item.get(q.name)) for q in question.row_questions])
                    row.row_ids.append(str(item.get("id", "")))
            result.append(row)
    return result


# --- completion -----------------------------------------------------------------------------------


def _missing_in_section(section: Section, answers: dict[str, Any], document: Document) -> list[str]:
    missing = []
    for page in section.pages:
        if not page.show(document):
            continue
        for question in page.questions:
            if not question.core or question.filled_at_publish or not question.revealed(answers):
                continue
            if answers.get(question.name) in (None, "", []):
                missing.append(question.label)
    missing.extend(check.label for check in section.core_checks if not check.satisfied(answers))
    return missing


def section_status(section: Section, answers: dict[str, Any], document: Document) -> str:
    """Not started (nothing saved), completed (every Core item that applies answered), else in progress.

    Photographs (C) have no answers in the document: the task list asks the photos module instead."""
    if not answers:
        return NOT_STARTED
    return IN_PROGRESS if _missing_in_section(section, answers, document) else COMPLETED


def missing_core(document: Document, photos: list[dict[str, Any]] | None = None) -> list[str]:
    """Labels of the Core items police will most need that are still missing, in form order.

    Pass `photos` (store.list_photos) to include "a recent head-and-shoulders photo"."""
    missing: list[str] = []
    for section in SECTIONS:
        if section.endpoint is not None:
            if photos is not None and not any(photo.get("kind") == "head_and_shoulders" for photo in photos):
                missing.append("A recent head-and-shoulders photo")
            continue
        if section.applies(document):
            missing.extend(_missing_in_section(section, document.get(section.slug) or {}, document))
    return missing


def has_consent(document: Document) -> bool:
    """A version may be published only with a consent answer (section M)."""
    return bool((document.get(CONSENT_SECTION) or {}).get("consent_basis"))


def prune_document(document: Document) -> Document:
    """Only what applies: known sections that apply, pages that show, revealed follow-ups; no empties.

    A published version holds what the carer last saw on check-your-answers and nothing they hid
    (for example vehicle details after answering that they no longer drive)."""
    pruned: Document = {}
    for section in SECTIONS:
        answers = document.get(section.slug) or {}
        if section.endpoint is not None or not answers or not section.applies(document):
            continue
        kept = {}
        for page in section.pages:
            if not page.show(document):
                continue
            for question in page.questions:
                value = answers.get(question.name)
                if value not in (None, "", []) and question.revealed(answers):
                    kept[question.name] = value
        if kept:
            pruned[section.slug] = kept
    return pruned


# --- JSON Schema ----------------------------------------------------------------------------------


def _question_schema(question: Question) -> dict[str, Any]:
    schema: dict[str, Any] = {"title": question.label}
    if question.hint:
        schema["description"] = question.hint
    kind = question.kind
    if kind in ("text", "long_text", "address", "phone"):
        schema["type"] = "string"
        if question.limit:
            schema["maxLength"] = question.limit
    elif kind == "date":
        schema |= {"type": "string", "format": "date"}
    elif kind == "datetime":
        schema |= {"type": "string", "format": "date-time"}
    elif kind == "number":
        schema["type"] = "number"
        if question.unit:
            schema["x-unit"] = question.unit
    elif kind in ("yes_no", "choice"):
        schema |= {"type": "string", "enum": [value for value, _label in question.choices]}
    elif kind == "multi_choice":
        schema |= {
            "type": "array",
            "items": {"enum": [value for value, _label in question.choices]},
            "uniqueItems": True,
        }
    elif kind == "rows":
        row_properties = {"id": {"type": "string", "description": "Stable id of the row"}}
        row_properties |= {q.name: _question_schema(q) for q in question.row_questions}
        schema |= {
            "type": "array",
            "items": {
                "type": "object",
                "properties": row_properties,
                "required": ["id"],
                "additionalProperties": False,
            },
        }
    if question.core:
        schema["x-core"] = True
    return schema


def document_schema() -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) of the whole document, built from the registry."""
    sections = {
        section.slug: {
            "title": f"{section.letter}. {section.title}",
            "type": "object",
            "properties": {question.name: _question_schema(question) for question in section.questions()},
            "additionalProperties": False,
        }
        for section in SECTIONS
        if section.endpoint is None
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://herbert-protocol.invalid/schema/document.json",
        "title": "Herbert Protocol form",
        "type": "object",
        "properties": sections,
        "additionalProperties": False,
    }
