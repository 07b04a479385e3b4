"""Police PDFs rendered once and kept, sealed with the person's key: the police download never waits for a render.

A share's snapshot does not change (only its missing-now report, when the carer adds details), so its PDF is
rendered in the background as soon as the share is made, and again when the report changes, and kept in
`shares.pdf_sealed`. The police download and the export package then only unseal it. If it is not there
yet (the process restarted mid-render, or rendering failed), the download renders it once and keeps it.
The kept copy goes whenever the sealed snapshot goes (share ended, locked, expired: see shares.py) and with
the person (erasure destroys the key, then deletes the rows).

A published version's PDF also shows the current photos, the open missing-now report and the date printed,
so it is kept together with a fingerprint of those inputs (`revisions.pdf_sealed`), and rendered again
only when one of them changed.

Only herbert.records.store seals and opens: this module hands it bytes.
"""

import hashlib
import json
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from flask import Flask, current_app

from herbert.extensions import db
from herbert.handover import share_messages, shares
from herbert.models import Person, Revision, Share
from herbert.pdf import POLICE, PdfError
from herbert.records import store

log = logging.getLogger(__name__)
SHARE_PART = "pdf"
_executor: ThreadPoolExecutor | None = None
_pending: list[Future] = []


# --- background rendering ---------------------------------------------------------------------------


def _background() -> ThreadPoolExecutor:
    """One thread per process: kept PDFs are made one at a time, so they never crowd out a carer's or an
    officer's own render in the PDF pool."""
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kept-pdf")
    return _executor


def _in_app(app: Flask, work: Callable[..., Any], *args: Any) -> None:
    with app.app_context():
        try:
            work(*args)
        except Exception:  # a background render must never take the process down; the download renders instead
            log.exception("keeping a police PDF failed (%s)", getattr(work, "__name__", "work"))
        finally:
            db.session.remove()


def soon(work: Callable[..., Any], *args: Any) -> None:
    """Run `work(*args)` in an app context of its own, in the background. With PREPARE_POLICE_PDFS off (the
    test suite, to spare its CPU) nothing is prepared and the first download renders and keeps the PDF."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config.get("PREPARE_POLICE_PDFS", True):
        return
    _pending[:] = [future for future in _pending if not future.done()]
    _pending.append(_background().submit(_in_app, app, work, *args))


def wait_for_pending(timeout: float = 60) -> None:
    """For tests and benches: wait until every queued render is kept."""
    for future in list(_pending):
        future.result(timeout=timeout)


# --- shares -------------------------------------------------------------------------------------------


def _person_of(share: Share) -> Person:
    person = db.session.get(Person, share.person_id)
    if person is None:
        raise store.RecordUnreadable("the share's person is gone")
    return person


def render_share_pdf(share: Share) -> bytes:
    """Render the police PDF of a share's snapshot now (raises PdfError / RecordUnreadable)."""
    from herbert.handover import export, police_pdf
    from herbert.links import police_address

    snap = shares.open_snapshot(share)
    content = export.content_for_snapshot(snap)
    source = snap.get("source", "")
    return police_pdf.render(
        content.document,
        content.pdf_photos(),
        version_label=f"Version {source[1:]}" if source.startswith("v") else "Draft (not yet published)",
        missing_report=content.missing_report,
        police_line=share_messages.footer_line(police_address(), shares.format_code(share.reference)),
        lane=POLICE,  # police PDFs have their own render worker (herbert.pdf)
    )


def keep_share_pdf(share_id: int) -> bool:
    """Render and keep a live share's PDF (the background job); False when the share can no longer open."""
    share = db.session.get(Share, share_id)
    if share is None or shares.state_of(share) is not shares.ShareState.ACTIVE or not share.snapshot_sealed:
        return False
    snapshot_then = bytes(share.snapshot_sealed)
    body = render_share_pdf(share)
    db.session.refresh(share)
    if bytes(share.snapshot_sealed or b"") != snapshot_then:
        return False  # the snapshot changed (new details) or went (share ended) while we rendered
    share.pdf_sealed = store.seal_bytes_for(_person_of(share), shares.TABLE, share.id, SHARE_PART, body)
    db.session.commit()
    return True


def keep_share_pdf_soon(share: Share) -> None:
    soon(keep_share_pdf, share.id)


def forget_share_pdf(share: Share) -> None:
    """The snapshot changed: the kept PDF no longer matches it (the caller commits)."""
    share.pdf_sealed = None


def share_pdf(share: Share) -> bytes | None:
    """The kept PDF of a share, unsealed; rendered (and kept) now only if it is not there. None if rendering
    failed (herbert.pdf has logged it)."""
    if share.pdf_sealed:
        return store.open_bytes_for(_person_of(share), shares.TABLE, share.id, SHARE_PART, bytes(share.pdf_sealed))
    try:
        body = render_share_pdf(share)
    except PdfError:
        return None
    share.pdf_sealed = store.seal_bytes_for(_person_of(share), shares.TABLE, share.id, SHARE_PART, body)
    db.session.commit()
    return body


# --- published versions ----------------------------------------------------------------------------------


def fingerprint(*inputs: Any) -> str:
    """What a version's PDF was made from, beyond the version itself (photos, report, date printed)."""
    text = json.dumps(inputs, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def kept_version_pdf(person: Person, number: int, made_from: str) -> bytes | None:
    row = _revision(person, number)
    if row is None or not row.pdf_sealed:
        return None
    try:
        kept = store.open_bytes_for(person, "revisions", person.id, f"v{number}/pdf", bytes(row.pdf_sealed))
    except store.RecordUnreadable:
        return None
    stamp, _, body = kept.partition(b"\n")
    return body if stamp.decode("ascii", "replace") == made_from else None


def keep_version_pdf(person: Person, number: int, made_from: str, body: bytes) -> None:
    row = _revision(person, number)
    if row is None:
        return
    row.pdf_sealed = store.seal_bytes_for(
        person, "revisions", person.id, f"v{number}/pdf", made_from.encode("ascii") + b"\n" + body
    )
    db.session.commit()


def _revision(person: Person, number: int) -> Revision | None:
    return db.session.execute(db.select(Revision).filter_by(person_id=person.id, number=number)).scalar_one_or_none()
