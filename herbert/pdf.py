"""The one place WeasyPrint runs: an HTML string in, tagged PDF/UA bytes out, fetching nothing.

Safety (security.md B8):
- The URL fetcher allows data: URIs only (photos are inlined); file:, http(s):, ftp: and relative
  URLs raise, so a hostile answer can never make the server read a local file or call the network.
- No attachments: none are passed, and any that the HTML asks for (<link rel=attachment>,
  <a rel=attachment>) are dropped from the laid-out document before the PDF is written.
- Rendering happens in a long-lived worker process (a fresh interpreter, so it never inherits the web
  process's database connections, keys or HERBERT_* settings). Each render has a time limit; a worker
  that overruns is killed and replaced, and the caller gets PdfTimeout.
- WeasyPrint's own log messages can quote document content, so the worker silences them; our log
  lines name the event and the size of the input only.

tests/test_pdf_safety.py fails if any other module imports or calls WeasyPrint.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import subprocess  # nosec B404
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 20.0
DEFAULT_WORKERS = 2
RENDERS_PER_WORKER = 200  # recycle a worker now and then so one large render's memory is given back
PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent)  # so `python -m herbert.pdf` finds the package
PDF_VARIANT = "pdf/ua-1"  # tagged PDF with a structure tree, /MarkInfo, /Lang and a displayed title


class PdfError(Exception):
    """The PDF could not be made. The message never holds personal data."""


class PdfTimeout(PdfError):
    """The render ran past its time limit; the worker doing it was killed and replaced."""


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
        page.links = [link for link in page.links if link[0] != "attachment"]
    document.metadata.title = title
    document.metadata.lang = lang
    return document.write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=True, attachments=None)


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
                [sys.executable, "-m", "herbert.pdf", str(to_child_r), str(from_child_w)],
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
    """Up to `size` long-lived render workers; each render borrows one, and one that overruns is killed."""

    def __init__(self, size: int = DEFAULT_WORKERS) -> None:
        self.size = size
        self.replaced = 0  # workers killed for overrunning or breaking (for tests and operators)
        self._idle: list[_Worker] = []
        self._running = 0
        self._lock = threading.Condition()

    def _borrow(self) -> _Worker:
        with self._lock:
            while True:
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive():
                        return worker
                    self._running -= 1
                    worker.stop(kill=True)
                if self._running < self.size:
                    self._running += 1
                    break
                self._lock.wait()
        try:
            return _Worker()
        except Exception:
            self._release(None)
            raise

    def _release(self, worker: _Worker | None) -> None:
        with self._lock:
            if worker is None:
                self._running -= 1
            else:
                self._idle.append(worker)
            self._lock.notify()

    def render(self, html: str, title: str, lang: str, timeout: float, fit_levels: int = 0) -> bytes:
        worker = self._borrow()
        try:
            pdf = worker.render(html, title, lang, timeout, fit_levels)
        except PdfError as error:
            if isinstance(error, PdfTimeout):
                self._retire(worker)
            else:  # the worker reported a failed render and is ready for the next one
                self._release(worker)
            raise
        except (EOFError, OSError):
            self._retire(worker)
            raise PdfError("PDF worker stopped unexpectedly") from None
        except BaseException:
            self._retire(worker)
            raise
        if worker.renders >= RENDERS_PER_WORKER:
            worker.stop()
            self._release(None)
        else:
            self._release(worker)
        return pdf

    def _retire(self, worker: _Worker) -> None:
        """Kill a worker that overran or broke; the next render starts a fresh one."""
        worker.stop(kill=True)
        self.replaced += 1
        self._release(None)

    def worker_pids(self) -> list[int]:
        with self._lock:
            return [worker.process.pid for worker in self._idle]

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
            self._running -= len(idle)
        for worker in idle:
            worker.stop()


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
            _pool = RenderPool(size=int(_config("PDF_WORKERS", DEFAULT_WORKERS)))
            atexit.register(_pool.close)  # let the workers exit with us rather than be orphaned
        return _pool


def _config(name: str, default: Any) -> Any:
    from flask import current_app, has_app_context

    if has_app_context():
        return current_app.config.get(name, default)
    return default


def render_pdf(
    html: str, *, title: str, lang: str = "en-GB", timeout: float | None = None, fit_levels: int = 0
) -> bytes:
    """HTML → PDF bytes through the safe fetcher, in a worker, within PDF_TIMEOUT_SECONDS (fit_levels:
    see FIT_ATTRIBUTE).

    Raises PdfTimeout when the limit is hit (the worker is replaced) and PdfError for any other failure.
    """
    limit = float(timeout if timeout is not None else _config("PDF_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS))
    started = time.perf_counter()
    try:
        pdf = render_pool().render(html, title, lang, limit, fit_levels)
    except PdfTimeout:
        log.warning("pdf.render timed out after %.1f s (input %d characters); worker replaced", limit, len(html))
        raise
    except PdfError as error:
        log.error("pdf.render failed: %s (input %d characters)", error, len(html))
        raise
    log.info(
        "pdf.render took %.3f s (input %d characters, output %d bytes)",
        time.perf_counter() - started,
        len(html),
        len(pdf),
    )
    return pdf


# --- the two documents, for callers that only know herbert.pdf -------------------------------------


def render_police_pdf(
    document: dict[str, Any],
    photos: list[tuple[dict[str, Any], bytes]],
    *,
    meta: dict[str, Any],
    missing_report: dict[str, Any] | None = None,
) -> bytes:
    """The police PDF (built in herbert.records.documents from the question registry); needs an app context."""
    from herbert.records import documents

    return documents.render_police_pdf(document, photos, meta=meta, missing_report=missing_report)


def render_appeal_poster(
    document: dict[str, Any], primary_photo: tuple[dict[str, Any], bytes] | None, meta: dict[str, Any] | None = None
) -> bytes:
    """The public appeal poster; raises herbert.records.documents.PosterNotAllowed without publicity consent."""
    from herbert.records import documents

    return documents.render_appeal_poster(document, primary_photo, meta)


if __name__ == "__main__":  # the worker process: python -m herbert.pdf READ_FD WRITE_FD
    _worker_main(int(sys.argv[1]), int(sys.argv[2]))
