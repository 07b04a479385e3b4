"""The public appeal poster: only with publicity consent "yes", built from an explicit allow-list of questions
(POSTER_QUESTIONS), so no address, health, contact or family details can reach it. One page, always."""

from collections.abc import Mapping
from typing import Any

from flask import render_template

from herbert.clock import utcnow
from herbert.dates import age_on, as_date
from herbert.documents import renderer
from herbert.documents.grab_sheet import Fact
from herbert.documents.printable import FIT_LEVELS, FitText, clip, question, shown
from herbert.documents.printed_photos import Photo, printed_photos
from herbert.questions import registry

# The only questions an appeal poster may show: what a member of the public would see in the street.
POSTER_QUESTIONS: tuple[tuple[str, str], ...] = (
    ("about-the-person", "sex"),
    ("about-the-person", "ethnic_appearance"),
    ("physical-description", "height"),
    ("physical-description", "build"),
    ("physical-description", "hair_colour"),
    ("physical-description", "hair_style"),
    ("physical-description", "facial_hair"),
    ("physical-description", "glasses_description"),
    ("physical-description", "usual_clothing"),
    ("physical-description", "usual_coat"),
    ("physical-description", "hat"),
    ("physical-description", "footwear"),
)
POSTER_LIMIT = 200  # characters per description line on the poster


def publicity_consented(document: registry.Document) -> bool:
    return (document.get(registry.CONSENT_SECTION) or {}).get("publicity_consent") == "yes"


def poster_html(document: registry.Document, primary_photo: Photo | None, meta: Mapping[str, Any]) -> str:
    """The final HTML of the appeal poster: names, age, the allow-listed description, the photo, call 999."""
    if not publicity_consented(document):
        raise PosterNotAllowed
    document = registry.prune_document(document)
    about = document.get("about-the-person") or {}
    today = as_date(meta.get("generated_at")) or utcnow().date()
    dob = as_date(about.get("date_of_birth"))
    description = [
        Fact(question(slug, name).label, poster_text(text))
        for slug, name in POSTER_QUESTIONS
        if (text := shown(document, slug, name))
    ]
    photos = printed_photos([primary_photo]) if primary_photo else []
    name = shown(document, "about-the-person", "full_name")
    return render_template(
        "documents/pdf/poster.html",
        title="Missing person appeal",
        name=name or shown(document, "about-the-person", "preferred_name"),
        preferred_name=shown(document, "about-the-person", "preferred_name") if name else "",
        age=age_on(dob, today) if dob else None,
        description=description,
        photo=photos[0] if photos else None,
    )


def poster_text(text: str) -> FitText:
    """A description line of the poster, shorter at the higher fit levels; the poster has no page 2 to
    continue on, so a cut line just ends with "…"."""
    limits = (POSTER_LIMIT, POSTER_LIMIT, POSTER_LIMIT, 100, 60)
    return FitText(text, tuple(clip(text, limit) for limit in limits), "")


class PosterNotAllowed(Exception):
    """The appeal poster exists only when publicity consent is "yes"."""


def render_appeal_poster(
    document: registry.Document, primary_photo: Photo | None, meta: Mapping[str, Any] | None = None
) -> bytes:
    """The public appeal poster as bytes; raises PosterNotAllowed without publicity consent."""
    html = poster_html(document, primary_photo, meta or {})
    return renderer.render_pdf(html, title="Missing person appeal", fit_levels=FIT_LEVELS)
