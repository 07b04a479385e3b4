"""Absolute links (share links, QR codes, emails) built from PUBLIC_URL, never from the request's Host header."""

from typing import Any

from flask import current_app, url_for


def public_url_for(endpoint: str, **values: Any) -> str:
    """The absolute address of an endpoint as carers and police reach it; works outside a request (job runner)."""
    # A request context of its own, based at PUBLIC_URL (its path becomes the script root), so the current
    # request's Host header never reaches the link, and the job runner, which has no request, can build one too.
    with current_app.test_request_context("/", base_url=current_app.config["PUBLIC_URL"]):
        return url_for(endpoint, _external=True, **values)


def public_url(path: str) -> str:
    """PUBLIC_URL joined to a path that starts with '/' (for text such as 'Go to <host>/police')."""
    return current_app.config["PUBLIC_URL"] + path


def public_host() -> str:
    """The public address without its scheme, as a person would read it out: 'herbert.example.org/police'."""
    url: str = current_app.config["PUBLIC_URL"]
    return url.split("://", 1)[1]


def police_address() -> str:
    """The fixed police page as read out and printed ("herbert.example.org/police"), from PUBLIC_URL."""
    return public_url_for("police.enter").split("://", 1)[1]
