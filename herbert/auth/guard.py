"""Who is signed in, and the decorator that keeps pages behind sign-in."""

import functools
from collections.abc import Callable
from typing import Any

from flask import g, redirect, request, session, url_for

from herbert.extensions import db
from herbert.models import User


def load_signed_in_user() -> None:
    """before_request: put the signed-in User (or None) on g.user."""
    user_id = session.get("user_id")
    user = db.session.get(User, user_id) if user_id else None
    if user is not None and user.disabled:
        user = None
    g.user = user


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Send visitors who are not signed in to the sign-in page, then back here afterwards."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.get("user") is None:
            return redirect(url_for("auth.sign_in", next=request.path))
        g.personal_page = True  # every page behind sign-in is sent with Cache-Control: no-store
        return view(*args, **kwargs)

    return wrapped
