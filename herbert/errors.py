"""Error pages in the service's own layout, with no stack traces or version banners.

Error handlers can run before the request hooks that make the CSP nonce and load the signed-in user
(CSRF, rate limits and body-size checks fail in earlier before_request hooks), so render_error makes
sure both exist before rendering the layout.
"""

import logging
import traceback

from flask import Flask, g, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from herbert.extensions import db
from herbert.records.store import RecordNotFound

log = logging.getLogger(__name__)

TITLES = {
    400: "There is a problem with your request",
    403: "You do not have permission to see this page",
    404: "Page not found",
    405: "That action is not allowed here",
    410: "This link has ended",
    413: "The file or form you sent is too large",
    429: "Too many attempts",
    500: "Sorry, there is a problem with the service",
    503: "The service is busy: try again in a minute",
}
PASSED_ON_HEADERS = ("Allow", "Retry-After")  # 405 and 429 answers keep what clients need to know


def ensure_layout_context() -> None:
    from herbert.auth.guard import load_signed_in_user
    from herbert.security_headers import make_nonce

    if not g.get("csp_nonce"):
        make_nonce()
    if "user" not in g:
        try:
            load_signed_in_user()
        except Exception:  # the database itself may be what failed; show the page signed-out
            db.session.rollback()
            g.user = None


def render_error(code: int, template: str | None = None, headers: dict[str, str] | None = None, **context):
    ensure_layout_context()
    g.personal_page = True  # error pages are never cached either
    page = render_template(template or "errors/error.html", code=code, title=TITLES.get(code, TITLES[500]), **context)
    return page, code, headers or {}


def handle_http_error(error: HTTPException):
    code = error.code if error.code in TITLES else 500
    headers = {name: value for name, value in error.get_headers() if name in PASSED_ON_HEADERS}
    detail = None
    if code == 410 and error.description != type(error).description:
        detail = error.description  # a message a view chose for a page that has ended, e.g. an expired share
    return render_error(code, headers=headers, detail=detail)


def handle_csrf_error(error: CSRFError):
    return render_error(400, "errors/csrf.html")


def handle_record_not_found(error: RecordNotFound):
    """The record store found no such person, version or photo: the same 404 as a page that never existed."""
    return render_error(404)


def log_without_message(error: BaseException) -> None:
    """Log what failed and where, but never the exception's message, which may quote user input."""
    frames = traceback.extract_tb(error.__traceback__)[-6:]
    where = " <- ".join(f"{frame.filename}:{frame.lineno} in {frame.name}" for frame in reversed(frames))
    log.error("unhandled %s during %s %s at %s", type(error).__name__, request.method, request.endpoint, where)


def handle_unexpected_error(error: Exception):
    db.session.rollback()
    log_without_message(error)
    return render_error(500)


class WithholdExceptionText(logging.Filter):
    """On the app's logger: keep an exception's type, drop its text and traceback (which may quote user
    input or SQL values) from any record Flask itself logs, e.g. when finalising a failed request."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            record.msg = f"{record.getMessage()} ({type(error).__name__}; details withheld)"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


def log_exception_safely(exc_info) -> None:
    """Replaces Flask's log_exception, used for failures outside views (e.g. while saving the session),
    which would otherwise log the full exception text."""
    log_without_message(exc_info[1])


def init_error_pages(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(RecordNotFound, handle_record_not_found)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(InternalServerError, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected_error)
    app.log_exception = log_exception_safely  # type: ignore[method-assign]
    app.logger.addFilter(WithholdExceptionText())
