"""Account forms, in GOV.UK wording."""

from collections.abc import Callable

from flask import g
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, Field, PasswordField, StringField, SubmitField
from wtforms.validators import Email, InputRequired, Length, ValidationError

from herbert.auth.passwords import MAX_LENGTH, MIN_LENGTH, password_problem

PASSWORD_HINT = f"At least {MIN_LENGTH} characters. A few unrelated words together make a strong password."


class StrongPassword:
    """The password policy (length and zxcvbn guessability), judged against the account's own email too."""

    def __init__(self, user_inputs: Callable[[FlaskForm], list[str]]):
        self.user_inputs = user_inputs

    def __call__(self, form: FlaskForm, field: Field) -> None:
        problem = password_problem(field.data or "", self.user_inputs(form))
        if problem:
            raise ValidationError(problem)


def signed_in_email(form: FlaskForm) -> list[str]:
    return [g.user.email] if g.get("user") is not None else []


class SignInForm(FlaskForm):
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter your email address"), Length(max=320)],
    )
    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your password"), Length(max=MAX_LENGTH)],
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class SignUpForm(FlaskForm):
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter your email address"),
            Email(message="Enter an email address in the correct format, like name@example.com"),
            Length(max=320, message="Email address must be 320 characters or fewer"),
        ],
    )
    password = PasswordField(
        "Create a password",
        widget=GovPasswordInput(),
        description=PASSWORD_HINT,
        validators=[
            InputRequired(message="Enter a password"),
            StrongPassword(lambda form: [form.email.data or ""]),
        ],
    )
    submit = SubmitField("Create account", widget=GovSubmitInput())


class TwoFactorCodeForm(FlaskForm):
    code = StringField(
        "Security code",
        widget=GovTextInput(),
        description="The 6-digit code from your authenticator app, or one of your recovery codes.",
        validators=[InputRequired(message="Enter the security code"), Length(max=40)],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class TwoFactorSetUpForm(FlaskForm):
    code = StringField(
        "Enter the 6-digit code from your app",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the 6-digit code from your authenticator app"), Length(max=20)],
    )
    submit = SubmitField("Turn on two-factor sign-in", widget=GovSubmitInput())


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your current password"), Length(max=MAX_LENGTH)],
    )
    new_password = PasswordField(
        "New password",
        widget=GovPasswordInput(),
        description=PASSWORD_HINT,
        validators=[InputRequired(message="Enter a new password"), StrongPassword(signed_in_email)],
    )
    submit = SubmitField("Change password", widget=GovSubmitInput())


class ConfirmIdentityForm(FlaskForm):
    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your password"), Length(max=MAX_LENGTH)],
    )
    code = StringField(
        "Security code",
        widget=GovTextInput(),
        description="The 6-digit code from your authenticator app, or one of your recovery codes.",
        validators=[Length(max=40)],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        "Enter your password to confirm",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your password"), Length(max=MAX_LENGTH)],
    )
    submit = SubmitField("Delete my account", widget=GovSubmitInput())


class ConfirmActionForm(FlaskForm):
    """A button-only form (the CSRF token is all it carries)."""

    submit = SubmitField("Continue", widget=GovSubmitInput())
