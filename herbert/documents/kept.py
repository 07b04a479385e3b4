"""PDFs rendered once and kept, sealed with the person's key, so a download does not wait for a render.

A published version's PDF also shows the current photos, the open missing-now report and the date printed,
so it is kept together with a fingerprint of those inputs (`revisions.pdf_sealed`), and rendered again only
when one of them changed. A share's PDF (herbert.handover.share_pdfs) is made in the background with `soon`.
The kept copies go with the person (erasure destroys the key, then deletes the rows).

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
from herbert.models import Person, Revision
from herbert.records import store

log = logging.getLogger(__name__)
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
