"""What changed between two versions of a person's form, question by question (rows matched by id)."""

from dataclasses import dataclass
from typing import Any

from herbert.questions.registry import SECTIONS, Document, Page, Question, display_value


@dataclass(frozen=True)
class Change:
    section: str  # "A. About the person"
    label: str  # "Height", or "Medicines they take – Donepezil – Dose"
    before: str  # "" when it was not answered (or the row did not exist)
    after: str


def _row_text(page: Page, row: dict[str, Any]) -> str:
    return "; ".join(
        f"{q.label}: {display_value(q, row.get(q.name))}"
        for q in page.row_questions
        if row.get(q.name) not in (None, "", [])
    )


def _row_name(page: Page, row: dict[str, Any], number: int) -> str:
    parts = [display_value(q, row.get(q.name)) for q in page.row_questions if row.get(q.name) not in (None, "", [])]
    return " – ".join(parts[:2])[:80] or f"{page.row_noun.capitalize()} {number}"


def _row_changes(heading: str, question: Question, old: list[dict], new: list[dict]) -> list[Change]:
    page = question.page
    old_by_id = {row.get("id"): row for row in old or []}
    new_by_id = {row.get("id"): row for row in new or []}
    changes = []
    for number, row in enumerate(new or [], start=1):
        before_row = old_by_id.get(row.get("id"))
        name = _row_name(page, row, number)
        if before_row is None:
            changes.append(Change(heading, f"{question.label} – {page.row_noun} added", "", _row_text(page, row)))
            continue
        for q in page.row_questions:
            before, after = display_value(q, before_row.get(q.name)), display_value(q, row.get(q.name))
            if before != after:
                changes.append(Change(heading, f"{question.label} – {name} – {q.label}", before, after))
    for number, row in enumerate(old or [], start=1):
        if row.get("id") not in new_by_id:
            changes.append(
                Change(
                    heading,
                    f"{question.label} – {page.row_noun} removed",
                    _row_text(page, row) or _row_name(page, row, number),
                    "",
                )
            )
    return changes


def document_changes(old: Document, new: Document) -> list[Change]:
    """Every answer that differs between two documents, in form order, as people read them."""
    changes: list[Change] = []
    for section in SECTIONS:
        old_answers, new_answers = old.get(section.slug) or {}, new.get(section.slug) or {}
        heading = f"{section.letter}. {section.title}"
        for question in section.questions():
            before, after = old_answers.get(question.name), new_answers.get(question.name)
            if question.kind == "rows":
                changes.extend(_row_changes(heading, question, before or [], after or []))
            elif display_value(question, before) != display_value(question, after):
                changes.append(
                    Change(heading, question.label, display_value(question, before), display_value(question, after))
                )
    return changes
