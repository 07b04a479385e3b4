"""A police share's PDF, rendered once and kept, sealed with the person's key: the police download never waits.

A share's snapshot does not change (only its missing-now report, when the carer adds details), so its PDF is
rendered in the background as soon as the share is made, and again when the report changes, and kept in
`shares.pdf_sealed`. The police download and the export package then only unseal it. If it is not there
yet (the process restarted mid-render, or rendering failed), the download renders it once and keeps it.
The kept copy goes whenever the sealed snapshot goes (share ended or locked: see lifecycle.py; expired: the
job runner's herbert.jobs.housekeeping.drop_expired_snapshots, within a minute) and with the person (erasure
destroys the key, then deletes the rows).
"""

from herbert.documents.kept import soon
from herbert.documents.police_form import handover_meta, render_police_pdf
from herbert.documents.renderer import POLICE, PdfError
from herbert.extensions import db
from herbert.handover.shares import lifecycle as shares
from herbert.handover.shares import messages as share_messages
from herbert.handover.shares import snapshot
from herbert.handover.transfer import export
from herbert.links import police_address
from herbert.models import Person, Share
from herbert.records import store

SHARE_PART = "pdf"


# --- shares -------------------------------------------------------------------------------------------


def _person_of(share: Share) -> Person:
    person = db.session.get(Person, share.person_id)
    if person is None:
        raise store.RecordUnreadable("the share's person is gone")
    return person


def render_share_pdf(share: Share) -> bytes:
    """Render the police PDF of a share's snapshot now (raises PdfError / RecordUnreadable)."""
    snap = shares.open_snapshot(share)
    content = export.content_for_snapshot(snap)
    meta = handover_meta(
        snapshot.source_label(snap.get("source", "")),
        share_messages.footer_line(police_address(), shares.format_code(share.reference)),
    )
    # police PDFs have their own render worker (documents.renderer)
    return render_police_pdf(
        content.document, content.pdf_photos(), meta=meta, missing_report=content.missing_report, lane=POLICE
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
    failed (the renderer has logged it)."""
    if share.pdf_sealed:
        return store.open_bytes_for(_person_of(share), shares.TABLE, share.id, SHARE_PART, bytes(share.pdf_sealed))
    try:
        body = render_share_pdf(share)
    except PdfError:
        return None
    share.pdf_sealed = store.seal_bytes_for(_person_of(share), shares.TABLE, share.id, SHARE_PART, body)
    db.session.commit()
    return body


