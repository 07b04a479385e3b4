"""Form building blocks the handover pages share: text boxes with length caps, GOV.UK date boxes, typed times,
and a form that is only a button (GOV.UK wording)."""

from datetime import date, datetime, time

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovTextArea, GovTextInput
from wtforms import StringField
from wtforms import TextAreaField as _TextAreaField
from wtforms.validators import Length, Optional, StopValidation, ValidationError

from herbert.questions.fields import DateQuestion

SHORT = 200
LONG = 2000


class TextAreaField(_TextAreaField):
    """A text area that strips surrounding white space."""

    def process_formdata(self, valuelist: list[str]) -> None:
        super().process_formdata(valuelist)
        if self.data:
            self.data = self.data.strip()


def text_field(label: str, hint: str = "", limit: int = SHORT) -> StringField:
    return StringField(
        label,
        widget=GovTextInput(),
        description=hint,
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[Optional(), Length(max=limit, message=f"{label} must be {limit} characters or fewer")],
    )


def long_text_field(label: str, hint: str = "", limit: int = LONG) -> TextAreaField:
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




class ButtonForm(FlaskForm):
    """A form that is only a button (its CSRF token is all it carries)."""
