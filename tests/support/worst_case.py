"""The largest form the caps allow: every question answered at its length cap, every "add another" list at
MAX_LIST_ROWS rows, and MAX_PHOTOS_PER_PERSON photos. The PDF's worst case (docs/design/availability.md)."""

from typing import Any

from herbert import caps
from herbert.photos.cleaning import clean_photo
from herbert.questions import registry
from tests.support.pdfs import full_document, sample_jpeg

WORDS = "Walks to the old post office most mornings and talks about the shop she kept there "


def longest_text(limit: int, number: int) -> str:
    """Ordinary words up to the cap (one long unbreakable word would test WeasyPrint, not the caps)."""
    text = f"M{number:04d} " + WORDS * (limit // len(WORDS) + 1)
    return text[:limit].rstrip()


def _maxed(question: registry.Question, value: Any, number: int) -> Any:
    if question.kind in ("text", "long_text", "address") and question.limit and question.limit >= 40:
        if question.name in ("nhs_number",):
            return value
        return longest_text(question.limit, number)
    return value


def worst_case_document() -> registry.Document:
    document = full_document()
    rows_cap = caps.DEFAULTS["MAX_LIST_ROWS"]
    number = 0
    for section in registry.SECTIONS:
        if section.endpoint is not None:
            continue
        answers = document[section.slug]
        for question in registry.iter_questions(section):
            if question.name not in answers:
                continue
            number += 1
            if question.kind == "rows":
                template = answers[question.name]
                rows = []
                for index in range(rows_cap):
                    row = dict(template[index % len(template)]) | {"id": f"r{number}x{index}"}
                    for row_question in question.row_questions:
                        if row_question.name in row:
                            number += 1
                            row[row_question.name] = _maxed(row_question, row[row_question.name], number)
                    rows.append(row)
                answers[question.name] = rows
            else:
                answers[question.name] = _maxed(question, answers[question.name], number)
    return document


def worst_case_photos() -> list[tuple[dict[str, Any], bytes]]:
    kinds = ("head_and_shoulders", "full_length", "outdoor_clothes", "distinguishing_mark", "clothing_item", "other")
    return [
        (
            {
                "kind": kinds[n % len(kinds)],
                "taken_on": "2026-01-01",
                "caption": longest_text(200, n),
                "is_primary": n == 0,
            },
            clean_photo(sample_jpeg(1200, 1600, seed=n + 1, grain=0.2)).jpeg,
        )
        for n in range(caps.DEFAULTS["MAX_PHOTOS_PER_PERSON"])
    ]
