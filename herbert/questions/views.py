"""The generic question-page views driven by the section registry (one view for every page).

URLs: /people/<person_id>/<section-slug>/<page-slug>; "add another" rows live at .../<page-slug>/new,
.../<page-slug>/<row_id> and .../<page-slug>/<row_id>/remove. Every view loads the person through
store.person_for, so another carer's person is a 404, and saves only through store.save_section.
"""

import secrets
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput
from wtforms import RadioField
from wtforms.validators import InputRequired

from herbert import caps
from herbert.access import Permission, current_person, person_required
from herbert.audit import Action, record_event
from herbert.auth.idle import idle_save_requested, sign_out_after_idle_save
from herbert.models import Person
from herbert.questions import conflicts, registry
from herbert.questions.conflicts import ConflictForm
from herbert.questions.registry import SECTIONS, Page, Section
from herbert.questions.widgets import top_level_fields
from herbert.records import store
from herbert.search_aid.stored_points import points_after_save

bp = Blueprint("questions", __name__)

# Only real section slugs match, so these routes never shadow other /people/<id>/<word> pages.
SECTION_SLUGS = "any(" + ", ".join(f"'{section.slug}'" for section in SECTIONS if section.endpoint is None) + ")"
PAGE_URL = f"/people/<person_id>/<{SECTION_SLUGS}:section_slug>/<page_slug>"
SAVED_MESSAGE = "Your answers have been saved. You can come back and carry on at any time."


class ConfirmRemoveForm(FlaskForm):
    confirm = RadioField(
        "Are you sure you want to remove this?",
        choices={"yes": "Yes", "no": "No"},
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select yes if you want to remove it")],
    )


def _resolve(person_id: str, section_slug: str, page_slug: str | None = None) -> tuple[Person, Section, Page | None]:
    person = current_person()
    section = registry.section_by_slug(section_slug)
    if page_slug is None:
        return person, section, None
    try:
        return person, section, section.page_by_slug(page_slug)
    except KeyError:
        abort(404)


def save_answers(person: Person, section: Section, answers: dict[str, Any], based_on: int | None = None) -> None:
    """Seal one section's answers; section A also refreshes the dashboard's name summary.

    With `based_on` (the section revision read) it raises store.SectionChanged if another save landed first.
    """
    store.save_section(person, section.slug, answers, based_on=based_on)
    if section.slug == registry.SUMMARY_SECTION:  # merged: a resident's unit stays
        store.update_summary(
            person, name=answers.get("full_name", ""), preferred_name=answers.get("preferred_name", "")
        )
    record_event(Action.SECTION_EDIT, person_id=person.id, detail=section.slug)
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
@person_required(Permission.EDIT)
def section_start(person_id: str, section_slug: str):
    person, section, _page = _resolve(person_id, section_slug)
    first = registry.first_page(section, store.load_draft(person))
    if first is None:
        abort(404)
    return redirect(page_url(person.id, first))


@bp.route(PAGE_URL, methods=["GET", "POST"])
@person_required(Permission.EDIT)
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
        mine = registry.page_answers(form)
        resolution = _resolution()
        if resolution is not None and resolution.choice.data == "theirs":
            return _kept_theirs(person, section, page_url(person.id, page))
        if resolution is not None and resolution.choice.data != "mine":
            current = store.load_section(person, section.slug)
            values = conflicts.page_values(page, current)
            clash = conflicts.Clash(values, conflicts.fingerprint(person, section, page, values))
            return conflicts.render_clash(
                person,
                section,
                page,
                page.questions,
                clash,
                mine,
                resolution,
                _back_url(person, section, page, document),
            )
        based_on = resolution.based_on.data if resolution is not None else request.form.get(conflicts.BASED_ON)

        def build(current: dict[str, Any]) -> dict[str, Any] | conflicts.Clash:
            now = conflicts.fingerprint(person, section, page, conflicts.page_values(page, current))
            if not conflicts.matches(based_on, now):
                return conflicts.Clash(conflicts.page_values(page, current), now)
            kept = {name: value for name, value in current.items() if name not in page.field_names()}
            automatic = {q.name: current[q.name] for q in page.questions if q.automatic and q.name in current}
            return kept | automatic | mine

        saved = conflicts.save_without_clash(
            person, section, build, lambda new, revision: save_answers(person, section, new, based_on=revision)
        )
        if isinstance(saved, conflicts.Clash):
            return conflicts.render_clash(
                person,
                section,
                page,
                page.questions,
                saved,
                mine,
                resolution or _conflict_form(),
                _back_url(person, section, page, document),
            )
        document[section.slug] = saved
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
        based_on=_based_on_field(conflicts.fingerprint(person, section, page, conflicts.page_values(page, answers))),
    )


def _conflict_form() -> ConflictForm:
    return ConflictForm(prefix=conflicts.CONFLICT_PREFIX, formdata=None)


def _resolution() -> ConflictForm | None:
    """The clash page's choice, when this POST came from it (None for an ordinary save).

    An answer missing from the choice is not a save: the clash page is shown again with its error.
    """
    if not conflicts.resolving():
        return None
    resolution = ConflictForm(prefix=conflicts.CONFLICT_PREFIX)
    resolution.validate()
    return resolution


