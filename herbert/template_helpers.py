"""Everything a template can call beyond what its view passes: the globals and filters, registered in one place.

None of them writes: a page view never changes the database (housekeeping is the job runner's).
"""

from typing import Any

from flask import Flask, current_app, g, url_for
from markupsafe import Markup, escape

from herbert.access import Permission, can
from herbert.audit import action_label
from herbert.dates import human_date, uk_time
from herbert.documents.views import documents_panel
from herbert.handover.panel import handover_panel, missing_since
from herbert.mail.senders import email_reaches_carers
from herbert.photos.cleaning import photo_freshness
from herbert.photos.kinds import kind_label
from herbert.questions.widgets import render_question
from herbert.records import store
from herbert.search_aid.stored_points import search_aid_for
from herbert.wording import lower_first


def person_url(person_id: str) -> str:
    """The person's page."""
    return url_for("people.overview", person_id=person_id)


def person_photos(person: Any) -> list[dict[str, Any]]:
    """For templates/people/_photos_panel.html when the view did not pass `photos`."""
    return store.list_photos(person)


def once_per_page(key: str) -> bool:
    """True the first time a template asks for `key` in this request (e.g. the 999 guidance above a list)."""
    shown = g.setdefault("shown_once", set())
    if key in shown:
        return False
    shown.add(key)
    return True


def photo_date(value: Any) -> str:
    """ "27 March 2025", the GOV.UK way of writing a date; "Not known" when there is none."""
    return human_date(value) or "Not known"


def email_on() -> bool:
    """Whether emails really reach carers here (pages then offer what arrives by email, e.g. a reset link)."""
    return email_reaches_carers(current_app)


def multiline(text: Any) -> Markup:
    """Escape an answer and keep its line breaks (addresses, long answers)."""
    return Markup("<br>").join(escape(str(text)).split("\n"))


GLOBALS = {
    "can": can,
    "Permission": Permission,
    "person_url": person_url,
    "person_photos": person_photos,
    "once_per_page": once_per_page,
    "handover_panel": handover_panel,
    "missing_since": missing_since,
    "documents_panel": documents_panel,
    "photo_kind_label": kind_label,
    "photo_freshness": photo_freshness,
    "search_aid_for": search_aid_for,
    "question_html": render_question,
    "email_on": email_on,
}
FILTERS = {
    "uk_time": uk_time,
    "human_date": human_date,
    "photo_date": photo_date,
    "event_text": action_label,
    "multiline": multiline,
    "lower_first": lower_first,
}


def init_template_helpers(app: Flask) -> None:
    app.jinja_env.globals.update(GLOBALS)
    app.jinja_env.filters.update(FILTERS)
