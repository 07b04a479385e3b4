"""Check a whole document the way the question pages check a submission: for answers that arrive any
other way (an imported export package).

Every page's form (every row's form, for "add another" pages) is filled with the answers as a browser
would post them and validated by the form's own validators: the same length caps, date checks, height
range, phone and NHS number checks and the data-minimisation guard (no card numbers, PINs or
passwords). The answers kept are what the page would have stored. Row ids must look like ours, because
they end up in links, and no list may be longer than MAX_LIST_ROWS.
"""

import re
from datetime import date
from typing import Any

from werkzeug.datastructures import MultiDict

from herbert.questions import registry
from herbert.questions.structure import Document, Page

ROW_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class AnswerRefused(Exception):
    """An answer the pages would refuse. `where` names the section and question, never the value."""

    def __init__(self, where: str, message: str):
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


def _post_value(field: Any, value: Any) -> list[str]:
    """The values a browser would post for `value` in this field."""
    kind = getattr(field, "kind", "text")
    if kind == "date":
        if isinstance(value, str) and ISO_DATE.match(value):
            year, month, day = value.split("-")
            return [day, month, year]
        return ["not", "a", "date"]  # refused by the date field ("… must be a real date")
    if kind == "multi_choice":
        return [str(item) for item in value] if isinstance(value, list) else [str(value)]
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ["\x00not-a-value"]  # lists or objects where text belongs: refused as malformed
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e6:
        value = int(value)
    return [str(value)]


def _check_form(page: Page, answers: dict[str, Any], where: str) -> dict[str, Any]:
    """Validate one page's (or one row's) answers with the page's form; return what the page would store."""
    data = MultiDict()
    for name, value in answers.items():
        for item in _post_value(_unbound_kind(page, name), value):
            data.add(name, item)
    form = page.form_class(formdata=data, meta={"csrf": False})
    if not form.validate():
        name, errors = next(iter(form.errors.items()))
        label = form[name].label.text if name in form else name
        raise AnswerRefused(f"{where} › {label}", str(errors[0]).rstrip("."))
    kept = registry.page_answers(form)
    for field in form:  # dates the service sets itself (date completed) are not typed, so page_answers skips them
        if getattr(field, "automatic", False) and field.data is not None:
            kept[field.name] = field.data.isoformat() if isinstance(field.data, date) else field.data
    return kept


class _Kind:
    def __init__(self, kind: str):
        self.kind = kind


def _unbound_kind(page: Page, name: str) -> _Kind:
    for question in page.questions if not page.rows_key else page.row_questions:
        if question.name == name:
            return _Kind(question.kind)
    return _Kind("text")


def check_document(document: Document, max_rows: int) -> Document:
    """The document as the pages would have stored it, or AnswerRefused for the first answer they would refuse.

    Expects a document that already matches the JSON Schema (known sections and question names only)."""
    checked: Document = {}
    for slug, answers in document.items():
        section = registry.section_by_slug(slug)
        kept: dict[str, Any] = {}
        for page in section.pages:
            names = set(page.field_names()) if not page.rows_key else {page.rows_key}
            mine = {name: value for name, value in answers.items() if name in names}
            if not mine:
                continue
            where = f"{section.letter}. {section.title} › {page.title}"
            if page.rows_key:
                rows = mine[page.rows_key]
                if len(rows) > max_rows:
                    raise AnswerRefused(where, f"more than {max_rows} {page.row_noun} rows (the most a list can hold)")
                kept_rows = []
                for row in rows:
                    row_id = row.get("id")
                    if not isinstance(row_id, str) or not ROW_ID.match(row_id):
                        raise AnswerRefused(where, "a row id that is not letters, digits, - or _ (up to 32)")
                    values = _check_form(page, {k: v for k, v in row.items() if k != "id"}, where)
                    if values:
                        kept_rows.append({"id": row_id} | values)
                if len({row["id"] for row in kept_rows}) != len(kept_rows):
                    raise AnswerRefused(where, "two rows with the same id")
                if kept_rows:
                    kept[page.rows_key] = kept_rows
            else:
                kept |= _check_form(page, mine, where)
        if kept:
            checked[slug] = kept
    return checked
