"""Forms for the missing-now pages, sharing, export, import, found and the police access code (GOV.UK wording)."""

import math
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovFileInput,
    GovPasswordInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import HiddenField, PasswordField, RadioField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms import TextAreaField as _TextAreaField
from wtforms.validators import InputRequired, Length, Optional, StopValidation, ValidationError

from herbert.dates import uk_now
from herbert.handover import missing
from herbert.handover.shares import CODE_LENGTH, DEFAULT_HOURS, EXPIRY_CHOICES
from herbert.questions.fields import DateQuestion

SHORT = 200
LONG = 2000


class TextAreaField(_TextAreaField):
    """A text area that strips surrounding white space."""

    def process_formdata(self, valuelist: list[str]) -> None:
        super().process_formdata(valuelist)
        if self.data:
            self.data = self.data.strip()


def _text(label: str, hint: str = "", limit: int = SHORT) -> StringField:
    return StringField(
        label,
        widget=GovTextInput(),
        description=hint,
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[Optional(), Length(max=limit, message=f"{label} must be {limit} characters or fewer")],
    )


def _long(label: str, hint: str = "", limit: int = LONG) -> TextAreaField:
    return TextAreaField(
        label,
        widget=GovTextArea(),
        description=hint,
        validators=[Optional(), Length(max=limit, message=f"{label} must be {limit} characters or fewer")],
    )


class DateRequired:
    """The date boxes must not all be empty (a partly filled date already has its own message)."""

    def __init__(self, message: str):
        self.message = message

    def __call__(self, form: FlaskForm, field: DateQuestion) -> None:
        if field.data is None and not field.errors:
            raise StopValidation(self.message)


def date_field(label: str, required: str | None = None, past_only: bool = False) -> DateQuestion:
    """GOV.UK day/month/year boxes (the question registry's date field, which copes with partial input)."""
    return DateQuestion(label, validators=[DateRequired(required)] if required else [], past_only=past_only)


def fill_date(field: DateQuestion, value: date | None) -> None:
    """Show a date in the boxes of a form built without data (e.g. today's date as a default)."""
    field.process_data(value)


class TimeOfDay:
    """Validate "14:30", "2:30pm", "2.30 pm" style times."""

    def __init__(self, label: str):
        self.label = label

    def __call__(self, form: FlaskForm, field: StringField) -> None:
        if field.data and parse_time(field.data) is None:
            raise ValidationError(f"Enter {self.label} as a time, like 14:30 or 2:30pm")


def parse_time(text: str) -> time | None:
    cleaned = text.strip().lower().replace(".", ":").replace(" ", "")
    suffix = None
    for ending in ("am", "pm"):
        if cleaned.endswith(ending):
            suffix, cleaned = ending, cleaned[: -len(ending)]
    if ":" not in cleaned:
        cleaned = f"{cleaned}:00" if cleaned.isdigit() and len(cleaned) <= 2 else cleaned
        if cleaned.isdigit() and len(cleaned) in (3, 4):
            cleaned = f"{cleaned[:-2]}:{cleaned[-2:]}"
    try:
        hours_text, minutes_text = cleaned.split(":")
        hours, minutes = int(hours_text), int(minutes_text)
    except ValueError:
        return None
    if suffix:
        if not 1 <= hours <= 12:
            return None
        hours = hours % 12 + (12 if suffix == "pm" else 0)
    if not (0 <= hours <= 23 and 0 <= minutes <= 59):
        return None
    return time(hours, minutes)


def combine(day: date | None, clock_text: str | None) -> str | None:
    """ "YYYY-MM-DDTHH:MM" from a date and a typed time, or None when the date is empty."""
    if day is None:
        return None
    moment = parse_time(clock_text or "") or time(0, 0)
    return datetime.combine(day, moment).isoformat(timespec="minutes")


class LastSeenForm(FlaskForm):
    last_seen_date = date_field("Date last seen", "Enter the date they were last seen")
    last_seen_time = StringField(
        "Time last seen",
        widget=GovTextInput(),
        description="For example, 14:30 or 2:30pm. Your best guess is fine.",
        validators=[InputRequired(message="Enter the time they were last seen"), TimeOfDay("the time last seen")],
    )
    last_seen_where = _long("Where they were last seen", "An address or a description of the place")
    seen_by = _text("Who saw them last")

    def validate_last_seen_time(self, field: StringField) -> None:
        """A last-seen time later than now is a typing slip (pm for am, tomorrow's date): say so."""
        seen = combine(self.last_seen_date.data, field.data)
        if seen and datetime.fromisoformat(seen) > uk_now() + timedelta(minutes=5):
            raise ValidationError("The time last seen must be now or in the past")
    direction = _text("Which way they were going", "For example, towards the town centre")
    said_going_to = _long("Anything they said they were going to do", "For example, “going to work” or “going home”")
    # "Use my location" (templates/search_aid/_use_my_location.html fills these; without JavaScript they stay empty)
    last_seen_lat = HiddenField()
    last_seen_lon = HiddenField()
    last_seen_accuracy = HiddenField()

    def validate(self, extra_validators: Any = None) -> bool:
        """The phone's location, when given, must be a real coordinate (the error shows by the place box)."""
        valid = super().validate(extra_validators)
        if phone_location(self) is None and (self.last_seen_lat.data or self.last_seen_lon.data):
            self.last_seen_where.errors = [*self.last_seen_where.errors, LOCATION_REFUSED]
            return False
        return valid


