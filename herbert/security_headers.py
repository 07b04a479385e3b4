"""One before/after-request pair that gives every response the same security headers (security.md B11).

A fresh CSP nonce per request goes on every <script> we serve; there are no inline event handlers.
"""

import secrets

from flask import Flask, Response, g, request

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
# Only the missing-now last-seen page ("use my location") sets g.permissions_policy to this.
GEOLOCATION_ALLOWED = PERMISSIONS_POLICY.replace("geolocation=()", "geolocation=(self)")


def make_nonce() -> None:
    g.csp_nonce = secrets.token_urlsafe(18)


def add_security_headers(response: Response) -> Response:
    if not g.get("csp_nonce"):  # a request stopped before make_nonce ran (CSRF, rate limit, 413)
        make_nonce()
    nonce = g.csp_nonce
    response.headers["Content-Security-Policy"] = "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = g.get("referrer_policy", "same-origin")
    response.headers["Permissions-Policy"] = g.get("permissions_policy", PERMISSIONS_POLICY)
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    response.headers["X-Permitted-Cross-Domain-Policies"] = "none"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if g.get("personal_page") or g.get("user") is not None or not request.path.startswith("/static/"):
        # Anything that may show personal data must never be kept by a browser or proxy cache.
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    if g.get("noindex"):
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers.pop("Server", None)
    return response


def init_security_headers(app: Flask) -> None:
    app.before_request(make_nonce)
    app.after_request(add_security_headers)
