"""PDFs rendered once and kept, sealed with the person's key, so a download does not wait for a render.

A published version's PDF also shows the current photos, the open missing-now report and the date printed,
so it is kept together with a fingerprint of those inputs (`revisions.pdf_sealed`), and rendered again only
when one of them changed; the kept copy is dropped as soon as a photo or the report changes (the record store
and the missing-now report do it), so a deleted photo or a closed report does not live on inside it. A share's
PDF (herbert.handover.shares.pdfs) is made in the background with `soon`, which coalesces and bounds the work.
The kept copies go with the person (erasure destroys the key, then deletes the rows).

Only herbert.records.store seals and opens: this module hands it bytes.
"""

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from flask import Flask, current_app

from herbert.extensions import db
from herbert.models import Person, Revision
from herbert.records import store

log = logging.getLogger(__name__)
MAX_WAITING = 20  # background renders waiting to start, per process; more are dropped (the download renders)
_executor: ThreadPoolExecutor | None = None
_lock = threading.Lock()
_waiting: dict[str, Future] = {}  # renders queued and not yet started, by what they make ("share 12")
_pending: list[Future] = []  # every render not yet finished (for wait_for_pending)


# --- background rendering ---------------------------------------------------------------------------


def _background() -> ThreadPoolExecutor:
    """One thread per process: kept PDFs are made one at a time, so they never crowd out a carer's or an
    officer's own render in the PDF pool."""
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kept-pdf")
    return _executor


def _in_app(app: Flask, key: str, work: Callable[..., Any], *args: Any) -> None:
    with _lock:
        _waiting.pop(key, None)  # started: a change from now on needs a render of its own
    with app.app_context():
        try:
            work(*args)
        except Exception:  # a background render must never take the process down; the download renders instead
            log.exception("keeping a police PDF failed (%s)", getattr(work, "__name__", "work"))
        finally:
            db.session.remove()


def soon(work: Callable[..., Any], *args: Any, key: str) -> bool:
    """Run `work(*args)` in an app context of its own, in the background; False when it was not queued.

    Bounded, because carers' actions feed it: `key` names what the work makes ("share 12"), and while a
    render of it is waiting to start no second one is queued. The waiting one reads the latest state when it
    starts, so a newer snapshot simply replaces the older one; a render already running finishes, and its
    result is kept only if the snapshot is still the one it rendered (herbert.handover.shares.pdfs). So each
    share has at most one render running and one waiting. At most MAX_WAITING renders wait in all; past that
    nothing is queued (logged), and the kept copy or a render on download serves instead. With
    PREPARE_POLICE_PDFS off (the test suite, to spare its CPU) nothing is prepared and the first download renders
    and keeps the PDF."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config.get("PREPARE_POLICE_PDFS", True):
        return False
    with _lock:
        _pending[:] = [future for future in _pending if not future.done()]
        if key in _waiting:
            return True  # coalesced: the waiting render will make the newest
        if _queued() >= MAX_WAITING:
            log.warning("background PDF queue full (%s waiting): %s not queued", _queued(), key.split(" ")[0])
            return False
        # The job's first step takes this lock to leave _waiting, so it cannot start before it is listed there.
        future = _background().submit(_in_app, app, key, work, *args)
        _waiting[key] = future
        _pending.append(future)
    return True


def _queued() -> int:
    """Jobs in the executor's queue that have not started (the caller holds _lock)."""
    return sum(1 for future in _pending if not future.done() and not future.running())


def waiting() -> int:
    """Renders queued and not started (for tests and operators)."""
    with _lock:
        return _queued()


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
