"""Missing now: three short pages (when and where last seen, clothing, more details), each saving as it goes,
then the handover page (herbert.handover.shares.views). The 999 guidance is on every page."""

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from herbert.access import Permission, current_person, person_required
from herbert.audit import Action, record_event
from herbert.dates import clock_text, display_time, parse_local
from herbert.handover import form_facts
from herbert.handover.fields import combine, fill_date
from herbert.handover.missing import report as missing
from herbert.handover.missing.forms import (
    LOCATION_DROPPED,
    ClothingForm,
    LastSeenForm,
    MoreDetailsForm,
    phone_location,
    stale_phone_location,
)
from herbert.handover.shares import lifecycle as shares
from herbert.handover.shares import pdfs as share_pdfs
from herbert.handover.shares import snapshot
from herbert.models import MissingReport, Person
from herbert.records import store
from herbert.search_aid.stored_points import points_after_save
from herbert.security_headers import GEOLOCATION_ALLOWED

bp = Blueprint("missing", __name__)

PAGES = ("last-seen", "clothing", "more-details")


def working_document(person: Person) -> dict[str, Any]:
    """The form the report goes with: the latest published version, or the draft."""
    return snapshot.load_source(person, snapshot.default_source(person))


def _save(person: Person, answers: dict[str, Any]) -> MissingReport:
    report, opened = missing.save_report(person, g.user.id, answers)
    if shares.refresh_missing_report(person, missing.load_report(person, report)):
        for share in shares.shares_of(person):
            if shares.state_of(share) is shares.ShareState.ACTIVE:
                share_pdfs.keep_share_pdf_soon(share)
    action = Action.MISSING_REPORT if opened else Action.MISSING_EDIT
    record_event(action, person_id=person.id, detail=f"report {report.id}")
    points_after_save(person)  # the last-seen point for the search aid, sealed
    return report


def report_in_progress(person: Person) -> dict[str, Any]:
    """The open report's answers; a page after the first, reached with no report open, goes back to the first."""
    row = missing.open_report(person)
    if row is None:
        abort(redirect(url_for("missing.last_seen", person_id=person.id)))
    return missing.load_report(person, row)


def _next_after(page: str, person_id: str) -> str:
    if request.form.get("action") == "share" or page == PAGES[-1]:
        return url_for("shares.handover", person_id=person_id)
    return url_for(f"missing.{PAGES[PAGES.index(page) + 1].replace('-', '_')}", person_id=person_id)


@bp.route("/people/<person_id>/missing")
@person_required(Permission.EMERGENCY)
def start(person_id: str):
    person = current_person()
    if missing.open_report(person) is not None:
        return redirect(url_for("shares.handover", person_id=person.id))
    return redirect(url_for("missing.last_seen", person_id=person.id))


@bp.route("/people/<person_id>/missing/last-seen", methods=["GET", "POST"])
@person_required(Permission.EMERGENCY)
def last_seen(person_id: str):
    """When and where last seen. The time starts empty and is required: it is what the carer says. The quick
    picks ("Now", "About an hour ago") only fill the boxes for the carer to check; nothing is saved until
    they save the page, and the time the report was made is recorded separately (missing.save_report)."""
    person = current_person()
    report = missing.load_report(person, missing.open_report(person))
    g.permissions_policy = GEOLOCATION_ALLOWED  # "use my location" asks this origin's browser, nowhere else
    form = LastSeenForm()
    filled = None
    if request.method == "GET":
        seen = parse_local(report.get("last_seen_at"))
        if seen is not None:
            fill_date(form.last_seen_date, seen.date())
            form.last_seen_time.data = clock_text(seen)
        form.last_seen_where.data = report.get("last_seen_where", form_facts.home_address(working_document(person)))
        for name in ("seen_by", "direction", "said_going_to", "last_seen_lat", "last_seen_lon", "last_seen_accuracy"):
            getattr(form, name).data = report.get(name, "")
    elif (pick := missing.quick_pick_time(request.form.get("quick_pick", ""))) is not None:
        fill_date(form.last_seen_date, pick.date())
        form.last_seen_time.data = clock_text(pick)
        filled = display_time(pick.isoformat(timespec="minutes"))
    elif form.validate_on_submit():
        location = phone_location(form)
        if location is not None and stale_phone_location(form, report):
            location = None
            flash(LOCATION_DROPPED)
        _save(
            person,
            {
                "last_seen_at": combine(form.last_seen_date.data, form.last_seen_time.data),
                "last_seen_where": form.last_seen_where.data or "",
                "seen_by": form.seen_by.data or "",
                "direction": form.direction.data or "",
                "said_going_to": form.said_going_to.data or "",
            }
            | (location or dict.fromkeys(("last_seen_lat", "last_seen_lon", "last_seen_accuracy"), "")),
        )
        return redirect(_next_after("last-seen", person.id))
    return render_template(
        "missing/last_seen.html",
        form=form,
        person=person,
        page_number=1,
        quick_picks=missing.QUICK_PICKS,
        filled=filled,
    )


@bp.route("/people/<person_id>/missing/clothing", methods=["GET", "POST"])
@person_required(Permission.EMERGENCY)
def clothing(person_id: str):
    person = current_person()
    report = report_in_progress(person)
    picks = form_facts.clothing_picks(working_document(person))
    clothing_photos = [p for p in store.list_photos(person) if form_facts.is_clothing_photo(p)]
    form = ClothingForm()
    form.clothing_picks.choices = {pick: pick for pick in picks}
    form.clothing_photo_ids.choices = {p["id"]: p.get("caption") or "Clothing photo" for p in clothing_photos}
    if request.method == "GET":
        for name in ("clothing_picks", "clothing_photo_ids", "items_carried"):
            getattr(form, name).data = report.get(name, [])
        form.clothing_today.data = report.get("clothing_today", "")
        form.items_details.data = report.get("items_details", "")
    if form.validate_on_submit():
        _save(
            person,
            {
                "clothing_picks": form.clothing_picks.data or [],
                "clothing_photo_ids": form.clothing_photo_ids.data or [],
                "clothing_today": form.clothing_today.data or "",
                "items_carried": form.items_carried.data or [],
                "items_details": form.items_details.data or "",
            },
        )
        return redirect(_next_after("clothing", person.id))
    return render_template(
        "missing/clothing.html", form=form, person=person, page_number=2, clothing_photos=clothing_photos
    )


@bp.route("/people/<person_id>/missing/more-details", methods=["GET", "POST"])
@person_required(Permission.EMERGENCY)
def more_details(person_id: str):
    person = current_person()
    report = report_in_progress(person)
    form = MoreDetailsForm()
    if request.method == "GET":
        form.searches_done.data = report.get("searches_done", [])
        for name in ("mood", "recent_changes", "people_contacted", "police_reference", "officer_name"):
            getattr(form, name).data = report.get(name, "")
        called = parse_local(report.get("police_called_at"))
        if called is not None:
            fill_date(form.police_called_date, called.date())
            form.police_called_time.data = called.strftime("%H:%M")
    if form.validate_on_submit():
        _save(
            person,
            {
                "searches_done": form.searches_done.data or [],
                "mood": form.mood.data or "",
                "recent_changes": form.recent_changes.data or "",
                "people_contacted": form.people_contacted.data or "",
                "police_called_at": combine(form.police_called_date.data, form.police_called_time.data) or "",
                "police_reference": form.police_reference.data or "",
                "officer_name": form.officer_name.data or "",
            },
        )
        return redirect(_next_after("more-details", person.id))
    return render_template("missing/more_details.html", form=form, person=person, page_number=3)
