"""The carer's PDF downloads: the draft, a published version, the appeal poster and the missing-now PDF to hand to
police (the police's own download is in herbert.handover.police.views)."""

from typing import Any

from flask import Blueprint, Response, render_template

from herbert.access import Permission, current_person, person_required
from herbert.audit import Action, record_event
from herbert.auth.limits import pdf_limits
from herbert.clock import utcnow
from herbert.documents import kept, renderer
from herbert.documents.police_form import handover_meta, long_date, render_police_pdf
from herbert.documents.poster import publicity_consented, render_appeal_poster
from herbert.documents.printed_photos import Photo
from herbert.handover.missing import report as missing
from herbert.handover.shares import snapshot
from herbert.questions import registry
from herbert.records import store

bp = Blueprint("documents", __name__)


def documents_panel(person: Any, draft: registry.Document | None = None) -> dict[str, Any]:
    """For templates/people/_documents_panel.html: published versions, whether a draft exists, the poster."""
    if draft is None:
        draft = store.load_draft(person)
    return {
        "versions": [
            {"number": r["number"], "published": long_date(r["published_at"])} for r in store.list_revisions(person)
        ],
        "has_draft": bool(draft),
        "poster": publicity_consented(draft),
    }


def _photos_of(person: Any) -> list[Photo]:
    return [(details, store.open_photo(person, details["id"])) for details in store.list_photos(person)]


def _open_missing_report(person: Any) -> dict[str, Any] | None:
    """The missing-now report while the person is missing (it goes on top of page 1), else None."""
    report = missing.open_report(person)
    return (missing.load_report(person, report) or None) if report is not None else None


def _pdf_response(body: bytes, filename: str, *, inline: bool = False) -> Response:
    """inline: the browser shows it at once (the missing-now PDF, to read out or print), else it downloads."""
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _failed(error: renderer.PdfError):
    timed_out = isinstance(error, renderer.PdfTimeout)
    busy = isinstance(error, renderer.PdfBusy)
    page = render_template(
        "documents/pdf_failed.html", title="The PDF could not be made", timed_out=timed_out, busy=busy
    )
    return page, 503, {"Retry-After": "60"}


def _today_stamp() -> str:
    return utcnow().date().isoformat()


@bp.route("/people/<person_id>/pdf/draft")
@person_required(Permission.VIEW)
@pdf_limits
def draft_pdf(person_id: str):
    person = current_person()
    document = store.load_draft(person)
    meta = {"version": None, "draft": True, "next_review_on": person.next_review_on}
    try:
        body = render_police_pdf(document, _photos_of(person), meta=meta, missing_report=_open_missing_report(person))
    except renderer.PdfError as error:
        return _failed(error)
    record_event(Action.PDF_DOWNLOAD, person_id=person.id, detail="draft")
    return _pdf_response(body, f"herbert-protocol-draft-{_today_stamp()}.pdf")


@bp.route("/people/<person_id>/pdf/version/<int:number>")
@person_required(Permission.VIEW)
@pdf_limits
def version_pdf(person_id: str, number: int):
    person = current_person()
    document = store.load_revision(person, number)  # 404 if there is no such version
    published = next((r["published_at"] for r in store.list_revisions(person) if r["number"] == number), None)
    review = document.get(registry.CONSENT_SECTION) or {}
    meta = {
        "version": number,
        "draft": False,
        "completed_on": review.get("date_completed") or published,
        "next_review_on": review.get("next_review_date"),
    }
    photos, report = _photos_of(person), _open_missing_report(person)
    # Rendered once and kept, until a photo, the missing-now report or the date printed changes.
    made_from = kept.fingerprint([details for details, _jpeg in photos], report, meta, _today_stamp())
    body = kept.kept_version_pdf(person, number, made_from)
    if body is None:
        try:
            body = render_police_pdf(document, photos, meta=meta, missing_report=report)
        except renderer.PdfError as error:
            return _failed(error)
        kept.keep_version_pdf(person, number, made_from, body)
    record_event(Action.PDF_DOWNLOAD, person_id=person.id, detail=f"v{number}")
    return _pdf_response(body, f"herbert-protocol-v{number}-{_today_stamp()}.pdf")


@bp.route("/people/<person_id>/pdf/poster")
@person_required(Permission.VIEW)
@pdf_limits
def poster(person_id: str):
    """The appeal poster from the current answers (the draft), only with publicity consent."""
    person = current_person()
    document = store.load_draft(person)
    if not publicity_consented(document):
        return render_template(
            "documents/poster_refused.html", title="No appeal poster for this person", person=person
        ), 404
    primary = next((details for details in store.list_photos(person) if details.get("is_primary")), None)
    photo = (primary, store.open_photo(person, primary["id"])) if primary else None
    try:
        body = render_appeal_poster(document, photo, {})
    except renderer.PdfError as error:
        return _failed(error)
    record_event(Action.PDF_DOWNLOAD, person_id=person.id, detail="poster")
    return _pdf_response(body, f"missing-person-appeal-{_today_stamp()}.pdf")


@bp.route("/people/<person_id>/pdf/missing")
@person_required(Permission.EMERGENCY)
@pdf_limits
def missing_pdf(person_id: str):
    """The PDF the carer hands police now: the current form with the missing-now report on top of page 1."""
    person = current_person()
    source = snapshot.default_source(person)
    report_row = missing.open_report(person)
    photos = [
        (snapshot.photo_details(p) | {"id": p["id"]}, store.open_photo(person, p["id"]))
        for p in store.list_photos(person)
    ]
    try:
        body = render_police_pdf(
            snapshot.load_source(person, source),
            photos,
            meta=handover_meta(snapshot.source_label(source)),
            missing_report=missing.load_report(person, report_row) if report_row else None,
            lane=renderer.POLICE,  # the carer is handing this to police now: it must not queue behind drafts
        )
    except renderer.PdfError as error:
        return _failed(error)
    record_event(Action.MISSING_PDF, person_id=person.id, detail=source)
    return _pdf_response(body, f"herbert-protocol-missing-now-{_today_stamp()}.pdf", inline=True)
