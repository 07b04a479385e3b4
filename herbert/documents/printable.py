"""Answers as they may be printed: user text made safe for WeasyPrint, shortened to fit page 1, and looked up in
the question registry by name (the grab sheet and the poster are the only places that pick questions by name)."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from herbert.questions import registry

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


# Page 1 holds the whole grab sheet on one sheet of A4, always. documents.renderer lays the PDF out at fit level 0
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
