"""The one place WeasyPrint runs: an HTML string in, tagged PDF/UA bytes out, fetching nothing.

Safety (security.md B8):
- The URL fetcher allows data: URIs only (photos are inlined); file:, http(s):, ftp: and relative
  URLs raise, so a hostile answer can never make the server read a local file or call the network.
- No attachments: none are passed, and any that the HTML asks for (<link rel=attachment>,
  <a rel=attachment>) are dropped from the laid-out document before the PDF is written.
- Links: only links within the document and http(s):, mailto:, tel: and sms: links are kept; javascript:,
  data:, file: and every other scheme are dropped, should one ever reach the renderer.
- No producer banner: the PDF's Info dictionary and XMP metadata name the service, not WeasyPrint's version.
- Rendering happens in a long-lived worker process (a fresh interpreter, so it never inherits the web
  process's database connections, keys or HERBERT_* settings). Each render has a time limit; a worker
  that overruns is killed and replaced, and the caller gets PdfTimeout.
- WeasyPrint's own log messages can quote document content, so the worker silences them; our log
  lines name the event and the size of the input only.

tests/documents/test_pdf_safety.py fails if any other module imports or calls WeasyPrint.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import subprocess  # nosec B404
import sys
import threading
import time
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 20.0
DEFAULT_WORKERS = 2
DEFAULT_POLICE_WORKERS = 1  # reserved for police renders on top of DEFAULT_WORKERS
DEFAULT_QUEUE_SECONDS = 1.0  # how long a carer's render may wait for a worker before "try again"
DEFAULT_POLICE_QUEUE_SECONDS = 10.0  # police wait longer: their reserved worker is rarely busy for long
CARER, POLICE = "carer", "police"  # the two lanes a render can ask for
SHARED, RESERVED = "shared", "reserved"  # the two kinds of worker capacity
RENDERS_PER_WORKER = 200  # recycle a worker now and then so one large render's memory is given back
PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])  # so `python -m herbert.documents.renderer` finds the package
PDF_VARIANT = "pdf/ua-1"  # tagged PDF with a structure tree, /MarkInfo, /Lang and a displayed title
PRODUCER = "Herbert Protocol form"  # in place of "WeasyPrint <version>" (no version banners)
LINK_SCHEMES = ("http:", "https:", "mailto:", "tel:", "sms:")


class PdfError(Exception):
    """The PDF could not be made. The message never holds personal data."""


class PdfTimeout(PdfError):
    """The render ran past its time limit; the worker doing it was killed and replaced."""


class PdfBusy(PdfError):
    """Every worker this render may use stayed busy past the wait allowed: nothing was queued; try again."""


class FetchRefused(ValueError):
    """A resource other than a data: URI was asked for. WeasyPrint skips the resource and carries on."""


# --- the render itself (runs inside the worker; also callable directly by the bench) ----------------


def _data_only_fetcher() -> Any:
    """A WeasyPrint URL fetcher that serves data: URIs and refuses everything else before any I/O."""
    from weasyprint.urls import URLFetcher

    class DataOnlyFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            if not isinstance(url, str) or not url[:5].lower() == "data:":
                raise FetchRefused("only data: URIs may be used in a PDF")
            return super().fetch(url, headers)

    # allowed_protocols is a second lock on the same door; fail_on_errors=False means a refused
    # resource is left out (an empty image box) instead of failing the whole document.
    return DataOnlyFetcher(allowed_protocols=("data",), allow_redirects=False, fail_on_errors=False, timeout=1)


# Fitting the first page (the police PDF's grab sheet): the HTML's root element carries data-fit="0" and an
# element with id FIRST_PAGE_END closes what must stay on page 1. While that element lands past page 1,
# the layout is tried again at the next level (data-fit="1", "2" …), whose CSS shortens more. Each try is
# first a cheap probe (the HTML up to PROBE_CUT only: page 1 alone), then one full layout. The markers are
# our templates' own markup; user text cannot contain them (Jinja escapes "<" and quotes).
FIT_ATTRIBUTE = 'data-fit="0"'
FIRST_PAGE_END = "first-page-end"
PROBE_CUT = '<div class="after-first-page">'


def _layout(html: str) -> Any:
    from weasyprint import HTML

    return HTML(string=html, base_url=None, url_fetcher=_data_only_fetcher()).render(
        pdf_variant=PDF_VARIANT,
        pdf_tags=True,
        presentational_hints=False,
        cache={},  # in memory: a disk cache would write decrypted photos to disk
    )


def _at_fit_level(html: str, level: int, *, probe: bool = False) -> str:
    html = html.replace(FIT_ATTRIBUTE, f'data-fit="{level}"', 1)
    if probe and PROBE_CUT in html:
        html = html[: html.index(PROBE_CUT)] + "</body></html>"
    return html


def _first_page_holds_it(document: Any) -> bool:
    return bool(document.pages) and FIRST_PAGE_END in document.pages[0].anchors


def fitted_layout(html: str, fit_levels: int) -> tuple[Any, int]:
    """The laid-out document at the first fit level whose first page holds everything up to FIRST_PAGE_END
    (the last level when none does: its CSS must then make it fit), and that level.

    Probes come first and the full document is laid out once: a probe lays out page 1 alone, whose
    texts are all cut short, so its cost is bounded even when the rest of the form is huge (a second
    full layout of a hostile 100,000-character form would double the render time)."""
    if not fit_levels or FIT_ATTRIBUTE not in html:
        return _layout(html), 0
    first = _layout(_at_fit_level(html, 0, probe=True))
    level = 0 if _first_page_holds_it(first) else _fitting_level(html, fit_levels, len(first.pages))
    while True:
        document = _layout(_at_fit_level(html, level) if level else html)
        if level >= fit_levels or _first_page_holds_it(document):
            return document, level
        level += 1  # the probe fitted but the full layout did not (page numbers can differ by a digit)


def _fitting_level(html: str, fit_levels: int, first_pages: int) -> int:
    """The lowest level from 1 whose probe fits (levels only ever shorten, so a binary search finds it).
    A first page whose level-0 probe ran to 3 pages or more goes straight to the last level."""
    if first_pages >= 3:
        return fit_levels
    low, high = 1, fit_levels  # the answer is in low..high; high is taken when nothing below fits
    while low < high:
        middle = (low + high) // 2
        if _first_page_holds_it(_layout(_at_fit_level(html, middle, probe=True))):
            high = middle
        else:
            low = middle + 1
    return low


def render_in_process(html: str, *, title: str, lang: str = "en-GB", fit_levels: int = 0) -> bytes:
    """Render in this process with the safe fetcher and no attachments. Used by the worker (and the bench).
    fit_levels: how many shorter layouts of page 1 the HTML offers (see FIT_ATTRIBUTE); 0 for none."""
    document, _level = fitted_layout(html, fit_levels)
    # <link rel=attachment> lands in the metadata and <a rel=attachment> in the page links: drop both,
    # whatever URI scheme they name, so no file can ever be embedded in the PDF.
    document.metadata.attachments = []
    for page in document.pages:
        page.links = [link for link in page.links if _link_allowed(link[0], link[1])]
    document.metadata.title = title
    document.metadata.lang = lang
    return document.write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=True, attachments=None, finisher=_name_the_producer)


def _link_allowed(kind: str, target: Any) -> bool:
    """Internal links, and external ones to the web, email, phone and SMS only."""
    if kind == "internal":
        return True
    if kind != "external" or not isinstance(target, str):
        return False  # attachments and anything else
    scheme_part = "".join(target.split()).lower()  # "java script:" and "\tjavascript:" are still javascript:
    return scheme_part.startswith(LINK_SCHEMES)


def _name_the_producer(document: Any, pdf: Any) -> None:
    """WeasyPrint writes its name and version into the Info dictionary and the XMP metadata: name the service."""
    import pydyf
    import weasyprint

    banner = f"WeasyPrint {weasyprint.__version__}".encode()
    pdf.info["Producer"] = pydyf.String(PRODUCER)
    for obj in pdf.objects:
        if isinstance(obj, pydyf.Stream) and obj.extra.get("Type") == "/Metadata":
            obj.stream = [c.replace(banner, PRODUCER.encode()) if isinstance(c, bytes) else c for c in obj.stream]


def _silence_weasyprint_logs() -> None:
    # Its warnings quote URLs and CSS from the document, which may be personal data.
    for name in ("weasyprint", "weasyprint.progress", "fontTools"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = False
        logger.setLevel(logging.CRITICAL + 1)


def _worker_main(read_fd: int, write_fd: int) -> None:
    """Worker loop: receive a JSON header and the HTML; answer b"ok" + the PDF, or b"error:" + a type name."""
    _silence_weasyprint_logs()
    import weasyprint  # noqa: F401  (imported once, so each render starts warm)

    requests, replies = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    while True:
        try:
            header = json.loads(requests.recv_bytes())
            html = requests.recv_bytes().decode()
        except (EOFError, OSError):
            return
        try:
            pdf = render_in_process(html, title=header["title"], lang=header["lang"], fit_levels=header.get("fit", 0))
        except Exception as error:  # noqa: BLE001  (reported by type only: its text may quote the document)
            replies.send_bytes(b"error:" + type(error).__name__.encode())
            continue
        replies.send_bytes(b"ok")
        replies.send_bytes(pdf)


# --- the worker pool (web process side) -------------------------------------------------------------


class _Worker:
    """One render process: a fresh interpreter started with exec (so it inherits no database
    connections, keys or app state, and no HERBERT_* settings), kept alive across renders."""

    def __init__(self) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        env = {key: value for key, value in os.environ.items() if not key.startswith("HERBERT_")}
        try:
            # Our own module with fixed arguments and no shell.
            self.process = subprocess.Popen(  # noqa: S603  # nosec B603
                [sys.executable, "-m", "herbert.documents.renderer", str(to_child_r), str(from_child_w)],
                pass_fds=(to_child_r, from_child_w),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                cwd=PACKAGE_PARENT,
                env=env,
            )
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self.requests = Connection(to_child_w, readable=False)
        self.replies = Connection(from_child_r, writable=False)
        self.renders = 0

    def alive(self) -> bool:
        return self.process.poll() is None

    def render(self, html: str, title: str, lang: str, timeout: float, fit_levels: int = 0) -> bytes:
        deadline = time.monotonic() + timeout
        self.requests.send_bytes(json.dumps({"title": title, "lang": lang, "fit": fit_levels}).encode())
        self.requests.send_bytes(html.encode())
        status = self._receive(deadline)
        if status != b"ok":
            raise PdfError(f"PDF render failed ({status.decode(errors='replace')[6:50]})")
        self.renders += 1
        return self._receive(deadline)

    def _receive(self, deadline: float) -> bytes:
        if not self.replies.poll(max(0.0, deadline - time.monotonic())):
            raise PdfTimeout("PDF render ran past its time limit")
        return self.replies.recv_bytes()

    def stop(self, *, kill: bool = False) -> None:
        self.requests.close()  # a worker waiting for work sees EOF and exits
        if kill:
            self.process.kill()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.replies.close()


class RenderPool:
    """Long-lived render workers shared fairly between two lanes; each render borrows one for its duration.

    Carers' renders (drafts, versions, posters, exports) may use `size` workers at once. Police renders (the
    share's PDF, the carer's missing-now PDF) may use those too, and have `reserved` more that only they can use,
    so a queue of heavy carer renders can never starve them. Nobody queues for long: a render that cannot get
    a worker within its lane's wait raises PdfBusy, and the caller shows the "try again" page. A worker that
    overruns its time limit is killed and replaced.
    """

    def __init__(self, size: int = DEFAULT_WORKERS, reserved: int = DEFAULT_POLICE_WORKERS) -> None:
        self.size = size
        self.reserved = reserved
        self.replaced = 0  # workers killed for overrunning or breaking (for tests and operators)
        self.refused = 0  # renders turned away because no worker came free in time
        self._idle: dict[str, list[_Worker]] = {SHARED: [], RESERVED: []}  # by the capacity they belong to
        self._busy = {SHARED: 0, RESERVED: 0}  # permits in use, by the kind of capacity they hold
        self._lock = threading.Condition()

    def _free_permit(self, lane: str) -> str | None:
        if lane == POLICE and self._busy[RESERVED] < self.reserved:
            return RESERVED
        if self._busy[SHARED] < self.size:
            return SHARED
        return None

    def _borrow(self, lane: str, wait: float) -> tuple[_Worker, str]:
        deadline = time.monotonic() + wait
        with self._lock:
            while (permit := self._free_permit(lane)) is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self.refused += 1
                    raise PdfBusy("no PDF worker came free in time")
                self._lock.wait(remaining)
            self._busy[permit] += 1
            while self._idle[permit]:
                worker = self._idle[permit].pop()
                if worker.alive():
                    return worker, permit
                worker.stop(kill=True)
        try:
            return _Worker(), permit
        except Exception:
            self._release(None, permit)
            raise

    def _release(self, worker: _Worker | None, permit: str) -> None:
        with self._lock:
            self._busy[permit] -= 1
            if worker is not None:
                self._idle[permit].append(worker)
            self._lock.notify_all()  # a waiter of either lane may now fit

    def render(
        self,
        html: str,
        title: str,
        lang: str,
        timeout: float,
        fit_levels: int = 0,
        *,
        lane: str = CARER,
        wait: float = 0,
    ) -> bytes:
        worker, permit = self._borrow(lane, wait)
        return self._render_on(worker, permit, html, title, lang, timeout, fit_levels)

    @contextlib.contextmanager
    def slot(self, lane: str = CARER, wait: float = 0) -> Iterator[RenderSlot]:
        """Hold a worker before doing the work of building the HTML, so a render that would be refused
        costs nothing: `with pool.slot(lane, wait) as slot: html = ...; pdf = slot.render(html, ...)`."""
        worker, permit = self._borrow(lane, wait)
        slot = RenderSlot(self, worker, permit)
        try:
            yield slot
        finally:
            if not slot.used:
                self._release(worker, permit)

    def _render_on(
        self, worker: _Worker, permit: str, html: str, title: str, lang: str, timeout: float, fit_levels: int = 0
    ) -> bytes:
        try:
            pdf = worker.render(html, title, lang, timeout, fit_levels)
        except PdfError as error:
            if isinstance(error, PdfTimeout):
                self._retire(worker, permit)
            else:  # the worker reported a failed render and is ready for the next one
                self._release(worker, permit)
            raise
        except (EOFError, OSError):
            self._retire(worker, permit)
            raise PdfError("PDF worker stopped unexpectedly") from None
        except BaseException:
            self._retire(worker, permit)
            raise
        if worker.renders >= RENDERS_PER_WORKER:
            worker.stop()
            self._release(None, permit)
        else:
            self._release(worker, permit)
        return pdf

    def _retire(self, worker: _Worker, permit: str) -> None:
        """Kill a worker that overran or broke; the next render starts a fresh one."""
        worker.stop(kill=True)
        self.replaced += 1
        self._release(None, permit)

    def worker_pids(self) -> list[int]:
        with self._lock:
            return [worker.process.pid for idle in self._idle.values() for worker in idle]

    def close(self) -> None:
        with self._lock:
            idle = [worker for workers in self._idle.values() for worker in workers]
            self._idle = {SHARED: [], RESERVED: []}
        for worker in idle:
            worker.stop()


class RenderSlot:
    """A worker held for one render (RenderPool.slot)."""

    def __init__(self, pool: RenderPool, worker: _Worker, permit: str) -> None:
        self.pool, self.worker, self.permit, self.used = pool, worker, permit, False

    def render(self, html: str, title: str, lang: str, timeout: float, fit_levels: int = 0) -> bytes:
        self.used = True
        return self.pool._render_on(self.worker, self.permit, html, title, lang, timeout, fit_levels)


_pool: RenderPool | None = None
_pool_lock = threading.Lock()


def _forget_pool_after_fork() -> None:
    """A forked child (gunicorn --preload) must not talk to its parent's workers through the same pipes:
    it starts its own pool on first use. The parent's workers stay the parent's."""
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_pool_after_fork)


def render_pool() -> RenderPool:
    """The process's render pool, created on first use (its size from PDF_WORKERS when in an app)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = RenderPool(
                size=int(_config("PDF_WORKERS", DEFAULT_WORKERS)),
                reserved=int(_config("PDF_POLICE_WORKERS", DEFAULT_POLICE_WORKERS)),
            )
            atexit.register(_pool.close)  # let the workers exit with us rather than be orphaned
        return _pool


