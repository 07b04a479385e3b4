"""The police side of a share: access code entry and the read-only view (security.md B15).

The token in the URL is the capability (it is not personal data); the access code, read out over the phone,
is the second factor. After the right code, the server session holds only a short-lived marker (share id
and until when), never anything about the person. Every police page is sent with Referrer-Policy
no-referrer, X-Robots-Tag noindex and Cache-Control no-store.
"""

import base64
import io
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Response, abort, g, redirect, render_template, request, send_file, session, url_for

from herbert.audit import record_event
from herbert.auth.limits import share_code_limits
from herbert.auth.sessions import rotate_session
from herbert.clock import utcnow
from herbert.handover import export, missing, police_pdf, shares, view_rows
from herbert.handover.clients import describe_client
from herbert.handover.forms import AccessCodeForm, ButtonForm
from herbert.handover.shares import ShareState
from herbert.models import Share
from herbert.pdf import PdfError
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
        return None, (render_template("police/ended.html", title="This link has ended", state=state.value), 410)
    if state is ShareState.LOCKED:
        return None, (render_template("police/locked.html", title="This link is locked"), 423)
    return share, None


def _snapshot_or_stop(share: Share) -> dict[str, Any]:
    try:
        return shares.open_snapshot(share)
    except RecordUnreadable:
        abort(410)


# --- pages ----------------------------------------------------------------------------------------


@bp.route("/share/<token>", methods=["GET", "POST"])
@share_code_limits
def open_share(token: str):
    share, stop = _share_or_stop(token)
    if share is None:
        return stop
    if request.method == "GET" and _has_access(share):
        snap = _snapshot_or_stop(share)
        return render_template(
            "police/view.html",
            title="Herbert Protocol form",
            token=token,
            share=share,
            snap=snap,
            sections=view_rows.document_rows(snap.get("document", {})),
            report_rows=missing.report_rows(snap.get("missing_report") or {}, _captions(snap)),
            photos=snap.get("photos", []),
            close_form=ButtonForm(),
        )
    form = AccessCodeForm()
    if form.validate_on_submit():
        if shares.code_matches(share, form.code.data):
            _grant_access(share)
            shares.record_open(share, describe_client(request.headers.get("User-Agent")))
            record_event("share.open", person_id=share.person_id, detail=f"share {share.id}")
            return redirect(url_for("police.open_share", token=token), code=303)
        locked = shares.register_wrong_code(share)
        record_event("share.wrong-code", person_id=share.person_id, detail=f"share {share.id}")
        if locked:
            record_event("share.locked", person_id=share.person_id, detail=f"share {share.id}")
            return render_template("police/locked.html", title="This link is locked"), 423
        left = shares.MAX_WRONG_CODES - share.failed_attempts
        form.code.errors = [
            f"The access code is not right. Check it with the family or carer. {left} "
            f"{'try' if left == 1 else 'tries'} left before the link locks."
        ]
    return render_template("police/code.html", title="Enter the access code", form=form, token=token)


def _captions(snap: dict[str, Any]) -> dict[str, str]:
    return {p["id"]: p.get("caption") or "Clothing photo" for p in snap.get("photos", []) if "id" in p}


def _require_access(token: str) -> tuple[Share, dict[str, Any]]:
    share, _stop = _share_or_stop(token)
    if share is None or not _has_access(share):
        abort(404)
    return share, _snapshot_or_stop(share)


@bp.route("/share/<token>/photos/<int:number>.jpg")
def photo(token: str, number: int):
    """A photo of this share only (by its place in the snapshot), for a page that has the access marker."""
    _share, snap = _require_access(token)
    photos = snap.get("photos", [])
    if not 1 <= number <= len(photos):
        abort(404)
    response = Response(base64.b64decode(photos[number - 1]["jpeg"]), mimetype="image/jpeg")
    response.headers["Content-Disposition"] = 'inline; filename="photo.jpg"'
    return response


def _render_share_pdf(content: export.PackageContent, snap: dict) -> bytes | None:
    """The police PDF of what was shared, or None when rendering failed (already logged by herbert.pdf)."""
    try:
        return police_pdf.render(
            content.document,
            content.pdf_photos(),
            version_label=_label(snap.get("source", "")),
            missing_report=content.missing_report,
        )
    except PdfError:
        return None


@bp.route("/share/<token>/form.pdf")
def pdf(token: str):
    share, snap = _require_access(token)
    content = export.content_for_snapshot(snap)
    document = _render_share_pdf(content, snap)
    if document is None:
        abort(503)
    record_event("share.pdf", person_id=share.person_id, detail=f"share {share.id}")
    return send_file(io.BytesIO(document), mimetype="application/pdf", download_name="herbert-protocol.pdf")


@bp.route("/share/<token>/export.zip")
def export_package(token: str):
    share, snap = _require_access(token)
    content = export.content_for_snapshot(snap)
    document = _render_share_pdf(content, snap)  # the package still goes out without a PDF if rendering fails
    record_event("share.export", person_id=share.person_id, detail=f"share {share.id}")
    return send_file(
        io.BytesIO(export.build_package(content, document)),
        mimetype="application/zip",
        as_attachment=True,
        download_name=export.download_name(),
    )


@bp.route("/share/<token>/close", methods=["POST"])
def close(token: str):
    """Forget this device's access to the share (the link still works with the code)."""
    granted = dict(session.get(ACCESS) or {})
    share = shares.find_share(token)
    if share is not None:
        granted.pop(str(share.id), None)
    session[ACCESS] = granted
    return render_template("police/closed.html", title="You have closed the form")


def _label(source: str) -> str:
    return f"Version {source[1:]}" if source.startswith("v") else "Draft (not yet published)"
