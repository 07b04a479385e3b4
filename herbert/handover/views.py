"""Missing-now flow, share creation and revocation, export and import, found (the carer's side).

The emergency path is short on purpose: dashboard "Report them missing" → when and where last seen
(defaults: now, the home address) → "Save and share with police" → the handover page, where the share form
carries the password field itself → the link, code and QR code. Four taps (five with a two-factor code).
"""

import io
import secrets
from datetime import datetime
from typing import Any

import segno
from flask import Blueprint, Request, abort, flash, g, redirect, render_template, request, send_file, session, url_for
from flask.sansio.blueprints import BlueprintSetupState

from herbert.access import Permission, current_person, person_required
from herbert.audit import action_label, events_for_person, grouped_activity, record_event
from herbert.auth.guard import login_required, safe_next
from herbert.auth.limits import (
    account_password_limits,
    export_limits,
    import_limits,
    mark_attempt_succeeded,
    pdf_limits,
)
from herbert.dates import clock_text, display_time, parse_local, uk_now, uk_time
from herbert.documents.police_form import handover_meta, render_police_pdf
from herbert.documents.renderer import POLICE, PdfError
from herbert.extensions import db
from herbert.handover import (
    export,
    form_facts,
    missing,
    share_messages,
    share_pdfs,
    shares,
    snapshot,
    stepup,
)
from herbert.handover.forms import (
    ButtonForm,
    ClothingForm,
    EpisodeForm,
    ExportForm,
    FoundForm,
    ImportForm,
    LastSeenForm,
    MoreDetailsForm,
    ShareForm,
    combine,
    fill_date,
    phone_location,
)
from herbert.handover.importer import import_package
from herbert.handover.unpack import MAX_PACKAGE_BYTES, PackageRejected
from herbert.links import police_address, public_url_for
from herbert.models import MissingReport, Person
from herbert.photos.kinds import kind_label
from herbert.records import store
from herbert.search_aid.views import points_after_save
from herbert.security_headers import GEOLOCATION_ALLOWED

bp = Blueprint("handover", __name__)

SHARE_REQUEST = "share_request"  # session key: one-time id of the share form on screen (not personal data)
PAGES = ("last-seen", "clothing", "more-details")


# --- helpers --------------------------------------------------------------------------------------


@bp.app_template_global("person_url")
def person_page(person_id: str) -> str:
    """The person's overview page (records), or the dashboard if that page is not there."""
    from flask import current_app

    if "people.overview" in current_app.view_functions:
        return url_for("people.overview", person_id=person_id)
    return url_for("people.dashboard")


def _working_document(person: Person) -> dict[str, Any]:
    return snapshot.load_source(person, snapshot.default_source(person))


def _photo_captions(person: Person) -> dict[str, str]:
    return {p["id"]: p.get("caption") or kind_label(p.get("kind")) for p in store.list_photos(person)}


def _save(person: Person, answers: dict[str, Any]) -> MissingReport:
    report, opened = missing.save_report(person, g.user.id, answers)
    if shares.refresh_missing_report(person, missing.load_report(person, report)):
        for share in shares.shares_of(person):
            if shares.state_of(share) is shares.ShareState.ACTIVE:
                share_pdfs.keep_share_pdf_soon(share)
    record_event("missing.report" if opened else "missing.edit", person_id=person.id, detail=f"report {report.id}")
    points_after_save(person)  # the last-seen point for the search aid, sealed
    return report


def _next_after(page: str, person_id: str) -> str:
    if request.form.get("action") == "share" or page == PAGES[-1]:
        return url_for("handover.ready", person_id=person_id)
    return url_for(f"handover.{PAGES[PAGES.index(page) + 1].replace('-', '_')}", person_id=person_id)


# --- template helpers (the person page's panel and the dashboard's buttons) -----------------------


@bp.app_template_global("handover_panel")
def handover_panel(person: Any) -> dict[str, Any]:
    """What the person page's handover panel shows: the open report, shares with their opens, audit events."""
    row = db.session.get(Person, person.id if not isinstance(person, str) else person)
    if row is None:
        return {"report": None, "shares": [], "events": []}
    shares.drop_expired_snapshots(row)
    return {
        "report": missing.open_report(row),
        "shares": [
            {"share": s, "state": shares.state_of(s).value, "opens": shares.opens_of(s)} for s in shares.shares_of(row)
        ],
        "events": grouped_activity(events_for_person(row.id, limit=60))[:30],
    }


