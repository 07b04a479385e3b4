"""The whole form as sections of answered rows, for the police view (built from the question registry)."""

from dataclasses import dataclass
from typing import Any

from herbert.questions import registry


@dataclass
class SectionRows:
    letter: str
    title: str
    rows: list[registry.SummaryRow]


def document_rows(document: dict[str, Any]) -> list[SectionRows]:
    """Answered questions only, section by section in form order (photos are shown separately)."""
    result = []
    for section in registry.SECTIONS:
        if section.endpoint is not None or not section.applies(document):
            continue
        answers = document.get(section.slug) or {}
        rows = registry.summary_rows(section, answers, document, include_empty=False) if answers else []
        if rows:
            result.append(SectionRows(section.letter, section.title, rows))
    return result
