"""They've been found: close the report, end every share, and offer the episode to section J (prefilled)."""

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from wtforms import SubmitField

from herbert.access import Permission, current_person, person_required
from herbert.audit import Action, record_event
from herbert.dates import parse_local, uk_now
from herbert.extensions import db
from herbert.handover import form_facts
from herbert.handover.fields import combine, date_field, fill_date, text_field
from herbert.handover.missing import report as missing
from herbert.handover.missing.forms import FoundForm
from herbert.handover.shares import lifecycle as shares
from herbert.models import MissingReport, Person

bp = Blueprint("found", __name__)


class EpisodeForm(FlaskForm):
    episode_date = date_field("Date")
    missing_from = text_field("Where they went missing from")
    where_found = text_field("Where they were found")
    how_long = text_field("How long they were missing")
    submit = SubmitField("Add to previous missing episodes", widget=GovSubmitInput())




@bp.route("/people/<person_id>/found", methods=["GET", "POST"])
@person_required(Permission.EDIT)
def confirm(person_id: str):
    person = current_person()
    report_row = missing.open_report(person)
    if report_row is None:
        flash("They are not reported missing.")
        return redirect(url_for("people.overview", person_id=person.id))
    form = FoundForm()
    if request.method == "GET":
        now = uk_now()
        fill_date(form.found_date, now.date())
        form.found_time.data = now.strftime("%H:%M")
    if form.validate_on_submit():
        missing.close_report(
            person,
            report_row,
            {
                "found_at": combine(form.found_date.data, form.found_time.data),
                "found_where": form.found_where.data or "",
            },
        )
        ended = shares.end_all_shares(person, "found")
        record_event(Action.MISSING_FOUND, person_id=person.id, detail=f"report {report_row.id}, {ended} shares ended")
        return redirect(url_for("found.after", person_id=person.id, report_id=report_row.id))
    return render_template("found/confirm.html", form=form, person=person)


def _closed_report(person: Person, report_id: int) -> MissingReport:
    row = db.session.execute(
        db.select(MissingReport).filter_by(id=report_id, person_id=person.id).where(MissingReport.found_at.is_not(None))
    ).scalar_one_or_none()
    if row is None:
        abort(404)
    return row


def episode_from_report(report: dict[str, Any]) -> dict[str, str]:
    seen = parse_local(report.get("last_seen_at"))
    found_at = parse_local(report.get("found_at"))
    return {
        "episode_date": seen.date().isoformat() if seen else "",
        "missing_from": report.get("last_seen_where", ""),
        "where_found": report.get("found_where", ""),
        "how_long": missing.describe_duration(seen, found_at),
    }


@bp.route("/people/<person_id>/found/<int:report_id>", methods=["GET", "POST"])
@person_required(Permission.EDIT)
def after(person_id: str, report_id: int):
    """Offer to add the episode to section J (prefilled from the report) and to review the form."""
    person = current_person()
    row = _closed_report(person, report_id)
    report = missing.load_report(person, row)
    form = EpisodeForm()
    if request.method == "GET":
        episode = episode_from_report(report)
        day = parse_local(episode["episode_date"])
        fill_date(form.episode_date, day.date() if day else None)
        for name in ("missing_from", "where_found", "how_long"):
            getattr(form, name).data = episode[name]
    if form.validate_on_submit():
        form_facts.add_previous_episode(
            person,
            {
                "episode_date": form.episode_date.data.isoformat() if form.episode_date.data else "",
                "missing_from": form.missing_from.data or "",
                "where_found": form.where_found.data or "",
                "how_long": form.how_long.data or "",
            },
        )
        detail = f"{form_facts.EPISODES}: episode added after found"
        record_event(Action.SECTION_EDIT, person_id=person.id, detail=detail)
        flash("The episode was added to previous missing episodes.")
        return redirect(url_for("people.overview", person_id=person.id))
    return render_template(
        "found/after.html", form=form, person=person, report_rows=missing.report_rows(report)
    )