def _config(name: str, default: Any) -> Any:
    from flask import current_app, has_app_context

    if has_app_context():
        return current_app.config.get(name, default)
    return default


def render_pdf(
    html: str | Callable[[], str],
    *,
    title: str,
    lang: str = "en-GB",
    timeout: float | None = None,
    fit_levels: int = 0,
    lane: str = CARER,
) -> bytes:
    """HTML → PDF bytes through the safe fetcher, in a worker, within PDF_TIMEOUT_SECONDS (fit_levels:
    see FIT_ATTRIBUTE).

    `lane` is POLICE for the PDFs police open (they get reserved capacity). Raises PdfBusy when no worker
    came free within PDF_QUEUE_SECONDS (PDF_POLICE_QUEUE_SECONDS for police), PdfTimeout when the render ran
    past its limit (the worker is replaced) and PdfError for any other failure. `html` may be a function
    that builds the HTML: it is called only once a worker is held, so a render refused as busy never pays
    for building a large document.
    """
    limit = float(timeout if timeout is not None else _config("PDF_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS))
    if lane == POLICE:
        wait = float(_config("PDF_POLICE_QUEUE_SECONDS", DEFAULT_POLICE_QUEUE_SECONDS))
    else:
        wait = float(_config("PDF_QUEUE_SECONDS", DEFAULT_QUEUE_SECONDS))
    started = time.perf_counter()
    size = 0
    try:
        with render_pool().slot(lane, wait) as slot:
            text = html() if callable(html) else html
            size = len(text)
            pdf = slot.render(text, title, lang, limit, fit_levels)
    except PdfBusy:
        log.warning("pdf.render refused: every %s worker busy for %.1f s", lane, wait)
        raise
    except PdfTimeout:
        log.warning("pdf.render timed out after %.1f s (input %d characters); worker replaced", limit, size)
        raise
    except PdfError as error:
        log.error("pdf.render failed: %s (input %d characters)", error, size)
        raise
    log.info(
        "pdf.render took %.3f s (input %d characters, output %d bytes)", time.perf_counter() - started, size, len(pdf)
    )
    return pdf


if __name__ == "__main__":  # the worker process: python -m herbert.documents.renderer READ_FD WRITE_FD
    _worker_main(int(sys.argv[1]), int(sys.argv[2]))
