"""The carer's dashboard of people, each person's overview (task list, versions), check your answers,
publishing a version, what changed between versions, and deleting a person's record."""

from datetime import date, datetime, time
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput
from wtforms import HiddenField, RadioField
from wtforms.validators import InputRequired

from herbert import caps
from herbert.access import Permission, can, current_person, person_required
from herbert.audit import Action, record_event
from herbert.auth.guard import login_required
from herbert.clock import utcnow
from herbert.dates import add_months, age_on, format_date
from herbert.extensions import db
from herbert.models import Person, User
from herbert.photos.cleaning import photo_freshness
from herbert.questions import registry
from herbert.questions.changes import document_changes
from herbert.questions.registry import COMPLETED, IN_PROGRESS, NOT_STARTED, SECTIONS
from herbert.questions.sections.consent_and_review import REVIEW_MONTHS
from herbert.records import erasure, store

bp = Blueprint("people", __name__)

STATUS_TAGS = {
    COMPLETED: {"text": "Completed"},
    IN_PROGRESS: {"tag": {"text": "In progress", "classes": "govuk-tag--light-blue"}},
    NOT_STARTED: {"tag": {"text": "Not yet started", "classes": "govuk-tag--blue"}},
}
PHOTO_TAGS = {
    "due": {"tag": {"text": "Due for renewal", "classes": "govuk-tag--yellow"}},
    "out_of_date": {"tag": {"text": "Out of date", "classes": "govuk-tag--red"}},
    "undated": {"tag": {"text": "Date missing", "classes": "govuk-tag--yellow"}},
}


class PublishForm(FlaskForm):
    # Never drawn: it only carries the "no consent" error, which the template shows beside the button.
    consent = HiddenField(id="consent-needed")


class DeletePersonForm(FlaskForm):
    confirm = RadioField(
        "Are you sure you want to delete this record?",
        choices={"yes": "Yes, delete it for good", "no": "No, keep it"},
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select yes if you want to delete the record")],
    )


def _photos(person: Person) -> list[dict[str, Any]]:
    return store.list_photos(person)


def photo_state(photos: list[dict[str, Any]]) -> tuple[str | None, str | None]:
    """(status, message) of the photos' freshness, e.g. ("out_of_date", "...")."""
    result = photo_freshness(photos)
    return result["status"], result["message"]


# --- dashboard ------------------------------------------------------------------------------------


@bp.route("/people")
@login_required
def dashboard():
    entries = []
    now = utcnow()
    for entry in store.people_for(g.user.id):
        person = db.session.get(Person, entry.id)
        revisions = store.list_revisions(person) if entry.latest_version else []
        status, _message = photo_state(_photos(person))
        entries.append(
            {
                "entry": entry,
                "published_at": revisions[0]["published_at"] if revisions else None,
                "review_due": entry.next_review_on is not None and entry.next_review_on <= now,
                "photo_status": status,
            }
        )
    return render_template("people/dashboard.html", entries=entries)


@bp.route("/people/new", methods=["GET", "POST"])
@login_required
def new():
    form = FlaskForm()
    limit, held = caps.cap("MAX_PEOPLE_PER_ACCOUNT"), caps.people_held(g.user.id)
    if form.validate_on_submit() and held >= limit:
        page = render_template(
            "people/add.html",
            form=None,
            add_form=form,
            limit=limit,
            held=held,
            cap_error=caps.PEOPLE_FULL.format(limit=limit),
        )
        return page, 400
    if form.validate_on_submit():
        person_id = store.create_person(g.user.id)
        record_event(Action.PERSON_CREATE, person_id=person_id)
        first = SECTIONS[0].pages[0]
        return redirect(
            url_for("questions.page", person_id=person_id, section_slug=SECTIONS[0].slug, page_slug=first.slug)
        )
    return render_template("people/add.html", form=None, add_form=form, limit=limit, held=held)


# --- a person's overview --------------------------------------------------------------------------


