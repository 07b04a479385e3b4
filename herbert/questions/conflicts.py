"""No silent overwrite when two carers edit the same section at once.

Every question page carries, in a hidden field, a fingerprint of the answers it was built from (only
that page's answers, or that one row's, so edits elsewhere in the section are not a clash). A save
whose fingerprint no longer matches what is stored shows "Someone else changed this section" with
both answers side by side, and the carer chooses. Saving itself is a compare-and-swap on the section's
revision (store.save_section(based_on=...)), retried on a fresh read, so nothing lands in between.
"""

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app, g, render_template, request
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput
from wtforms import HiddenField, RadioField
from wtforms.validators import InputRequired

from herbert.audit import Action
from herbert.extensions import db
from herbert.models import AuditEvent, Person, User
from herbert.questions import registry
from herbert.questions.registry import Page, Question, Section
from herbert.records import store

BASED_ON = "based_on"  # the hidden field on every question page
CONFLICT_PREFIX = "conflict"  # the conflict page's own fields: conflict-choice, conflict-based_on
SAVE_ATTEMPTS = 5


class ConflictForm(FlaskForm):
    """The clash page's choice (prefixed, so it never collides with a question's name)."""

    choice = RadioField(
        "Which answers do you want to keep?",
        choices={"theirs": "Keep their answers", "mine": "Keep my answers"},
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select which answers you want to keep")],
    )
    based_on = HiddenField()


def fingerprint(person: Person, section: Section, page: Page, values: dict[str, Any], row_id: str = "") -> str:
    """An HMAC (the app's secret key) of the answers a page shows, so the hidden field reveals nothing."""
    material = json.dumps(
        [person.id, section.slug, page.slug, row_id, values], sort_keys=True, ensure_ascii=False, default=str
    )
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, material.encode(), hashlib.sha256).hexdigest()[:32]


def page_values(page: Page, answers: dict[str, Any]) -> dict[str, Any]:
    return {name: answers[name] for name in page.field_names() if name in answers}


def matches(submitted: str | None, current: str) -> bool:
    """No fingerprint sent (a client from before this existed) is taken as "no clash known"."""
    return submitted is None or hmac.compare_digest(submitted, current)


@dataclass(frozen=True)
class Clash:
    """What is stored now, which the carer's save did not know about."""

    theirs: dict[str, Any]
    fingerprint: str


def save_without_clash(
    person: Person,
    section: Section,
    build: Callable[[dict[str, Any]], dict[str, Any] | Clash],
    save: Callable[[dict[str, Any], int], None],
) -> dict[str, Any] | Clash:
    """Read the section, let `build` make the new answers from what is stored now (or report a clash),
    and save based on the revision read. If another save lands in between, read again and rebuild."""
    for _attempt in range(SAVE_ATTEMPTS):
        answers, revision = store.load_section_revision(person, section.slug)
        built = build(answers)
        if isinstance(built, Clash):
            return built
        try:
            save(built, revision)
        except store.SectionChanged:
            continue
        return built
    raise RuntimeError("could not save the section: it kept changing")


def resolving() -> bool:
    return f"{CONFLICT_PREFIX}-choice" in request.form or f"{CONFLICT_PREFIX}-based_on" in request.form


def last_editor(person: Person, section: Section) -> str:
    """Who saved the section last (their sign-in address), for the clash page."""
    row = db.session.execute(
        db.select(AuditEvent.actor_user_id, AuditEvent.at)
        .where(
            AuditEvent.person_id == person.id,
            AuditEvent.action == Action.SECTION_EDIT,
            AuditEvent.detail == section.slug,
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).first()
    if row is None or row[0] is None:
        return "Another carer"
    if g.get("user") is not None and row[0] == g.user.id:
        return "You, in another window or device,"
    email = db.session.execute(db.select(User.email).filter_by(id=row[0])).scalar_one_or_none()
    return email or "A former carer"


def comparison_rows(questions: tuple[Question, ...], theirs: dict[str, Any], mine: dict[str, Any]) -> list[dict]:
    rows = []
    for question in questions:
        if not (question.revealed(theirs) or question.revealed(mine)):
            continue
        their_text = registry.display_value(question, theirs.get(question.name))
        my_text = registry.display_value(question, mine.get(question.name))
        if not their_text and not my_text:
            continue
        rows.append(
            {
                "label": question.label,
                "theirs": their_text or "Not answered",
                "mine": my_text or "Not answered",
                "different": their_text != my_text,
            }
        )
    return rows


def carried_fields() -> list[tuple[str, str]]:
    """The carer's own submission, carried through the clash page so "keep mine" loses nothing."""
    skip = {"csrf_token", BASED_ON}
    return [
        (name, value)
        for name, value in request.form.items(multi=True)
        if name not in skip and not name.startswith(f"{CONFLICT_PREFIX}-")
    ]


def render_clash(
    person: Person,
    section: Section,
    page: Page,
    questions: tuple[Question, ...],
    clash: Clash,
    mine: dict[str, Any],
    form: Any,
    back_url: str,
):
    return (
        render_template(
            "questions/conflict.html",
            person=person,
            section=section,
            page=page,
            who=last_editor(person, section),
            rows=comparison_rows(questions, clash.theirs, mine),
            carried=carried_fields(),
            fingerprint=clash.fingerprint,
            form=form,
            back_url=back_url,
        ),
        409,
    )
