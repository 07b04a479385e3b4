"""Keep the police PDF's worst case inside its time limit: the stated degrade rule (issue 15 point 1).

The caps bound how much a form can hold (herbert.caps), but a form filled to every cap — 20 rows in every
list, every answer at its length limit — is still far more text than WeasyPrint can lay out in the 20 s
limit on a busy server. So: when the answers together run past TEXT_BUDGET characters, every answer
longer than SHORTENED_TO characters is shortened in the PDF (only there) to that length, ending with
SHORTENED_NOTE. Forms police see in practice are far below the budget and print in full; the online form,
the share page and the export always hold every answer in full. docs/design/availability.md has the
measurements.
"""

from typing import Any

TEXT_BUDGET = 60_000  # characters of answers printed in full
SHORTENED_TO = 200
SHORTENED_NOTE = " … (shortened in this PDF: the full answer is in the online form and the export)"


def _strings(value: Any) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list):
        return sum(_strings(item) for item in value)
    if isinstance(value, dict):
        return sum(_strings(item) for key, item in value.items() if key != "id")
    return 0


def _shorten(value: Any) -> Any:
    if isinstance(value, str) and len(value) > SHORTENED_TO:
        return value[:SHORTENED_TO].rstrip() + SHORTENED_NOTE
    if isinstance(value, list):
        return [_shorten(item) for item in value]
    if isinstance(value, dict):
        return {key: item if key == "id" else _shorten(item) for key, item in value.items()}
    return value


def fit_document(document: dict[str, Any]) -> dict[str, Any]:
    """The document to print: unchanged within the budget, long answers shortened past it."""
    if _strings(document) <= TEXT_BUDGET:
        return document
    return _shorten(document)