def task_list_items(person: Person, document: registry.Document, photos: list[dict[str, Any]]) -> list[dict]:
    items = []
    for section in SECTIONS:
        if not section.applies(document):
            if section.not_needed:  # kept in its place, so the letters stay those of the paper form
                items.append(
                    {
                        "title": {"text": f"{section.letter}. {section.title}"},
                        "hint": {"text": f"Not needed: {section.not_needed}"},
                        "status": {"text": "Not needed", "classes": "govuk-task-list__status--cannot-start-yet"},
                    }
                )
            continue
        if section.endpoint is not None:
            href = url_for(section.endpoint, person_id=person.id)
            freshness, _message = photo_state(photos)
            status = PHOTO_TAGS.get(freshness or "") or STATUS_TAGS[COMPLETED if photos else NOT_STARTED]
        else:
            # A viewer reads the form in the PDF and the versions, not on the question pages.
            editable = can(Permission.EDIT)
            start = url_for("questions.section_start", person_id=person.id, section_slug=section.slug)
            href = start if editable else None
            status = STATUS_TAGS[registry.section_status(section, document.get(section.slug) or {}, document)]
        item = {"title": {"text": f"{section.letter}. {section.title}"}, "status": status}
        if href:
            item["href"] = href
        if section.intro:
            item["hint"] = {"text": section.intro}
        items.append(item)
    return items


def _revisions_with_authors(person: Person) -> list[dict[str, Any]]:
    revisions = store.list_revisions(person)
    ids = {r["published_by"] for r in revisions if r["published_by"]}
    emails = dict(db.session.execute(db.select(User.id, User.email).where(User.id.in_(ids))).all()) if ids else {}
    return [r | {"published_by_email": emails.get(r["published_by"], "a former carer")} for r in revisions]


@bp.route("/people/<person_id>")
@person_required(Permission.VIEW)
def overview(person_id: str):
    person = current_person()
    document = store.load_draft(person)
    photos = _photos(person)
    record_event(Action.PERSON_VIEW, person_id=person.id)
    summary = store.load_summary(person)
    _status, photo_message = photo_state(photos)
    revisions = _revisions_with_authors(person)
    return render_template(
        "people/overview.html",
        person=person,
        document=document,
        photos=photos,
        summary=summary,
        age=_age(document),
        task_items=task_list_items(person, document, photos),
        missing=registry.missing_core(document, photos),
        photo_message=photo_message,
        revisions=revisions,
        draft_changed=_draft_changed(person, document, revisions),
        review_due=person.next_review_on is not None and person.next_review_on <= utcnow(),
    )


def _draft_changed(person: Person, document: registry.Document, revisions: list[dict[str, Any]]) -> bool:
    """Whether the draft differs from the latest version (straight after confirming it does not: the
    draft is then an exact copy, and "changes not confirmed yet" would lead to "Nothing changed")."""
    if not revisions:
        return False
    return registry.prune_document(document) != store.load_revision(person, revisions[0]["number"])


def _age(document: registry.Document) -> int | None:
    born = (document.get("about-the-person") or {}).get("date_of_birth")
    try:
        return age_on(born, utcnow().date()) if born else None
    except ValueError:
        return None


# --- check your answers and publishing ------------------------------------------------------------


def answer_sections(person: Person, document: registry.Document, with_links: bool) -> list[dict[str, Any]]:
    """The sections that apply, each with its summary rows (and change links when editing)."""
    result = []
    for section in SECTIONS:
        if not section.applies(document):
            if section.not_needed:
                result.append({"section": section, "rows": [], "link": None, "not_needed": section.not_needed})
            continue
        if section.endpoint is not None:
            result.append({"section": section, "rows": [], "link": url_for(section.endpoint, person_id=person.id)})
            continue
        rows = registry.summary_rows(section, document.get(section.slug) or {}, document)
        entries = []
        for row in rows:
            change = None
            if with_links:
                change = url_for(
                    "questions.page", person_id=person.id, section_slug=section.slug, page_slug=row.page.slug
                )
            entries.append({"row": row, "change_url": change})
        result.append({"section": section, "rows": entries, "link": None})
    return result


def _check_answers_page(person: Person, form: PublishForm, status: int = 200):
    document = store.load_draft(person)
    photos = _photos(person)
    return (
        render_template(
            "people/check_answers.html",
            person=person,
            form=form,
            sections=answer_sections(person, document, with_links=True),
            missing=registry.missing_core(document, photos),
            has_consent=registry.has_consent(document),
            consent_url=url_for(
                "questions.page", person_id=person.id, section_slug=registry.CONSENT_SECTION, page_slug="consent"
            ),
        ),
        status,
    )


@bp.route("/people/<person_id>/check-answers")
@person_required(Permission.EDIT)
def check_answers(person_id: str):
    return _check_answers_page(current_person(), PublishForm(formdata=None))


