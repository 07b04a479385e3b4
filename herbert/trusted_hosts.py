"""Refuse requests for host names the service does not answer to, before Flask routes them.

Flask's TRUSTED_HOSTS check fails while the URL adapter is being made, so the service's own error page
(which builds links) cannot render; a request for a forged Host gets this small, header-complete 400 instead.
The health check alone answers any host name: a load balancer probes each server by its own address. It is
passed on as a request for the service's own name (Flask checks TRUSTED_HOSTS too); it builds no link from it.
"""

from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.exceptions import SecurityError
from werkzeug.wrappers import Response
from werkzeug.wsgi import get_host

from herbert.health import PATH as HEALTH_CHECK_PATH

REFUSAL_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class TrustedHostGuard:
    """WSGI middleware: answer 400 to any request whose Host is not one of trusted_hosts."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], trusted_hosts: list[str]):
        self.wsgi_app = wsgi_app
        self.trusted_hosts = trusted_hosts

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_CHECK_PATH:
            return self.wsgi_app({**environ, "HTTP_HOST": self.trusted_hosts[0].lstrip(".")}, start_response)
        try:
            get_host(environ, trusted_hosts=self.trusted_hosts)
        except SecurityError:
            refusal = Response("This service does not answer to that host name.\n", 400, REFUSAL_HEADERS)
            refusal.mimetype = "text/plain"
            return refusal(environ, start_response)
        return self.wsgi_app(environ, start_response)
