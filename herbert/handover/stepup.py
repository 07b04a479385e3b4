"""Step-up authentication for sharing and exporting, asked on the same page as the action.

herbert.auth.guard.fresh_auth_required sends a stale carer to a separate confirmation page and back as a
GET, which costs two extra taps and a second button press; in an emergency every tap counts, so the share
and export forms carry the password (and two-factor code) fields themselves whenever the last check is
older than STEP_UP_MINUTES, and are checked here with the same primitives (argon2 verify, TOTP or recovery
code, mark_authenticated). The POST routes carry herbert.auth.limits.account_password_limits.
"""

from datetime import timedelta

from flask import g
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovTextInput
from wtforms import PasswordField, StringField
from wtforms.validators import Length

from herbert.audit import Action, record_event
from herbert.auth import two_factor
from herbert.auth.guard import authenticated_within, mark_authenticated
from herbert.auth.passwords import verify_password

STEP_UP_MINUTES = 5


def needs_step_up() -> bool:
    return not authenticated_within(timedelta(minutes=STEP_UP_MINUTES))


def needs_code() -> bool:
    return g.user is not None and two_factor.is_enabled(g.user)


def confirm(form) -> bool:
    """True when the carer's identity is fresh, or the form's password (and code) check out now."""
    if not needs_step_up():
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
