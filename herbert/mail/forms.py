"""Forms for account recovery, email addresses and email settings, in GOV.UK wording."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, PasswordField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length

from herbert.auth.forms import PASSWORD_HINT, StrongPassword
from herbert.mail.messages import REMINDER_CATEGORIES

EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.com"


class ForgottenPasswordForm(FlaskForm):
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        description="The address you use to sign in. We will send a link to choose a new password.",
        validators=[InputRequired(message="Enter your email address"), Email(message=EMAIL_FORMAT), Length(max=320)],
    )
    submit = SubmitField("Send the link", widget=GovSubmitInput())


class ResetPasswordForm(FlaskForm):
    new_password = PasswordField(
        "New password",
        widget=GovPasswordInput(),
        description=PASSWORD_HINT,
        validators=[InputRequired(message="Enter a new password"), StrongPassword(lambda form: [form.account_email])],
    )
    code = StringField(
        "Security code",
        widget=GovTextInput(),
        description="The 6-digit code from your authenticator app, or one of your recovery codes.",
        validators=[Length(max=40)],
    )
    submit = SubmitField("Save password and sign in", widget=GovSubmitInput())
    account_email = ""


class ChangeEmailForm(FlaskForm):
    email = EmailField(
        "New email address",
        widget=GovTextInput(),
        description="We will send a link to this address. The change happens when you open it.",
        validators=[
            InputRequired(message="Enter your new email address"),
            Email(message=EMAIL_FORMAT),
            Length(max=320, message="Email address must be 320 characters or fewer"),
        ],
    )
    submit = SubmitField("Send the link", widget=GovSubmitInput())


class NotificationsForm(FlaskForm):
    reminders = SelectMultipleField(
        "Which reminders do you want by email?",
        widget=GovCheckboxesInput(),
        description="Select all that apply.",
        choices=[SelectChoice(value, label) for value, label in REMINDER_CATEGORIES.items()],
        validate_choice=True,
    )
    submit = SubmitField("Save", widget=GovSubmitInput())


class ButtonForm(FlaskForm):
    submit = SubmitField("Send the link again", widget=GovSubmitInput())
