"""The carer's side of a police share: the handover page (the updated PDF, "Share with police", the export), making
a share (reference, code and link to read out or send), the list of shares and ending one."""

import secrets

import segno
from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for

from herbert.access import Permission, current_person, person_required
from herbert.audit import Action, record_event
from herbert.auth.guard import safe_next
from herbert.auth.limits import account_password_limits, mark_not_an_attempt
from herbert.handover import stepup
from herbert.handover.fields import ButtonForm
from herbert.handover.missing import report as missing
from herbert.handover.missing.views import working_document
from herbert.handover.panel import handover_panel
from herbert.handover.shares import allowance, snapshot
from herbert.handover.shares import lifecycle as shares
from herbert.handover.shares import messages as share_messages
from herbert.handover.shares import pdfs as share_pdfs
from herbert.handover.shares.forms import ShareForm
from herbert.links import police_address, public_url_for
from herbert.models import Person
from herbert.photos.kinds import kind_label
from herbert.records import store

bp = Blueprint("shares", __name__)

SHARE_REQUEST = "share_request"  # session key: one-time id of the share form on screen (not personal data)


def _photo_captions(person: Person) -> dict[str, str]:
    return {p["id"]: p.get("caption") or kind_label(p.get("kind")) for p in store.list_photos(person)}


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
def handover(person_id: str):
    """The one page with the updated PDF, "Share with police" and "Download export"."""
    person = current_person()
    return _render_handover(person, _share_form(person))


def _render_handover(person: Person, form: ShareForm, status: int = 200):
    report_row = missing.open_report(person)
    report = missing.load_report(person, report_row)
    panel = handover_panel(person)
    return (
        render_template(
            "shares/handover.html",
            person=person,
            form=form,
            report=report,
            report_open=report_row is not None,
            rows=missing.report_rows(report, _photo_captions(person)) if report else [],
            seen_and_reported=missing.seen_and_reported(report) if report else "",
            step_up=stepup.needs_step_up(police_share=True),
            needs_code=stepup.needs_code(),
            live_shares=[s for s in panel["shares"] if s["state"] == "active"],
            live_limit=allowance.live_limit(),
            search_aid_document=working_document(person),
        ),
        status,
    )




@bp.route("/people/<person_id>/shares", methods=["POST"])
@person_required(Permission.EMERGENCY)
@account_password_limits
def create(person_id: str):
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
        return redirect(url_for("shares.index", person_id=person.id))
    if refusal := _creation_refused(person):  # before the password: a refusal checks no secret
        mark_not_an_attempt()
        form = _share_form(person, form)
        form.submit.errors = [refusal]
        return _render_handover(person, form)
    asked = stepup.needs_step_up(police_share=True)
    if not form.validate_on_submit() or not stepup.confirm(form, police_share=True):
        return _render_handover(person, _share_form(person, form))
    g.secret_accepted = True  # the password was right: this must not use up the per-account allowance
    allowance.count_creation(g.user.id)
    hours = int(form.hours.data or shares.DEFAULT_HOURS)
    source = form.source.data or snapshot.default_source(person)
    issued = shares.create_share(person, g.user.id, snapshot.build_snapshot(person, source), hours, source)
    how = "password checked" if asked else "signed in on a known device"
    record_event(
        Action.SHARE_CREATE, person_id=person.id, detail=f"share {issued.share.id}, {hours} h, {source}, {how}"
    )
    share_pdfs.keep_share_pdf_soon(issued.share)  # ready before police ask for it
    link = public_url_for("police.open_share", token=issued.token)
    qr = segno.make(link, error="m")
    address = police_address()
    return render_template(
        "shares/created.html",
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


def _creation_refused(person: Person) -> str | None:
    """Why no new share may be made now (the live cap for this person, or this account's allowance), or None."""
    if allowance.live_count(person) >= allowance.live_limit():
        return allowance.live_full_message()
    if wait := allowance.seconds_until_creation_allowed(g.user.id):
        return allowance.CREATED_TOO_MANY.format(wait=allowance.wait_words(wait))
    return None


@bp.route("/people/<person_id>/shares")
@person_required(Permission.EMERGENCY)
def index(person_id: str):
    person = current_person()
    return render_template("shares/index.html", person=person, panel=handover_panel(person), form=None)


@bp.route("/people/<person_id>/shares/<int:share_id>/end", methods=["POST"])
@person_required(Permission.EDIT)
def end(person_id: str, share_id: int):
    person = current_person()
    share = shares.share_of(person, share_id)
    if share is None:
        abort(404)
    ButtonForm().validate_on_submit()  # CSRF is checked globally; nothing else to validate
    if share.revoked_at is None:
        shares.end_share(share, "revoked")
        record_event(Action.SHARE_END, person_id=person.id, detail=f"share {share.id}")
        flash("The share link has ended. Police can no longer open it.")
    back = request.form.get("next")
    return redirect(safe_next(back) if back else url_for("people.overview", person_id=person.id))