@bp.app_template_global("missing_since")
def missing_since(person: Any) -> str:
    """ "2:30pm" / "2:30pm yesterday": when an open report says they were last seen ("" when not missing)."""
    row = db.session.get(Person, person if isinstance(person, str) else person.id)
    report_row = missing.open_report(row) if row is not None else None
    if report_row is None:
        return ""
    report = missing.load_report(row, report_row)
    return missing.short_moment(report.get("last_seen_at") or report.get("reported_at"))


@bp.app_template_global("once_per_page")
def once_per_page(key: str) -> bool:
    """True the first time a template asks for `key` in this request (e.g. the 999 guidance above a list)."""
    shown = g.setdefault("handover_shown", set())
    if key in shown:
        return False
    shown.add(key)
    return True


@bp.app_template_filter("uk_time")
def uk_time_filter(value: datetime | None) -> str:
    """A stored naive-UTC time as UK wall-clock text."""
    return uk_time(value)


@bp.app_template_filter("event_text")
def event_text(action: str) -> str:
    return action_label(action)


# --- missing now ----------------------------------------------------------------------------------


@bp.route("/people/<person_id>/missing")
@person_required(Permission.EMERGENCY)
def start(person_id: str):
    person = current_person()
    if missing.open_report(person) is not None:
        return redirect(url_for("handover.ready", person_id=person.id))
    return redirect(url_for("handover.last_seen", person_id=person.id))


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
        form.last_seen_where.data = report.get("last_seen_where", form_facts.home_address(_working_document(person)))
        for name in ("seen_by", "direction", "said_going_to", "last_seen_lat", "last_seen_lon", "last_seen_accuracy"):
            getattr(form, name).data = report.get(name, "")
    elif (pick := missing.quick_pick_time(request.form.get("quick_pick", ""))) is not None:
        fill_date(form.last_seen_date, pick.date())
        form.last_seen_time.data = clock_text(pick)
        filled = display_time(pick.isoformat(timespec="minutes"))
    elif form.validate_on_submit():
        _save(
            person,
            {
                "last_seen_at": combine(form.last_seen_date.data, form.last_seen_time.data),
                "last_seen_where": form.last_seen_where.data or "",
                "seen_by": form.seen_by.data or "",
                "direction": form.direction.data or "",
                "said_going_to": form.said_going_to.data or "",
            }
            | (phone_location(form) or dict.fromkeys(("last_seen_lat", "last_seen_lon", "last_seen_accuracy"), "")),
        )
        return redirect(_next_after("last-seen", person.id))
    return render_template(
        "handover/last_seen.html",
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
    open_row = missing.open_report(person)
    if open_row is None:
        return redirect(url_for("handover.last_seen", person_id=person.id))
    report = missing.load_report(person, open_row)
    picks = form_facts.clothing_picks(_working_document(person))
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
        "handover/clothing.html", form=form, person=person, page_number=2, clothing_photos=clothing_photos
    )


@bp.route("/people/<person_id>/missing/more-details", methods=["GET", "POST"])
@person_required(Permission.EMERGENCY)
def more_details(person_id: str):
    person = current_person()
    open_row = missing.open_report(person)
    if open_row is None:
        return redirect(url_for("handover.last_seen", person_id=person.id))
    report = missing.load_report(person, open_row)
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
    return render_template("handover/more_details.html", form=form, person=person, page_number=3)


def _share_form(person: Person, form: ShareForm | None = None) -> ShareForm:
    form = form or ShareForm()
    form.source.choices = dict(snapshot.source_choices(person))
    if not form.source.data or request.method == "GET":
        form.source.data = snapshot.default_source(person)
    if not form.hours.data:
        form.hours.data = str(shares.DEFAULT_HOURS)
    request_id = secrets.token_urlsafe(16)
    session[SHARE_REQUEST] = request_id
    form.request_id.data = request_id
    return form


