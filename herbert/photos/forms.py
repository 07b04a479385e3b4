"""The photo pages' forms, in GOV.UK wording: the upload, its kind, the date it was taken and a caption."""

from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovDateInput,
    GovFileInput,
    GovRadioInput,
    GovSubmitInput,
)
from werkzeug.datastructures import FileStorage
from wtforms import DateField, RadioField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, StopValidation, ValidationError

from herbert.clock import utcnow
from herbert.photos.kinds import KIND_LABELS, KINDS

CAPTION_MAX = 200
EARLIEST_YEAR = 1900


class KindField(RadioField):
    """Radios whose wrong or missing answer gets the GOV.UK message, not WTForms' "Not a valid choice"."""

    def pre_validate(self, form: FlaskForm) -> None:
        if self.data not in KIND_LABELS:
            raise StopValidation("Select what the photo shows")


class TakenOnField(DateField):
    """GOV.UK date input (day, month, year boxes) with messages that say which part is wrong."""

    thing = "Date the photo was taken"

    def __init__(self, label: str, **kwargs: Any):
        super().__init__(label, format="%d %m %Y", widget=GovDateInput(), **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        # Exactly three parts, whatever was posted, so the widget can always redraw them.
        parts = [str(value).strip()[:10] for value in valuelist[:3]]
        parts += [""] * (3 - len(parts))
        self.raw_data = parts
        self.data = None
        day, month, year = parts
        if not any(parts):
            return  # pre_validate asks for the date
        missing = [name for name, value in zip(("day", "month", "year"), parts, strict=True) if not value]
        if missing:
            raise ValueError(f"{self.thing} must include a {' and a '.join(missing)}")
        if not (day.isdigit() and month.isdigit() and year.isdigit()) or len(year) != 4:
            raise ValueError(f"{self.thing} must be a real date, like 27 3 2025")
        try:
            self.data = date(int(year), int(month), int(day))
        except ValueError:
            raise ValueError(f"{self.thing} must be a real date, like 27 3 2025") from None

    def pre_validate(self, form: FlaskForm) -> None:
        if self.data is None:
            # Blank: ask for it; malformed: the message from process_formdata says what is wrong.
            raise StopValidation("" if self.process_errors else "Enter the date the photo was taken")
        if self.data > utcnow().date():
            raise StopValidation(f"{self.thing} must be today or in the past")
        if self.data.year < EARLIEST_YEAR:
            raise StopValidation(f"{self.thing} must be after {EARLIEST_YEAR}")


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def kind_field() -> KindField:
    return KindField(
        "What does the photo show?",
        choices=[SelectChoice(value, label) for value, label in KINDS],
        widget=GovRadioInput(),
    )


def taken_on_field() -> TakenOnField:
    return TakenOnField(
        "When was the photo taken?",
        description="For example, 27 3 2025. If you are not sure of the exact day, give your best guess.",
    )


def caption_field() -> TextAreaField:
    return TextAreaField(
        "Caption (optional)",
        description="For example, what they are wearing, or where the mark is on their body.",
        widget=GovCharacterCount(),
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=CAPTION_MAX, message=f"Caption must be {CAPTION_MAX} characters or fewer"),
        ],
    )


class AddPhotoForm(FlaskForm):
    photo = FileField(
        "Upload a photo",
        description="A JPG or PNG file, smaller than 10MB.",
        widget=GovFileInput(),
    )
    kind = kind_field()
    taken_on = taken_on_field()
    caption = caption_field()
    submit = SubmitField("Add photo", widget=GovSubmitInput())

    def validate_photo(self, field: FileField) -> None:
        if not isinstance(field.data, FileStorage):  # flask-wtf leaves None when no file was chosen
            raise ValidationError("Select a photo")


class PhotoDetailsForm(FlaskForm):
    kind = kind_field()
    taken_on = taken_on_field()
    caption = caption_field()
    submit = SubmitField("Save changes", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    """Only a CSRF token: for the make-main and remove buttons."""
