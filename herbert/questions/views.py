"""The generic question-page views driven by the section registry (one view for every page).

URLs: /people/<person_id>/<section-slug>/<page-slug>; "add another" rows live at .../<page-slug>/new,
.../<page-slug>/<row_id> and .../<page-slug>/<row_id>/remove. Every view loads the person through
store.person_for, so another carer's person is a 404, and saves only through store.save_section.
"""

import secrets
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput
from markupsafe import Markup, escape
from wtforms import RadioField
from wtforms.validators import InputRequired

from herbert.audit import record_event
from herbert.auth.guard import login_required
from herbert.auth.idle import idle_save_requested, sign_out_after_idle_save
from herbert.models import Person
from herbert.questions import registry
from herbert.questions.registry import SECTIONS, Page, Section
from herbert.questions.widgets import render_question, top_level_fields
from herbert.records import store
from herbert.search_aid.views import points_after_save

bp = Blueprint("questions", __name__)

# Only real section slugs match, so these routes never shadow other /people/<id>/<word> pages.
SECTION_SLUGS = "any(" + ", ".join(f"'{section.slug}'" for section in SECTIONS if section.endpoint is None) + ")"
PAGE_URL = f"/people/<person_id>/<{SECTION_SLUGS}:section_slug>/<page_slug>"
SAVED_MESSAGE = "Your answers have been saved. You can come back and carry on at any time."


@bp.app_template_global()
def question_html(form: Any, field: Any, answers: dict[str, Any], heading: str | None = None) -> Any:
    return render_question(form, field, answers, heading)


class ConfirmRemoveForm(FlaskForm):
    confirm = RadioField(
        "Are you sure you want to remove this?",
        choices={"yes": "Yes", "no": "No"},
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select yes if you want to remove it")],
    )


def _resolve(person_id: str, section_slug: str, page_slug: str | None = None) -> tuple[Person, Section, Page | None]:
    person = store.person_for(g.user.id, person_id)
    section = registry.section_by_slug(section_slug)
    if page_slug is None:
        return person, section, None
    try:
        return person, section, section.page_by_slug(page_slug)
    except KeyError:
        abort(404)


def save_answers(person: Person, section: Section, answers: dict[str, Any]) -> None:
    """Seal one section's answers; section A also refreshes the dashboard's name summary."""
    store.save_section(person, section.slug, answers)
    if section.slug == registry.SUMMARY_SECTION:
        store.save_summary(
            person, {"name": answers.get("full_name", ""), "preferred_name": answers.get("preferred_name", "")}
        )
    record_event("section.edit", person_id=person.id, detail=section.slug)
    points_after_save(person)  # the search aid's points, geocoded offline and sealed


def _after_save(person: Person, page: Page, document: registry.Document) -> Any:
    """ "Save and come back later" goes to the person's page; "Save and continue" to the next page
    that applies, or back to the task list at the end of the section."""
    if request.form.get("action") == "later":
        flash(SAVED_MESSAGE)
        return redirect(url_for("people.overview", person_id=person.id))
    following = registry.next_page(page, document)
    if following is None:
        return redirect(url_for("people.overview", person_id=person.id, _anchor="sections"))
    return redirect(page_url(person.id, following))


def page_url(person_id: str, page: Page) -> str:
    return url_for("questions.page", person_id=person_id, section_slug=page.section.slug, page_slug=page.slug)


def _back_url(person: Person, section: Section, page: Page, document: registry.Document) -> str:
    pages = [candidate for candidate in section.pages if candidate.show(document)]
    if page in pages and pages.index(page) > 0:
        return page_url(person.id, pages[pages.index(page) - 1])
    return url_for("people.overview", person_id=person.id)


@bp.route(f"/people/<person_id>/<{SECTION_SLUGS}:section_slug>")
@login_required
def section_start(person_id: str, section_slug: str):
    person, section, _page = _resolve(person_id, section_slug)
    first = registry.first_page(section, store.load_draft(person))
    if first is None:
        abort(404)
    return redirect(page_url(person.id, first))


@bp.route(PAGE_URL, methods=["GET", "POST"])
@login_required
def page(person_id: str, section_slug: str, page_slug: str):
    person, section, page = _resolve(person_id, section_slug, page_slug)
    assert page is not None
    document = store.load_draft(person)
    answers = document.get(section.slug, {})
    if page.rows_key:
        return _rows_list(person, section, page, document, answers)
    if request.method == "POST":
        form = page.form_class()
    else:
        form = page.form_class(data=registry.page_form_data(page, answers))
    if form.validate_on_submit():
        kept = {name: value for name, value in answers.items() if name not in page.field_names()}
        automatic = {q.name: answers[q.name] for q in page.questions if q.automatic and q.name in answers}
        new_answers = kept | automatic | registry.page_answers(form)
        save_answers(person, section, new_answers)
        document[section.slug] = new_answers
        if idle_save_requested():
            return sign_out_after_idle_save(request.path)
        return _after_save(person, page, document)
    fields = top_level_fields(form)
    return render_template(
        "questions/page.html",
        person=person,
        section=section,
        page=page,
        form=form,
        fields=fields,
        answers=answers,
        heading=page.title if len(fields) == 1 else None,
        back_url=_back_url(person, section, page, document),
    )


