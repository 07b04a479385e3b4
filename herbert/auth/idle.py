"""Saving a question page before an idle sign-out, so no typed text is lost when a session expires.

static/js/session-timeout.mjs submits the page's own form (with IDLE_SAVE_FIELD=1) just before the idle
limit when something on it was changed. The view saves it exactly as "Save and continue" would (same
validation, same encryption), then this signs the session out as the idle limit would have and sends
the carer to sign in, coming back to the same page. Nothing is kept anywhere else: no draft in the
session cookie, in localStorage or in the browser's memory. If the page has a malformed answer it is
not saved (as always) and the page comes back with the error and the carer's text, signed in.
"""

from flask import Response, flash, redirect, request, session, url_for

from herbert.audit import Action, record_event
from herbert.auth.sessions import TIMED_OUT, rotate_session

IDLE_SAVE_FIELD = "idle_save"
IDLE_SAVED_MESSAGE = "We saved what you had typed on the page before signing you out."


def idle_save_requested() -> bool:
    return request.method == "POST" and request.form.get(IDLE_SAVE_FIELD) == "1"


def sign_out_after_idle_save(next_path: str) -> Response:
    """End this session as the idle limit does (the sign-in page says why) and come back to next_path."""
    record_event(Action.SIGN_OUT, detail="idle, page saved first")
    session.clear()
    session[TIMED_OUT] = True
    flash(IDLE_SAVED_MESSAGE)
    rotate_session(session)  # type: ignore[arg-type]  (the old session row is deleted)
    return redirect(url_for("auth.sign_in", next=next_path))
