"""The whole form as sections of answered rows, for the police view (built from the question registry)."""

from dataclasses import dataclass, field
from typing import Any

from herbert.questions import registry


@dataclass
class SectionRows:
    letter: str
    title: str
    rows: list[registry.SummaryRow] = field(default_factory=list)
    not_needed: str = ""  # why a section that does not apply is left out ("they do not live in a care home …")


def document_rows(document: dict[str, Any]) -> list[SectionRows]:
    """Answered questions only, section by section in form order (photos are shown separately). A section that
    does not apply keeps its place with "Not needed: …", as on the carer's pages and in the PDF, so the letters
    an officer reads match the paper form the family holds (K, L, M, not K then M)."""
    result = []
    for section in registry.SECTIONS:
        if section.endpoint is not None:
            continue
        if not section.applies(document):
            if section.not_needed:
                result.append(SectionRows(section.letter, section.title, not_needed=section.not_needed))
            continue
        answers = document.get(section.slug) or {}
        rows = registry.summary_rows(section, answers, document, include_empty=False) if answers else []
        if rows:
            result.append(SectionRows(section.letter, section.title, rows))
    return result
