"""Step-up authentication for sharing and exporting, asked on the same page as the action.

herbert.auth.guard.fresh_auth_required sends a stale carer to a separate confirmation page and back as a
GET, which costs two extra taps and a second button press; in an emergency every tap counts, so the share
and export forms carry the password (and two-factor code) fields themselves whenever the last check is
older than STEP_UP_MINUTES, and are checked here with the same primitives (argon2 verify, TOTP or recovery
code, mark_authenticated). The POST routes carry herbert.auth.limits.account_password_limits.

A police share made in a session signed in on a known device (a browser that had signed in to the account
before this session began, and still presents the same device cookie) asks for no password at all, for the
session's life (30 minutes idle, 12 hours at most): a carer who has forgotten their password can still share
when email cannot bring a reset link (docs/design/security-model.md, "Step-up before sharing with police").
The export still asks.
"""

from datetime import timedelta

from flask import g, session
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovTextInput
from wtforms import PasswordField, StringField
from wtforms.validators import Length

from herbert.audit import Action, record_event
from herbert.auth import two_factor
from herbert.auth.guard import authenticated_within, mark_authenticated
from herbert.auth.passwords import verify_password
from herbert.auth.sign_in import KNOWN_DEVICE
from herbert.mail import notices

STEP_UP_MINUTES = 5


def on_known_device() -> bool:
    """This session was signed in on a browser the account knew before, and this request comes from it."""
    expected = session.get(KNOWN_DEVICE)
    return bool(expected) and notices.this_device() == expected


def needs_step_up(police_share: bool = False) -> bool:
    if police_share and on_known_device():
        return False
    return not authenticated_within(timedelta(minutes=STEP_UP_MINUTES))


def needs_code() -> bool:
    return g.user is not None and two_factor.is_enabled(g.user)


def confirm(form, police_share: bool = False) -> bool:
    """True when the carer's identity is fresh (or, for a police share, the session is on a known device), or the
    form's password (and code) check out now."""
    if not needs_step_up(police_share):
        return True
    password = form.password.data or ""
    if not password:
        form.password.errors = [*form.password.errors, "Enter your password"]
        return False
    if not verify_password(g.user.password_hash, password):
        form.password.errors = [*form.password.errors, "The password is not right"]
        record_event(Action.STEP_UP_FAIL)
        return False
    if needs_code():
        code = form.code.data or ""
        if not code:
            form.code.errors = [*form.code.errors, "Enter the security code from your authenticator app"]
            return False
        if not two_factor.verify_second_factor(g.user, code):
            form.code.errors = [*form.code.errors, "The security code is not right"]
            record_event(Action.STEP_UP_FAIL)
            return False
    mark_authenticated()
    return True


class StepUpMixin:
    """The carer's password again (and two-factor code when on): asked on the same page as the action, so a
    share or export needs no separate confirmation page when the last check is older than a few minutes."""

    password = PasswordField("Your password", widget=GovPasswordInput(), validators=[Length(max=256)])
    code = StringField(
        "Security code",
        widget=GovTextInput(),
        description="The 6-digit code from your authenticator app, or a recovery code",
        validators=[Length(max=40)],
    )
