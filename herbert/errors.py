"""Error pages in the service's own layout, with no stack traces or version banners."""

import logging

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

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
}


def render_error(code: int, template: str | None = None):
    return render_template(template or "errors/error.html", code=code, title=TITLES.get(code, TITLES[500])), code


def handle_http_error(error: HTTPException):
    code = error.code or 500
    return render_error(code if code in TITLES else 500)


def handle_csrf_error(error: CSRFError):
    return render_error(400, "errors/csrf.html")


def handle_unexpected_error(error: Exception):
    # Log the type and where it happened; exception messages may quote user input, so not the text.
    log.error("unhandled %s", type(error).__name__, exc_info=False)
    return render_error(500)


def init_error_pages(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(InternalServerError, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected_error)
