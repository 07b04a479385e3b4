"""The police side of a share: reference or link + access code, and the read-only view (security.md B15).

Two ways in, one check of the code: the fixed address /police, where a call handler types the short reference
and the code read out over the phone, and the link (QR code, text message), whose token is the capability, +
the code. Either way the code is checked by shares.check_code, so wrong codes count towards the same lock. At
/police an unknown reference and a wrong code give the same answer, and the entry is rate-limited per client;
when many clients guess at once, only the ones that keep failing are turned away (police/pressure.py). After
the code, every page of the share lives under /police/form/<reference>, reachable only with the session marker:
a short-lived entry (share id and until when), never anything about the person. Every police page is sent with
Referrer-Policy no-referrer, X-Robots-Tag noindex and Cache-Control no-store.
"""

import base64
import io
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Response, abort, g, redirect, render_template, request, send_file, session, url_for

from herbert.audit import Action, record_event
from herbert.auth.limits import police_reference_limits, share_code_limits, share_download_limits
from herbert.auth.sessions import rotate_session
from herbert.clock import utcnow
from herbert.dates import uk_now
from herbert.handover.fields import ButtonForm
from herbert.handover.missing import report as missing
from herbert.handover.police import form_rows, grab_sheet, pressure
from herbert.handover.police.forms import AccessCodeForm, PoliceEntryForm
from herbert.handover.shares import lifecycle as shares
from herbert.handover.shares import messages as share_messages
from herbert.handover.shares import pdfs as share_pdfs
from herbert.handover.shares.clients import describe_client
from herbert.handover.shares.lifecycle import CodeCheck, ShareState
from herbert.handover.transfer import export
from herbert.links import police_address
from herbert.mail import notices
from herbert.models import Share
from herbert.records.store import RecordUnreadable

bp = Blueprint("police", __name__, url_prefix="/police")

ACCESS = "police_access"  # session key: {share id: ISO time the access ends}
ACCESS_MINUTES = 30


@bp.before_request
def police_page_headers() -> None:
    g.referrer_policy = "no-referrer"  # the token must never leave in a Referer header
    g.noindex = True
    g.personal_page = True  # Cache-Control: no-store


# --- the session marker ---------------------------------------------------------------------------


def _has_access(share: Share) -> bool:
    until = (session.get(ACCESS) or {}).get(str(share.id))
    if not until:
        return False
    try:
        return utcnow() < datetime.fromisoformat(until)
    except ValueError:
        return False


def _grant_access(share: Share) -> None:
    until = min(utcnow() + timedelta(minutes=ACCESS_MINUTES), share.expires_at)
    now = utcnow()
    granted = {
        key: value
        for key, value in (session.get(ACCESS) or {}).items()
        if isinstance(value, str) and value > now.isoformat()
    }
    granted[str(share.id)] = until.isoformat()
    session[ACCESS] = granted
    rotate_session(session)  # type: ignore[arg-type]  # a new session token once the code is accepted


def _share_or_stop(token: str) -> tuple[Share | None, Any]:
    """The share if it may be used; otherwise (None, the response to send: 404, 410 or the locked page)."""
    share = shares.find_share(token)
    if share is None:
        abort(404)
    state = shares.state_of(share)
    if state in (ShareState.EXPIRED, ShareState.REVOKED):
        return None, _ended_page(state)
    if state is ShareState.LOCKED:
        return None, _locked_page()
    return share, None


def _snapshot_or_stop(share: Share) -> dict[str, Any]:
    try:
        return shares.open_snapshot(share)
    except RecordUnreadable:
        abort(410)


# --- helpers ----------------------------------------------------------------------------------------

NOT_RIGHT = (
    "The reference or access code is not right. Check both with the family or carer. "
    "After 5 wrong codes the share locks and they need to make a new one."
)


def _ended_page(state: ShareState):
    return render_template("police/ended.html", title="This share has ended", state=state.value), 410


def _locked_page():
    return render_template("police/locked.html", title="This share is locked"), 423


