"""Forms of the carers pages, in GOV.UK wording."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovTextArea, GovTextInput
from wtforms import EmailField, RadioField, StringField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, Optional

from herbert.access import ROLE_LABELS, Role
from herbert.questions.validators import PhoneNumber

ROLE_CHOICES = {role.value: ROLE_LABELS[role] for role in (Role.EDITOR, Role.VIEWER, Role.OWNER)}


class InviteForm(FlaskForm):
    """Invite a carer, or an organisation (a care home): then the address is its admin's."""

    who = RadioField(
        "Who are you inviting?",
        choices={"person": "A person", "organisation": "A care home or other organisation"},
        default="person",
        widget=GovRadioInput(),
        validators=[Optional()],
    )
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


# --- organisations --------------------------------------------------------------------------------

KIND_CHOICES = {
    "care_home": "Care home",
    "supported_living": "Supported-living provider",
    "hospital_ward": "Hospital ward",
    "day_centre": "Day centre",
}
POST_CHOICES = {"staff": "Staff", "admin": "Admin"}
RESIDENT_ROLE_CHOICES = {"editor": "Editor", "viewer": "Viewer"}


def one_line(value: str | None) -> str | None:
    """Names, postcodes and phone numbers are one line: newlines and tabs become spaces."""
    return " ".join(value.split()) if isinstance(value, str) else value


def address_lines(value: str | None) -> str | None:
    """Keep the lines of an address, without control characters or blank lines."""
    if not isinstance(value, str):
        return value
    lines = ("".join(ch for ch in line if ch.isprintable()).strip() for line in value.splitlines())
    return "\n".join(line for line in lines if line)


class OrganisationForm(FlaskForm):
    name = StringField(
        "Name of the organisation",
        widget=GovTextInput(),
        filters=[one_line],
        validators=[
            InputRequired(message="Enter the name of the organisation"),
            Length(max=200, message="Name of the organisation must be 200 characters or fewer"),
        ],
    )
    kind = RadioField(
        "What kind of organisation is it?",
        choices=KIND_CHOICES,
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select what kind of organisation it is")],
    )
    address = TextAreaField(
        "Address",
        widget=GovTextArea(),
        filters=[address_lines],
        description="Police see it in section L of each resident's form",
        validators=[
            InputRequired(message="Enter the address"),
            Length(max=500, message="Address must be 500 characters or fewer"),
        ],
    )
    postcode = StringField(
        "Postcode",
        widget=GovTextInput(),
        filters=[one_line, lambda value: value.upper() if isinstance(value, str) else value],
        validators=[Optional(), Length(max=12, message="Postcode must be 12 characters or fewer")],
    )
    phone = StringField(
        "Phone number (optional)",
        widget=GovTextInput(),
        filters=[one_line],
        validators=[Optional(), Length(max=40, message="Phone number must be 40 characters or fewer"), PhoneNumber()],
    )


def staff_post_field() -> RadioField:
    """Staff or admin: asked when inviting and when changing a member of staff (a new field each call, so each
    form keeps its own order)."""
    return RadioField(
        "Are they staff or an admin?",
        choices=POST_CHOICES,
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select staff or admin")],
    )


def resident_role_field() -> RadioField:
    """What staff may do with residents' forms: asked when inviting and when changing a member of staff."""
    return RadioField(
        "What can staff do with residents' forms?",
        choices=RESIDENT_ROLE_CHOICES,
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select what they can do with residents' forms")],
    )


class StaffInviteForm(FlaskForm):
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
    post = staff_post_field()
    resident_role = resident_role_field()


class StaffChangeForm(FlaskForm):
    post = staff_post_field()
    resident_role = resident_role_field()


class UnitForm(FlaskForm):
    unit = StringField(
        "Unit, floor or wing",
        widget=GovTextInput(),
        filters=[one_line],
        description="For example Rowan unit, or first floor. Leave it empty if it does not apply",
        validators=[Optional(), Length(max=60, message="Unit, floor or wing must be 60 characters or fewer")],
    )


DISCHARGE_CHOICES = {
    "family": "Hand the form to a family member or friend",
    "organisation": "Move them to another care home or organisation",
    "end": "Stop looking after their form here: their family keeps it",
    "erase": "Download the form, then erase it",
}


class DischargeForm(FlaskForm):
    """Where a resident's form goes when they leave (choices are narrowed to what applies)."""

    destination = RadioField(
        "What should happen to their form?",
        choices=DISCHARGE_CHOICES,
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select what should happen to their form")],
    )
    email = EmailField(
        "Their email address",
        widget=GovTextInput(),
        validators=[
            Optional(),
            Email(message="Enter an email address in the correct format, like name@example.com"),
            Length(max=320, message="Email address must be 320 characters or fewer"),
        ],
    )


class ChooseOrganisationForm(FlaskForm):
    """An admin accepting a form for one of their organisations (choices: the organisations they run)."""

    organisation = RadioField(
        "Which organisation will look after them?",
        choices={},
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select the organisation")],
    )
