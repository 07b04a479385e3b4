"""Forms of the carers pages, in GOV.UK wording."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovTextInput
from wtforms import EmailField, RadioField
from wtforms.validators import Email, InputRequired, Length

from herbert.access import ROLE_LABELS, Role

ROLE_CHOICES = {role.value: ROLE_LABELS[role] for role in (Role.EDITOR, Role.VIEWER, Role.OWNER)}


class InviteForm(FlaskForm):
    email = EmailField(
        "Their email address",
        widget=GovTextInput(),
        description="They will need to sign in, or create an account, with this email address",
        validators=[
            InputRequired(message="Enter their email address"),
            Email(message="Enter an email address in the correct format, like name@example.com"),
            Length(max=320, message="Email address must be 320 characters or fewer"),
        ],
    )
    role = RadioField(
        "What can they do?",
        choices=ROLE_CHOICES,
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select what they can do")],
    )


class RoleForm(FlaskForm):
    role = RadioField(
        "What can they do?",
        choices=ROLE_CHOICES,
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select what they can do")],
    )


class ConfirmForm(FlaskForm):
    confirm = RadioField(
        "Are you sure?",
        choices={"yes": "Yes", "no": "No"},
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select yes or no")],
    )


class HandOverForm(FlaskForm):
    """The last owner leaving: who becomes owner instead (choices are the other carers' membership ids)."""

    successor = RadioField(
        "Who should own the form when you leave?",
        choices={},
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select who should own the form")],
    )


class ButtonForm(FlaskForm):
    """Only a CSRF token: for buttons such as accept and cancel."""
