"""Who is signed in, and the decorators that keep pages behind sign-in and behind a fresh password check.

    @bp.route("/people/<person_id>/share", methods=["GET", "POST"])
    @login_required
    @fresh_auth_required(max_age_minutes=5)
    def create_share(person_id): ...

fresh_auth_required sends anyone whose last password (and code) check is older than max_age_minutes to
/account/confirm-it-is-you?next=<this path>, and back here (a GET) once they have confirmed.
"""

import functools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import g, redirect, request, session, url_for

from herbert.clock import utcnow
from herbert.extensions import db
from herbert.models import User

AUTHENTICATED_AT = "authenticated_at"  # session key: when the password (and code) were last checked

# Pages an organisation admin without two-factor may still use: setting it up, and leaving.
TWO_FACTOR_SET_UP_ENDPOINTS = {
    "account.two_factor_set_up",
    "account.confirm_identity",
    "account.keep_alive",
    "auth.sign_out",
}


def load_signed_in_user() -> None:
    """before_request: put the signed-in User (or None) on g.user."""
    user_id = session.get("user_id")
    user = db.session.get(User, user_id) if user_id else None
    if user is not None and user.disabled:
        user = None
    g.user = user


def safe_next(target: str | None, default_endpoint: str = "people.dashboard") -> str:
    """Only ever redirect to a path on this site (no open redirects, no `//host` or `/\\host`)."""
    if (
        target
        and target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and "\\" not in target
        and not any(ord(ch) < 32 or ord(ch) == 127 for ch in target)
        and not urlsplit(target).netloc
        and not urlsplit(target).scheme
    ):
        return target
    return url_for(default_endpoint)


def mark_authenticated() -> None:
    """Record in the server session that the password (and code) were checked just now."""
    session[AUTHENTICATED_AT] = utcnow().isoformat()


def authenticated_within(max_age: timedelta) -> bool:
    value = session.get(AUTHENTICATED_AT)
    if not value:
        return False
    try:
        checked = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return -timedelta(minutes=1) <= utcnow() - checked <= max_age  # a little leeway for clock steps


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Send visitors who are not signed in to the sign-in page, then back here afterwards.

    Organisation admins must turn on two-factor before anything else: they are sent to set it up.
    """

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        g.personal_page = True  # every page behind sign-in is sent with Cache-Control: no-store
        if g.get("user") is None:
            return redirect(url_for("auth.sign_in", next=request.path))
        if (
            g.user.is_org_admin
            and g.user.totp_secret_sealed is None
            and request.endpoint not in TWO_FACTOR_SET_UP_ENDPOINTS
        ):
            return redirect(url_for("account.two_factor_set_up"))
        return view(*args, **kwargs)

    return wrapped


def fresh_auth_required(max_age_minutes: int = 5) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Ask for the password (and two-factor code, when on) again unless checked in the last few minutes.

    Implies login_required. A POST that arrives stale is sent to confirm and then back to this path as a
    GET, so put it on both the GET that shows the form and the POST that acts.
    """
    max_age = timedelta(minutes=max_age_minutes)

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not authenticated_within(max_age):
                return redirect(url_for("account.confirm_identity", next=request.full_path.rstrip("?")))
            return view(*args, **kwargs)

        return login_required(wrapped)

    return decorator
