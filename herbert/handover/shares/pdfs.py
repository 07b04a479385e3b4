"""A share's police PDF, rendered once and kept, sealed with the person's key: the police download never waits.

A share's snapshot does not change (only its missing-now report, when the carer adds details), so its PDF is
rendered in the background as soon as the share is made, and again when the report changes, and kept in
`shares.pdf_sealed` with a stamp naming the snapshot it was made from. The police download and the export
package only unseal it: when the details have changed since, they get the kept PDF at once (the police view
says it is being brought up to date) while the new one renders, rather than waiting for a render. Only when no
PDF is kept at all (the process restarted mid-render, or rendering failed) does the download render it once
and keep it.

A render is kept only if the share is still live and its snapshot is still the one rendered, decided by one
conditional UPDATE, so a render that finishes just as the share ends, locks or gets new details is dropped.
The kept copy goes whenever the sealed snapshot goes (share ended or locked: see lifecycle.py; expired: the job runner's
herbert.jobs.housekeeping.drop_expired_snapshots, within a minute) and with
the person (erasure destroys the key, then deletes the rows).
"""

import hashlib
from dataclasses import dataclass

from herbert.clock import utcnow
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
STAMP = b"snapshot "  # sealed before the PDF: "snapshot <sha256 of the sealed snapshot it shows>\n"


@dataclass(frozen=True)
class KeptPdf:
    body: bytes
    current: bool  # made from the share's snapshot as it is now (False: newer details are being rendered)


# --- shares -------------------------------------------------------------------------------------------


def _person_of(share: Share) -> Person:
    person = db.session.get(Person, share.person_id)
    if person is None:
        raise store.RecordUnreadable("the share's person is gone")
    return person


def _stamp(snapshot_sealed: bytes) -> bytes:
    return STAMP + hashlib.sha256(snapshot_sealed).hexdigest().encode("ascii") + b"\n"


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


def _keep_if_unchanged(share: Share, snapshot_then: bytes, body: bytes) -> bool:
    """Store the PDF rendered from `snapshot_then`, in one conditional UPDATE: only while the share is live and
    its snapshot is still that one (not ended, locked, expired or given new details since the render began)."""
    sealed = store.seal_bytes_for(_person_of(share), shares.TABLE, share.id, SHARE_PART, _stamp(snapshot_then) + body)
    db.session.commit()  # start the write in a fresh transaction (SQLite refuses a write after a stale read)
    kept = db.session.execute(
        db.update(Share)
        .where(
            Share.id == share.id,
            Share.snapshot_sealed == snapshot_then,
            Share.revoked_at.is_(None),
            Share.locked_at.is_(None),
            Share.expires_at > utcnow(),
        )
        .values(pdf_sealed=sealed)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    db.session.refresh(share)
    return bool(kept)


def keep_share_pdf(share_id: int) -> bool:
    """Render and keep a live share's PDF (the background job); False when nothing was kept (the share can no
    longer open, its kept PDF is already current, or the snapshot changed while rendering)."""
    share = db.session.get(Share, share_id)
    if share is None or shares.state_of(share) is not shares.ShareState.ACTIVE or not share.snapshot_sealed:
        return False
    kept = kept_pdf(share)
    if kept is not None and kept.current:
        return False  # coalesced work that an earlier render already did
    snapshot_then = bytes(share.snapshot_sealed)
    db.session.commit()  # no read transaction held open while rendering
    return _keep_if_unchanged(share, snapshot_then, render_share_pdf(share))


def keep_share_pdf_soon(share: Share) -> bool:
    """Queue the render (at most one waiting per share; see herbert.documents.kept.soon)."""
    return soon(keep_share_pdf, share.id, key=f"share {share.id}")


def kept_pdf(share: Share) -> KeptPdf | None:
    """The kept PDF of a share, unsealed, and whether it shows the snapshot as it is now; None if none is kept."""
    if not share.pdf_sealed:
        return None
    body = store.open_bytes_for(_person_of(share), shares.TABLE, share.id, SHARE_PART, bytes(share.pdf_sealed))
    if not body.startswith(STAMP):
        return KeptPdf(body, True)  # kept before stamps, when a change of snapshot dropped the kept copy
    stamp, _, pdf = body.partition(b"\n")
    return KeptPdf(pdf, stamp + b"\n" == _stamp(bytes(share.snapshot_sealed or b"")))


def share_pdf(share: Share) -> bytes | None:
    """The share's PDF for a police download, without waiting for a render whenever one is kept: the kept copy
    (when the details changed since, the new render is queued and the next download gets it). Rendered (and
    kept) now only if none is kept. None if rendering failed (the renderer has logged it)."""
    kept = kept_pdf(share)
    if kept is not None:
        if not kept.current:
            keep_share_pdf_soon(share)  # queued already after the change; again in case that render was lost
        return kept.body
    snapshot_then = bytes(share.snapshot_sealed or b"")
    try:
        body = render_share_pdf(share)
    except PdfError:
        return None
    _keep_if_unchanged(share, snapshot_then, body)
    return body


def pdf_is_updating(share: Share) -> bool:
    """True when the kept PDF shows older details than the share now has (a new one is on its way)."""
    kept = kept_pdf(share)
    return kept is not None and not kept.current