def _accepted(share: Share):
    _grant_access(share)
    shares.record_open(share, describe_client(request.headers.get("User-Agent")))
    record_event(Action.SHARE_OPEN, person_id=share.person_id, detail=f"share {share.id}")
    notices.share_opened(share, describe_client(request.headers.get("User-Agent")))
    return redirect(url_for("police.view", reference=shares.format_code(share.reference)), code=303)


def _count_wrong(share: Share, outcome: CodeCheck) -> None:
    """Record an evaluated wrong code; the one that locked the share also tells every carer (once)."""
    if outcome in (CodeCheck.WRONG, CodeCheck.LOCKED_NOW):
        record_event(Action.SHARE_WRONG_CODE, person_id=share.person_id, detail=f"share {share.id}")
    if outcome is CodeCheck.LOCKED_NOW:
        record_event(Action.SHARE_LOCK, person_id=share.person_id, detail=f"share {share.id}")
        notices.share_locked(share)


# --- ways in ---------------------------------------------------------------------------------------


@bp.route("/", methods=["GET", "POST"])  # as typed from a phone call, with or without the slash
@bp.route("", methods=["GET", "POST"])  # registered first, so links and the read-out text use /police
@police_reference_limits
def enter():
    """The fixed police address: reference + access code, as read out over the phone."""
    form = PoliceEntryForm()
    if request.method == "GET" and request.args.get("reference"):
        form.reference.data = shares.normalise_code(request.args["reference"])[: shares.REFERENCE_LENGTH]
        if len(form.reference.data) == shares.REFERENCE_LENGTH:
            form.reference.data = shares.format_code(form.reference.data)
    if form.validate_on_submit():
        if pressure.refused():  # before any look-up: a refusal says nothing about the reference
            wait = pressure.seconds_until_allowed()
            page = render_template(
                "police/too_many.html", title="Too many wrong references from this device", minutes=-(-wait // 60)
            )
            return page, 429, {"Retry-After": str(wait)}
        share = shares.find_by_reference(form.reference.data)
        if share is None:
            shares.hash_code("0" * 64, shares.normalise_code(form.code.data))  # about the same work as a real check
        else:
            state = shares.state_of(share)
            if state is ShareState.ACTIVE:
                outcome = shares.check_code(share, form.code.data)
                if outcome is CodeCheck.ACCEPTED:
                    return _accepted(share)
                _count_wrong(share, outcome)
            elif shares.code_matches(share, form.code.data):
                # Only someone holding the right code learns that the share ended or locked.
                return _locked_page() if state is ShareState.LOCKED else _ended_page(state)
        pressure.count_failure()
        form.reference.errors = [NOT_RIGHT]
    return render_template(
        "police/enter.html", title="Open a Herbert Protocol form", form=form, police_address=police_address()
    )


@bp.route("/share/<token>", methods=["GET", "POST"])
@share_code_limits
def open_share(token: str):
    """The link (QR code, text message) + the access code."""
    share, stop = _share_or_stop(token)
    if share is None:
        return stop
    if request.method == "GET" and _has_access(share):
        return redirect(url_for("police.view", reference=shares.format_code(share.reference)), code=303)
    form = AccessCodeForm()
    if form.validate_on_submit():
        outcome = shares.check_code(share, form.code.data)
        if outcome is CodeCheck.ACCEPTED:
            return _accepted(share)
        _count_wrong(share, outcome)
        if outcome in (CodeCheck.LOCKED, CodeCheck.LOCKED_NOW):
            return _locked_page()
        left = shares.tries_left(share)
        form.code.errors = [
            f"The access code is not right. Check it with the family or carer. {left} "
            f"{'try' if left == 1 else 'tries'} left before the share locks."
        ]
    return render_template("police/code.html", title="Enter the access code", form=form, token=token)


# --- the form, after the code ------------------------------------------------------------------------


def _share_with_access(reference: str) -> tuple[Share | None, Any]:
    """The share this device may read, or (None, the response): without the marker, back to /police (the same
    for an unknown reference); with it, 410 or 423 when the share ended or locked meanwhile."""
    share = shares.find_by_reference(reference)
    if share is None or not _has_access(share):
        return None, redirect(url_for("police.enter", reference=reference))
    state = shares.state_of(share)
    if state in (ShareState.EXPIRED, ShareState.REVOKED):
        return None, _ended_page(state)
    if state is ShareState.LOCKED:
        return None, _locked_page()
    return share, None


@bp.route("/form/<reference>")
def view(reference: str):
    share, stop = _share_with_access(reference)
    if share is None:
        return stop
    snap = _snapshot_or_stop(share)
    sheet = grab_sheet.grab_sheet(snap, uk_now().date())
    known_as = f", answers to {sheet.preferred_name}" if sheet.preferred_name else ""
    return render_template(
        "police/view.html",
        title=f"{sheet.name}{known_as}: Herbert Protocol form",
        reference=shares.format_code(share.reference),
        share=share,
        snap=snap,
        sheet=sheet,
        sections=form_rows.document_rows(snap.get("document", {})),
        report_rows=missing.report_rows(snap.get("missing_report") or {}, _captions(snap)),
        photos=snap.get("photos", []),
        pdf_updating=share_pdfs.pdf_is_updating(share),
        close_form=ButtonForm(),
    )


def _captions(snap: dict[str, Any]) -> dict[str, str]:
    return {p["id"]: p.get("caption") or "Clothing photo" for p in snap.get("photos", []) if "id" in p}


def _require_access(reference: str) -> tuple[Share, dict[str, Any]]:
    share, _stop = _share_with_access(reference)
    if share is None:
        abort(404)
    return share, _snapshot_or_stop(share)


@bp.route("/form/<reference>/photos/<int:number>.jpg")
def photo(reference: str, number: int):
    """A photo of this share only (by its place in the snapshot), for a device that has the access marker."""
    _share, snap = _require_access(reference)
    photos = snap.get("photos", [])
    if not 1 <= number <= len(photos):
        abort(404)
    response = Response(base64.b64decode(photos[number - 1]["jpeg"]), mimetype="image/jpeg")
    response.headers["Content-Disposition"] = 'inline; filename="photo.jpg"'
    return response


def _police_line(share: Share) -> str:
    return share_messages.footer_line(police_address(), shares.format_code(share.reference))


@bp.route("/form/<reference>/pdf")
@share_download_limits
def pdf(reference: str):
    share, _stop = _share_with_access(reference)  # the kept PDF needs no snapshot opened
    if share is None:
        abort(404)
    document = share_pdfs.share_pdf(share)  # the kept copy whenever there is one: no render while police wait
    if document is None:
        abort(503)
    record_event(Action.SHARE_PDF, person_id=share.person_id, detail=f"share {share.id}")
    return send_file(io.BytesIO(document), mimetype="application/pdf", download_name="herbert-protocol.pdf")


@bp.route("/form/<reference>/export.zip")
@share_download_limits
def export_package(reference: str):
    share, snap = _require_access(reference)
    content = export.content_for_snapshot(snap)
    document = share_pdfs.share_pdf(share)  # the package still goes out without a PDF if rendering fails
    record_event(Action.SHARE_EXPORT, person_id=share.person_id, detail=f"share {share.id}")
    return send_file(
        io.BytesIO(export.build_package(content, document, _police_line(share))),
        mimetype="application/zip",
        as_attachment=True,
        download_name=export.download_name(),
    )


@bp.route("/form/<reference>/close", methods=["POST"])
def close(reference: str):
    """Forget this device's access to the share (the reference or link still works with the code)."""
    granted = dict(session.get(ACCESS) or {})
    share = shares.find_by_reference(reference)
    if share is not None:
        granted.pop(str(share.id), None)
    session[ACCESS] = granted
    return render_template("police/closed.html", title="You have closed the form")


def _label(source: str) -> str:
    return f"Version {source[1:]}" if source.startswith("v") else "Draft (not yet published)"