def _based_on_field(current: str) -> str:
    """A page re-shown after an error keeps the fingerprint it was first built from (so the clash still shows)."""
    if request.method == "POST":
        resolution = _resolution()
        if resolution is not None and resolution.based_on.data:
            return resolution.based_on.data
        return request.form.get(conflicts.BASED_ON) or current
    return current


def _kept_theirs(person: Person, section: Section, back_to: str) -> Any:
    record_event(Action.SECTION_CONFLICT, person_id=person.id, detail=section.slug)
    flash("You kept the answers the other carer saved. Your changes to this page were not saved.")
    return redirect(back_to)


def _rows_list(
    person: Person,
    section: Section,
    page: Page,
    document: registry.Document,
    answers: dict[str, Any],
    cap_error: str | None = None,
) -> Any:
    form = FlaskForm()
    if cap_error is None and form.validate_on_submit():
        return _after_save(person, page, document)
    rows = answers.get(page.rows_key) or []
    limit = caps.cap("MAX_LIST_ROWS")
    return render_template(
        "questions/rows.html",
        person=person,
        section=section,
        page=page,
        form=None,
        cards=[_row_card(person, page, row, number) for number, row in enumerate(rows, start=1)],
        back_url=_back_url(person, section, page, document),
        rows_hint=caps.rows_hint(page.row_noun, limit),
        rows_full=len(rows) >= limit,
        cap_error=cap_error,
    ), (400 if cap_error and request.method == "POST" else 200)


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
@person_required(Permission.EDIT)
def row(person_id: str, section_slug: str, page_slug: str, row_id: str | None):
    person, section, page = _resolve(person_id, section_slug, page_slug)
    if page is None or not page.rows_key:
        abort(404)
    answers = store.load_section(person, section.slug)
    rows = list(answers.get(page.rows_key) or [])
    if request.method == "POST" and row_id is not None and not any(r.get("id") == row_id for r in rows):
        existing: dict[str, Any] = {"id": row_id}  # removed by someone else meanwhile: shown as a clash
    else:
        _index, existing = _find_row(rows, row_id) if row_id is not None else (len(rows), {})
    limit = caps.cap("MAX_LIST_ROWS")
    if row_id is None and len(rows) >= limit:  # full: say so on the list, and store nothing
        document = store.load_draft(person)
        message = caps.rows_full_message(page.row_noun, limit)
        return _rows_list(person, section, page, document, document.get(section.slug, {}), cap_error=message)
    if request.method == "POST":
        form = page.form_class()
    else:
        form = page.form_class(data=registry.page_form_data(page, existing))
    back_url = page_url(person.id, page)
    if form.validate_on_submit():
        values = registry.page_answers(form)
        resolution = _resolution()
        if resolution is not None and resolution.choice.data == "theirs":
            return _kept_theirs(person, section, back_url)
        based_on = resolution.based_on.data if resolution is not None else request.form.get(conflicts.BASED_ON)
        if resolution is not None and resolution.choice.data != "mine":
            based_on = ""  # no choice made: show the clash again, with its error

        def build(current: dict[str, Any]) -> dict[str, Any] | conflicts.Clash:
            current_rows = list(current.get(page.rows_key) or [])
            if row_id is None:
                if values:  # an empty new row is not worth keeping
                    current_rows.append({"id": secrets.token_hex(8)} | values)
            else:
                found = next((i for i, r in enumerate(current_rows) if r.get("id") == row_id), None)
                theirs = {k: v for k, v in current_rows[found].items() if k != "id"} if found is not None else {}
                now = conflicts.fingerprint(person, section, page, theirs, row_id)
                if found is None or not conflicts.matches(based_on, now):
                    return conflicts.Clash(theirs, now)
                current_rows[found] = {"id": row_id} | values
            new_answers = dict(current)
            if current_rows:
                new_answers[page.rows_key] = current_rows
            else:
                new_answers.pop(page.rows_key, None)
            return new_answers

        saved = conflicts.save_without_clash(
            person, section, build, lambda new, revision: save_answers(person, section, new, based_on=revision)
        )
        if isinstance(saved, conflicts.Clash):
            return conflicts.render_clash(
                person, section, page, page.row_questions, saved, values, resolution or _conflict_form(), back_url
            )
        if idle_save_requested():
            return sign_out_after_idle_save(back_url)
        if request.form.get("action") == "later":
            flash(SAVED_MESSAGE)
            return redirect(url_for("people.overview", person_id=person.id))
        return redirect(back_url)
    fields = top_level_fields(form)
    noun = page.row_noun
    title = f"Change {noun}" if row_id is not None else f"Add {page.row_article} {noun}"
    row_values = {k: v for k, v in existing.items() if k != "id"}
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
        back_url=back_url,
        based_on=(
            _based_on_field(conflicts.fingerprint(person, section, page, row_values, row_id)) if row_id else None
        ),
    )


@bp.route(PAGE_URL + "/<row_id>/remove", methods=["GET", "POST"])
@person_required(Permission.EDIT)
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