@bp.route("/people/<person_id>/missing/handover")
@person_required(Permission.EMERGENCY)
def ready(person_id: str):
    """The one page with the updated PDF, "Share with police" and "Download export"."""
    person = current_person()
    return _render_ready(person, _share_form(person))


def _render_ready(person: Person, form: ShareForm, status: int = 200):
    report_row = missing.open_report(person)
    report = missing.load_report(person, report_row)
    panel = handover_panel(person)
    return (
        render_template(
            "handover/ready.html",
            person=person,
            form=form,
            report=report,
            report_open=report_row is not None,
            rows=missing.report_rows(report, _photo_captions(person)) if report else [],
            seen_and_reported=missing.seen_and_reported(report) if report else "",
            step_up=stepup.needs_step_up(),
            needs_code=stepup.needs_code(),
            live_shares=[s for s in panel["shares"] if s["state"] == "active"],
            search_aid_document=_working_document(person),
        ),
        status,
    )


@bp.route("/people/<person_id>/missing/police.pdf")
@person_required(Permission.EMERGENCY)
@pdf_limits
def missing_pdf(person_id: str):
    person = current_person()
    source = snapshot.default_source(person)
    report_row = missing.open_report(person)
    photos = [
        (snapshot.photo_details(p) | {"id": p["id"]}, store.open_photo(person, p["id"]))
        for p in store.list_photos(person)
    ]
    try:
        pdf = render_police_pdf(
            snapshot.load_source(person, source),
            photos,
            meta=handover_meta(snapshot.source_label(source)),
            missing_report=missing.load_report(person, report_row) if report_row else None,
            lane=POLICE,  # the carer is handing this to police now: it must not queue behind drafts
        )
    except PdfError:
        abort(503)
    record_event("missing.pdf", person_id=person.id, detail=source)
    return send_file(
        io.BytesIO(pdf), mimetype="application/pdf", as_attachment=False, download_name="herbert-protocol.pdf"
    )


# --- shares ---------------------------------------------------------------------------------------


@bp.route("/people/<person_id>/shares", methods=["POST"])
@person_required(Permission.EMERGENCY)
@account_password_limits
def create_share(person_id: str):
    person = current_person()
    form = ShareForm()
    form.source.choices = dict(snapshot.source_choices(person))
    expected = session.pop(SHARE_REQUEST, None)
    if not expected or not secrets.compare_digest(str(expected), form.request_id.data or ""):
        # A refresh or a second press of the button: the first press already made the share.
        flash(
            "That share link was already made. Its access code is shown only once: "
            "end it and make a new one if you need to."
        )
        return redirect(url_for("handover.shares_page", person_id=person.id))
    if not form.validate_on_submit() or not stepup.confirm(form):
        return _render_ready(person, _share_form(person, form))
    g.secret_accepted = True  # the password was right: this must not use up the per-account allowance
    hours = int(form.hours.data or shares.DEFAULT_HOURS)
    source = form.source.data or snapshot.default_source(person)
    issued = shares.create_share(person, g.user.id, snapshot.build_snapshot(person, source), hours, source)
    record_event("share.create", person_id=person.id, detail=f"share {issued.share.id}, {hours} h, {source}")
    share_pdfs.keep_share_pdf_soon(issued.share)  # ready before police ask for it
    link = public_url_for("police.open_share", token=issued.token)
    qr = segno.make(link, error="m")
    address = police_address()
    return render_template(
        "handover/share_created.html",
        person=person,
        share=issued.share,
        link=link,
        code=issued.display_code,
        reference=issued.display_reference,
        police_address=address,
        messages=share_messages.messages(address, issued.display_reference, issued.display_code, link),
        spelt_out=share_messages.spelt_out,
        read_out=share_messages.read_out(address, issued.display_reference, issued.display_code),
        qr_svg=qr.svg_data_uri(scale=5, border=2, dark="#0b0c0c", light="#ffffff"),
        hours=hours,
    )


@bp.route("/people/<person_id>/shares")
@person_required(Permission.EMERGENCY)
def shares_page(person_id: str):
    person = current_person()
    return render_template("handover/shares.html", person=person, panel=handover_panel(person), form=None)