LOCATION_REFUSED = "The location from your phone could not be used. Type the place instead"


def phone_location(form: "LastSeenForm") -> dict[str, str] | None:
    """The report keys for the browser's location, rounded to about a metre; None when not given or not real."""
    try:
        lat, lon = float(form.last_seen_lat.data or ""), float(form.last_seen_lon.data or "")
    except ValueError:
        return None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    try:
        accuracy = max(0, min(int(float(form.last_seen_accuracy.data or 0)), 100_000))
    except (ValueError, OverflowError):
        accuracy = 0
    return {"last_seen_lat": f"{lat:.5f}", "last_seen_lon": f"{lon:.5f}", "last_seen_accuracy": str(accuracy or "")}


class ClothingForm(FlaskForm):
    clothing_picks = SelectMultipleField(
        "What they usually wear that they have on today", widget=GovCheckboxesInput(), choices={}, validate_choice=True
    )
    clothing_photo_ids = SelectMultipleField(
        "Photos of clothes they have on today", widget=GovCheckboxesInput(), choices={}, validate_choice=True
    )
    clothing_today = _long(
        "What they are wearing today",
        "Head to toe: hat, top, coat, trousers or skirt, shoes, glasses, jewellery. Colours help most.",
    )
    items_carried = SelectMultipleField(
        "What they have with them", widget=GovCheckboxesInput(), choices=dict(missing.ITEMS)
    )
    items_details = _long("More about what they have with them", "For example, a red shopping bag, about £20")


class MoreDetailsForm(FlaskForm):
    searches_done = SelectMultipleField(
        "Where you have already looked", widget=GovCheckboxesInput(), choices=dict(missing.SEARCHES)
    )
    mood = _long("Their mood and state of mind today")
    recent_changes = _long("Any recent changes", "For example new medication, a bereavement, a move, an illness")
    people_contacted = _long("People you have already contacted")
    police_called_date = date_field("Date police were called")
    police_called_time = StringField(
        "Time police were called",
        widget=GovTextInput(),
        description="For example, 14:30",
        validators=[Optional(), TimeOfDay("the time police were called")],
    )
    police_reference = _text("Police reference number", "The incident or log number police gave you", 60)
    officer_name = _text("Police officer's name", "", 120)


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


class ShareForm(StepUpMixin, FlaskForm):
    hours = RadioField(
        "How long should the link work?",
        widget=GovRadioInput(),
        choices={str(hours): label for hours, label in EXPIRY_CHOICES.items()},
        default=str(DEFAULT_HOURS),
    )
    source = SelectField("Which version to share", widget=GovSelect(), choices={})
    request_id = StringField(widget=None)  # rendered as a hidden input: stops a refresh making a second share
    submit = SubmitField("Share with police", widget=GovSubmitInput())


class ExportForm(StepUpMixin, FlaskForm):
    submit = SubmitField("Download export", widget=GovSubmitInput())


class ImportForm(FlaskForm):
    package = FileField(
        "Export package (.zip)",
        widget=GovFileInput(),
        description="The .zip file downloaded with “Download export” from this or another copy of the service",
    )
    submit = SubmitField("Import record", widget=GovSubmitInput())


class FoundForm(FlaskForm):
    found_date = date_field("Date found", "Enter the date they were found")
    found_time = StringField(
        "Time found",
        widget=GovTextInput(),
        description="For example, 18:45",
        validators=[InputRequired(message="Enter the time they were found"), TimeOfDay("the time they were found")],
    )
    found_where = _long("Where they were found", "An address or a description of the place")
    submit = SubmitField("They've been found", widget=GovSubmitInput())


class EpisodeForm(FlaskForm):
    episode_date = date_field("Date")
    missing_from = _text("Where they went missing from")
    where_found = _text("Where they were found")
    how_long = _text("How long they were missing")
    submit = SubmitField("Add to previous missing episodes", widget=GovSubmitInput())


class AccessCodeForm(FlaskForm):
    code = StringField(
        "Access code",
        widget=GovTextInput(),
        description="8 letters and numbers, given to you by the family or carer. For example, ABCD-2345",
        validators=[
            InputRequired(message="Enter the access code"),
            Length(max=CODE_LENGTH * 3, message="Enter the access code, like ABCD-2345"),
        ],
    )
    submit = SubmitField("Open the form", widget=GovSubmitInput())


class PoliceEntryForm(FlaskForm):
    """The fixed /police page: the reference and the access code the family or carer read out."""

    reference = StringField(
        "Reference",
        widget=GovTextInput(),
        description="8 letters and numbers, for example K7QM-42PX",
        validators=[
            InputRequired(message="Enter the reference"),
            Length(max=CODE_LENGTH * 3, message="Enter the reference, like K7QM-42PX"),
        ],
    )
    code = StringField(
        "Access code",
        widget=GovTextInput(),
        description="8 letters and numbers, for example EJME-7K3C",
        validators=[
            InputRequired(message="Enter the access code"),
            Length(max=CODE_LENGTH * 3, message="Enter the access code, like EJME-7K3C"),
        ],
    )
    submit = SubmitField("Open the form", widget=GovSubmitInput())


class ButtonForm(FlaskForm):
    """A form that is only a button (its CSRF token is all it carries)."""

    submit = SubmitField("Continue", widget=GovSubmitInput())
