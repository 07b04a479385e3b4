"""One module per section of the Herbert Protocol form (shared/design/herbert-form.md), A to M.

Each module defines its page forms and one `SECTION`; herbert.questions.registry puts them in order.
"""

from typing import Any

Document = dict[str, dict[str, Any]]


def answer(document: Document, section: str, name: str) -> Any:
    """One answer from a whole document (for skip logic), or None."""
    return (document.get(section) or {}).get(name)