@bp.route("/people/<person_id>/shares/<int:share_id>/end", methods=["POST"])
@person_required(Permission.EDIT)
def end_share(person_id: str, share_id: int):
    person = current_person()
    share = shares.share_of(person, share_id)
    if share is None:
        abort(404)
    ButtonForm().validate_on_submit()  # CSRF is checked globally; nothing else to validate
    if share.revoked_at is None:
        shares.end_share(share, "revoked")
        record_event("share.revoke", person_id=person.id, detail=f"share {share.id}")
        flash("The share link has ended. Police can no longer open it.")
    back = request.form.get("next")
    return redirect(safe_next(back) if back else person_page(person.id))


# --- export and import ----------------------------------------------------------------------------


@bp.route("/people/<person_id>/export", methods=["GET", "POST"])
@person_required(Permission.EDIT)
@account_password_limits
@export_limits
def export_record(person_id: str):
    person = current_person()
    form = ExportForm()
    if request.method == "POST" and form.validate_on_submit() and stepup.confirm(form):
        content = export.content_for_person(person)
        try:
            source = snapshot.default_source(person)
            pdf = render_police_pdf(
                snapshot.load_source(person, source),
                content.pdf_photos(),
                meta=handover_meta(snapshot.source_label(source)),
                missing_report=content.missing_report,
            )
        except PdfError:
            pdf = None  # the data still goes out; the package says so by having no PDF
        package = export.build_package(content, pdf, share_messages.footer_line(police_address()))
        mark_attempt_succeeded()
        record_event("export", person_id=person.id, detail=f"{len(content.photos)} photos")
        return send_file(
            io.BytesIO(package), mimetype="application/zip", as_attachment=True, download_name=export.download_name()
        )
    return render_template(
        "handover/export.html", person=person, form=form, step_up=stepup.needs_step_up(), needs_code=stepup.needs_code()
    )


IMPORT_REQUEST_BYTES = MAX_PACKAGE_BYTES + 1024 * 1024  # the package plus the form around it


def _import_body_limit(self: Any) -> int | None:
    """The import's own body limit, in force from the first read of the body. CSRF protection parses the
    form in a before_request hook, before the view runs, so the view cannot raise the limit itself."""
    if self._max_content_length is None and self.endpoint == "handover.import_record" and self.method == "POST":
        return IMPORT_REQUEST_BYTES
    return _base_body_limit.fget(self)  # type: ignore[union-attr]


_base_body_limit: property = Request.max_content_length  # type: ignore[assignment]


@bp.record_once
def _allow_large_imports(state: BlueprintSetupState) -> None:
    app = state.app
    limit = property(_import_body_limit, _base_body_limit.fset)
    app.request_class = type("LargeImportRequest", (app.request_class,), {"max_content_length": limit})


@bp.route("/people/import", methods=["GET", "POST"])
@login_required
@import_limits
def import_record():
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.package.data
        if upload is None or not getattr(upload, "filename", ""):
            form.package.errors = ["Select the export package (.zip) to import"]
        else:
            raw = upload.read(MAX_PACKAGE_BYTES + 1)
            try:
                person_id = import_package(raw, g.user.id)
            except PackageRejected as rejected:
                form.package.errors = [rejected.message]
            else:
                flash("The record was imported.")
                return redirect(person_page(person_id))
    return render_template("handover/import.html", form=form)


# --- found ----------------------------------------------------------------------------------------


@bp.route("/people/<person_id>/found", methods=["GET", "POST"])
@person_required(Permission.EDIT)
def found(person_id: str):
    person = current_person()
    report_row = missing.open_report(person)
    if report_row is None:
        flash("They are not reported missing.")
        return redirect(person_page(person.id))
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
        record_event("found", person_id=person.id, detail=f"report {report_row.id}, {ended} shares ended")
        return redirect(url_for("handover.after_found", person_id=person.id, report_id=report_row.id))
    return render_template("handover/found.html", form=form, person=person)


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
def after_found(person_id: str, report_id: int):
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
        record_event("edit", person_id=person.id, detail=f"{form_facts.EPISODES}: episode added after found")
        flash("The episode was added to previous missing episodes.")
        return redirect(person_page(person.id))
    return render_template(
        "handover/after_found.html", form=form, person=person, report_rows=missing.report_rows(report)
    )