def _rows_list(
    person: Person, section: Section, page: Page, document: registry.Document, answers: dict[str, Any]
) -> Any:
    form = FlaskForm()
    if form.validate_on_submit():
        return _after_save(person, page, document)
    rows = answers.get(page.rows_key) or []
    return render_template(
        "questions/rows.html",
        person=person,
        section=section,
        page=page,
        form=None,
        cards=[_row_card(person, page, row, number) for number, row in enumerate(rows, start=1)],
        back_url=_back_url(person, section, page, document),
    )


def row_title(page: Page, row: dict[str, Any], number: int) -> str:
    """A row's card title from its first two answers ("Tattoo – back of the left hand")."""
    parts = [registry.display_value(q, row.get(q.name)) for q in page.row_questions if row.get(q.name)]
    title = " – ".join(parts[:2])
    if len(title) > 120:
        title = title[:117] + "..."
    return title or f"{page.row_noun.capitalize()} {number}"


def _row_card(person: Person, page: Page, row: dict[str, Any], number: int) -> dict[str, Any]:
    return {
        "id": row["id"],
        "title": row_title(page, row, number),
        "rows": [
            (question.label, registry.display_value(question, row.get(question.name)))
            for question in page.row_questions
            if row.get(question.name) not in (None, "", [])
        ],
        "change_url": url_for(
            "questions.row", person_id=person.id, section_slug=page.section.slug, page_slug=page.slug, row_id=row["id"]
        ),
        "remove_url": url_for(
            "questions.remove_row",
            person_id=person.id,
            section_slug=page.section.slug,
            page_slug=page.slug,
            row_id=row["id"],
        ),
    }


def _find_row(rows: list[dict[str, Any]], row_id: str) -> tuple[int, dict[str, Any]]:
    for index, row in enumerate(rows):
        if row.get("id") == row_id:
            return index, row
    abort(404)


@bp.route(PAGE_URL + "/new", methods=["GET", "POST"], defaults={"row_id": None})
@bp.route(PAGE_URL + "/<row_id>", methods=["GET", "POST"])
@login_required
def row(person_id: str, section_slug: str, page_slug: str, row_id: str | None):
    person, section, page = _resolve(person_id, section_slug, page_slug)
    if page is None or not page.rows_key:
        abort(404)
    answers = store.load_section(person, section.slug)
    rows = list(answers.get(page.rows_key) or [])
    index, existing = _find_row(rows, row_id) if row_id is not None else (len(rows), {})
    if request.method == "POST":
        form = page.form_class()
    else:
        form = page.form_class(data=registry.page_form_data(page, existing))
    if form.validate_on_submit():
        values = registry.page_answers(form)
        if existing:
            rows[index] = {"id": existing["id"]} | values
        elif values:  # an empty new row is not worth keeping
            rows.append({"id": secrets.token_hex(8)} | values)
        new_answers = dict(answers)
        if rows:
            new_answers[page.rows_key] = rows
        else:
            new_answers.pop(page.rows_key, None)
        save_answers(person, section, new_answers)
        if idle_save_requested():
            return sign_out_after_idle_save(page_url(person.id, page))
        if request.form.get("action") == "later":
            flash(SAVED_MESSAGE)
            return redirect(url_for("people.overview", person_id=person.id))
        return redirect(page_url(person.id, page))
    fields = top_level_fields(form)
    noun = page.row_noun
    title = f"Change {noun}" if existing else f"Add {page.row_article} {noun}"
    return render_template(
        "questions/page.html",
        person=person,
        section=section,
        page=page,
        form=form,
        fields=fields,
        answers=existing,
        title=title,
        heading=None,
        back_url=page_url(person.id, page),
    )


@bp.route(PAGE_URL + "/<row_id>/remove", methods=["GET", "POST"])
@login_required
def remove_row(person_id: str, section_slug: str, page_slug: str, row_id: str):
    person, section, page = _resolve(person_id, section_slug, page_slug)
    if page is None or not page.rows_key:
        abort(404)
    answers = store.load_section(person, section.slug)
    rows = list(answers.get(page.rows_key) or [])
    index, existing = _find_row(rows, row_id)
    form = ConfirmRemoveForm()
    title = row_title(page, existing, index + 1)
    if form.validate_on_submit():
        if form.confirm.data == "yes":
            del rows[index]
            new_answers = dict(answers)
            if rows:
                new_answers[page.rows_key] = rows
            else:
                new_answers.pop(page.rows_key, None)
            save_answers(person, section, new_answers)
            flash(f"The {page.row_noun} has been removed")
        return redirect(page_url(person.id, page))
    return render_template(
        "questions/remove_row.html",
        person=person,
        section=section,
        page=page,
        form=form,
        row_title=title,
        back_url=page_url(person.id, page),
    )


@bp.app_template_filter("multiline")
def multiline(text: Any) -> Markup:
    """Escape an answer and keep its line breaks (addresses, long answers)."""
    return Markup("<br>").join(escape(str(text)).split("\n"))


@bp.app_template_filter("lower_first")
def lower_first(text: Any) -> str:
    """A label inside a sentence ("Change NHS number", "Change date of birth"): the first letter is
    lowered only when the next one is lower case, so acronyms stay as they are."""
    text = str(text)
    return text[0].lower() + text[1:] if len(text) > 1 and text[0].isupper() and text[1].islower() else text