def review_date_on_publish(answers: dict[str, Any], today: date) -> date:
    """The carer's own next review date if it is still ahead and was not our last default; otherwise
    six months from today."""
    default = add_months(today, REVIEW_MONTHS)
    chosen = registry.page_form_data(registry.section_by_slug(registry.CONSENT_SECTION).page_by_slug("review"), answers)
    chosen_date = chosen.get("next_review_date")
    previous_completed = chosen.get("date_completed")
    if chosen_date is None or chosen_date <= today:
        return default
    if previous_completed and chosen_date == add_months(previous_completed, REVIEW_MONTHS):
        return default  # it was our default last time, so it moves on with this version
    return chosen_date


@bp.route("/people/<person_id>/publish", methods=["POST"])
@person_required(Permission.EDIT)
def publish(person_id: str):
    person = current_person()
    form = PublishForm()
    if not form.validate_on_submit():
        abort(400)
    document = store.load_draft(person)
    if not registry.has_consent(document):
        form.consent.errors = ["Record consent before you confirm the form: we cannot confirm it without consent"]
        return _check_answers_page(person, form)
    today = utcnow().date()
    consent = dict(document.get(registry.CONSENT_SECTION) or {})
    review_on = review_date_on_publish(consent, today)
    consent |= {"date_completed": today.isoformat(), "next_review_date": review_on.isoformat()}
    document[registry.CONSENT_SECTION] = consent
    published = registry.prune_document(document)
    number = store.publish(person, g.user.id, published, datetime.combine(review_on, time()))
    # Editing goes on in the draft, which starts as an exact copy of what was just published.
    store.replace_draft(person, published)
    record_event(Action.VERSION_PUBLISH, person_id=person.id, detail=f"version {number}")
    flash(f"Version {number} confirmed. The next review is due on {format_date(review_on)}.")
    return redirect(url_for("people.overview", person_id=person.id))


# --- versions -------------------------------------------------------------------------------------


@bp.route("/people/<person_id>/versions/<int:number>")
@person_required(Permission.VIEW)
def version(person_id: str, number: int):
    person = current_person()
    document = store.load_revision(person, number)
    revision = next(r for r in _revisions_with_authors(person) if r["number"] == number)
    record_event(Action.VERSION_VIEW, person_id=person.id, detail=f"version {number}")
    return render_template(
        "people/version.html",
        person=person,
        revision=revision,
        sections=answer_sections(person, document, with_links=False),
    )


@bp.route("/people/<person_id>/compare")
@person_required(Permission.VIEW)
def compare(person_id: str):
    """What changed between two versions (?from=1&to=3), or since the latest version (?to=draft)."""
    person = current_person()
    numbers = [r["number"] for r in store.list_revisions(person)]
    if not numbers:
        abort(404)
    latest = numbers[0]
    to_arg = request.args.get("to", "")
    to_draft = to_arg == "draft"
    to_number = latest if to_draft or not to_arg else _version_number(to_arg)
    from_arg = request.args.get("from", "")
    default_from = latest if to_draft else max(to_number - 1, 1)
    from_number = _version_number(from_arg) if from_arg else default_from
    if from_number not in numbers or to_number not in numbers:
        abort(404)
    old = store.load_revision(person, from_number)
    new = registry.prune_document(store.load_draft(person)) if to_draft else store.load_revision(person, to_number)
    return render_template(
        "people/compare.html",
        person=person,
        from_number=from_number,
        to_number=None if to_draft else to_number,
        numbers=numbers,
        changes=document_changes(old, new),
    )


def _version_number(text: str) -> int:
    if not text.isdigit() or len(text) > 6:
        abort(404)
    return int(text)


# --- deleting a person ----------------------------------------------------------------------------


@bp.route("/people/<person_id>/delete", methods=["GET", "POST"])
@person_required(Permission.MANAGE)
def delete(person_id: str):
    person = current_person()
    form = DeletePersonForm()
    if form.validate_on_submit():
        if form.confirm.data != "yes":
            return redirect(url_for("people.overview", person_id=person.id))
        record_event(Action.PERSON_ERASE, person_id=person.id)
        erasure.erase_person(person)
        flash("The record has been deleted. It cannot be recovered.")
        return redirect(url_for("people.dashboard"))
    return render_template("people/delete.html", person=person, form=form, summary=store.load_summary(person))
