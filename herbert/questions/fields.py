"""Question fields: WTForms fields that know their kind, whether police treat them as Core, how to
turn the form's data into a stored answer and back, and which GOV.UK widget draws them.

Every field takes the same extra keywords, read by the registry without building a form:
    core=True               police treat it as essential (nudged for, never required)
    show_if=("drives", "yes")  a follow-up revealed by that answer of another field on the same page
    unit="cm"               shown after numbers ("170 cm")
    width="govuk-input--width-10"  GOV.UK width class for short inputs
    filled_at_publish=True  set (or defaulted) when a version is published, so not "missing"
"""

import re
import unicodedata
from datetime import date
from typing import Any

from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxesInput,
    GovRadioInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import Field, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import ValidationError

from herbert.clock import utcnow
from herbert.questions.validators import MaxChars, NhsNumber, NoSecrets, PhoneNumber, ValidateIf
from herbert.questions.widgets import GovDateWidget

SHORT_TEXT_LIMIT = 200
LONG_TEXT_LIMIT = 2000
ADDRESS_LIMIT = 500
PHONE_LIMIT = 40

YES_NO = (("yes", "Yes"), ("no", "No"))

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029]")


def clean_long_text(value: Any) -> Any:
    """Normalise line endings and drop control characters (they have no place in a printed form)."""
    if not isinstance(value, str):
        return value
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    return _CONTROL.sub("", value).strip()


def clean_short_text(value: Any) -> Any:
    """One line: newlines and tabs become spaces (a CR/LF in a name is never meant)."""
    if not isinstance(value, str):
        return value
    return " ".join(clean_long_text(value).split())


class QuestionField:
    """Mixin for every question field: the registry metadata and the answer conversions."""

    kind = "text"
    default_validators: tuple[Any, ...] = ()

    def __init__(
        self,
        label: str | None = None,
        validators: list[Any] | None = None,
        *,
        core: bool = False,
        show_if: tuple[str, str | tuple[str, ...]] | None = None,
        unit: str | None = None,
        width: str | None = None,
        filled_at_publish: bool = False,
        **kwargs: Any,
    ):
        if isinstance(kwargs.get("choices"), list | tuple):
            # (value, label) pairs are declared in the section modules; WTForms 3.3 wants a dict.
            kwargs["choices"] = {str(value): str(text) for value, text in kwargs["choices"]}
        chain = list(self.make_default_validators()) + list(validators or [])
        if show_if is not None:
            parent, values = show_if
            chain.insert(0, ValidateIf(parent, (values,) if isinstance(values, str) else tuple(values)))
        super().__init__(label, chain, **kwargs)  # type: ignore[call-arg]
        self.core = core
        self.show_if = show_if
        self.unit = unit
        self.width = width
        self.filled_at_publish = filled_at_publish

    def make_default_validators(self) -> list[Any]:
        return []

    def choice_values(self) -> list[str]:
        """The allowed values, in order (choice questions only)."""
        return [str(choice.value) for choice in self.iter_choices()] if hasattr(self, "iter_choices") else []

    def to_answer(self) -> Any:
        """The JSON value to store, or None when unanswered (empty answers are omitted)."""
        data = getattr(self, "data", None)
        return data or None

    @classmethod
    def answer_to_data(cls, value: Any) -> Any:
        """What to give the form as `data=` for a stored answer."""
        return value


class TextQuestion(QuestionField, StringField):
    kind = "text"
    limit = SHORT_TEXT_LIMIT
    widget = GovTextInput()

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("filters", [clean_short_text])
        super().__init__(*args, **kwargs)

    def make_default_validators(self) -> list[Any]:
        return [MaxChars(self.limit), NoSecrets()]


class LongTextQuestion(QuestionField, TextAreaField):
    kind = "long_text"
    limit = LONG_TEXT_LIMIT
    widget = GovCharacterCount()

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("filters", [clean_long_text])
        super().__init__(*args, **kwargs)

    def make_default_validators(self) -> list[Any]:
        return [MaxChars(self.limit), NoSecrets()]


class AddressQuestion(QuestionField, TextAreaField):
    """Address lines (the postcode is its own question, so police can search by it)."""

    kind = "address"
    limit = ADDRESS_LIMIT
    widget = GovTextArea()

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("filters", [clean_long_text])
        super().__init__(*args, **kwargs)

    def make_default_validators(self) -> list[Any]:
        return [MaxChars(self.limit), NoSecrets()]


class PostcodeQuestion(TextQuestion):
    """A postcode, upper-cased; not checked against a format (addresses abroad, partial postcodes)."""

    limit = 12

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("filters", [lambda value: clean_short_text(value).upper() if value else value])
        kwargs.setdefault("width", "govuk-input--width-10")
        super().__init__(*args, **kwargs)


class NhsNumberQuestion(TextQuestion):
    limit = 20

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("width", "govuk-input--width-10")
        super().__init__(*args, **kwargs)

    def make_default_validators(self) -> list[Any]:
        return [MaxChars(self.limit), NhsNumber()]


class PhoneQuestion(QuestionField, StringField):
    kind = "phone"
    widget = GovTextInput()
    input_type = "tel"

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("filters", [clean_short_text])
        kwargs.setdefault("width", "govuk-input--width-20")
        super().__init__(*args, **kwargs)

    def make_default_validators(self) -> list[Any]:
        return [MaxChars(PHONE_LIMIT), PhoneNumber()]


# --- numbers --------------------------------------------------------------------------------------

_CM = re.compile(r"^(\d{2,3}(?:\.\d+)?)\s*(?:cm|cms|centimetres?|centimeters?)?$", re.IGNORECASE)
_METRES = re.compile(r"^(\d(?:\.\d{1,3})?)\s*(?:m|metres?|meters?)$", re.IGNORECASE)
_FEET_INCHES = re.compile(
    r"^(\d)\s*(?:'|’|ft|foot|feet)\s*(?:(\d{1,2}(?:\.\d+)?)\s*(?:\"|”|''|in|ins|inch|inches)?)?$", re.IGNORECASE
)


def parse_height_cm(text: str) -> int | None:
    """Centimetres from "170", "170 cm", "1.7 m", "5 ft 7 in", "5'7\"" — or None if not a height."""
    text = text.strip().replace(",", ".")
    if match := _CM.match(text):
        return round(float(match.group(1)))
    if match := _METRES.match(text):
        return round(float(match.group(1)) * 100)
    if match := _FEET_INCHES.match(text):
        inches = int(match.group(1)) * 12 + float(match.group(2) or 0)
        return round(inches * 2.54)
    return None


class HeightQuestion(QuestionField, StringField):
    """A height typed in centimetres or in feet and inches; stored as whole centimetres."""

    kind = "number"
    default_unit = "cm"
    widget = GovTextInput()
    minimum, maximum = 50, 250

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("filters", [clean_short_text])
        kwargs.setdefault("width", "govuk-input--width-10")
        kwargs.setdefault("unit", "cm")
        super().__init__(*args, **kwargs)

    def make_default_validators(self) -> list[Any]:
        return [MaxChars(30), self._check]

    def _check(self, form: Any, field: Any) -> None:
        if not field.data:
            return
        height = parse_height_cm(field.data)
        if height is None:
            raise ValidationError(
                f"Enter {field.label.text.lower()} in centimetres, like 170, or in feet and inches, like 5 ft 7 in"
            )
        if not self.minimum <= height <= self.maximum:
            raise ValidationError(f"{field.label.text} must be between {self.minimum} cm and {self.maximum} cm")

    def to_answer(self) -> int | None:
        return parse_height_cm(self.data) if self.data else None

    @classmethod
    def answer_to_data(cls, value: Any) -> Any:
        return "" if value is None else str(value)


# --- dates ----------------------------------------------------------------------------------------

_PARTS = ("day", "month", "year")


class DateQuestion(QuestionField, Field):
    """A GOV.UK date input (day, month, year boxes with the same name), stored as an ISO date."""

    kind = "date"
    widget = GovDateWidget()
    earliest_year, latest_year = 1900, 2100

    def __init__(self, *args: Any, past_only: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.past_only = past_only
        self.parts: list[str] = ["", "", ""]
        self.id = f"{self.name}-day"  # the error summary links to the first box

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None
        parts = [str(part).strip() for part in valuelist[:3]]
        parts += [""] * (3 - len(parts))
        self.parts = parts
        if not any(parts):
            return
        label = self.label.text
        missing = [name for name, part in zip(_PARTS, parts, strict=True) if not part]
        if missing:
            raise ValueError(f"{label} must include a {' and '.join(missing)}")
        if not all(part.isascii() and part.isdigit() for part in parts):
            raise ValueError(f"{label} must be a real date")
        day, month, year = (int(part) for part in parts)
        if len(parts[2]) != 4:
            raise ValueError("Year must include 4 numbers")
        try:
            value = date(year, month, day)
        except ValueError:
            raise ValueError(f"{label} must be a real date") from None
        if not self.earliest_year <= year <= self.latest_year:
            raise ValueError(f"{label} must be between {self.earliest_year} and {self.latest_year}")
        self.data = value

    def process_data(self, value: Any) -> None:
        self.data = value if isinstance(value, date) else None
        if self.data is not None:
            self.parts = [str(self.data.day), str(self.data.month), str(self.data.year)]

    def pre_validate(self, form: Any) -> None:
        if self.past_only and self.data is not None and self.data > utcnow().date():
            raise ValidationError(f"{self.label.text} must be in the past")

    def _value(self) -> str:
        return self.data.isoformat() if self.data else ""

    def to_answer(self) -> str | None:
        return self.data.isoformat() if self.data else None

    @classmethod
    def answer_to_data(cls, value: Any) -> Any:
        try:
            return date.fromisoformat(value) if value else None
        except (TypeError, ValueError):
            return None


class AutomaticDateQuestion(DateQuestion):
    """A date the service sets itself (date completed, at publish): shown, never typed."""

    automatic = True


# --- choices --------------------------------------------------------------------------------------


class _ChoiceMixin:
    def pre_validate(self, form: Any) -> None:
        if self.data in (None, ""):  # type: ignore[attr-defined]
            return  # unanswered is fine: nothing blocks saving
        if self.data not in self.choice_values():  # type: ignore[attr-defined]
            raise ValidationError(f"Select an answer for {self.label.text.lower()} from the list")  # type: ignore[attr-defined]  # noqa: S608  # nosec B608


class YesNoQuestion(_ChoiceMixin, QuestionField, RadioField):
    kind = "yes_no"
    widget = GovRadioInput()

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs["choices"] = dict(YES_NO)
        super().__init__(*args, **kwargs)


class ChoiceQuestion(_ChoiceMixin, QuestionField, RadioField):
    kind = "choice"
    widget = GovRadioInput()


class MultiChoiceQuestion(QuestionField, SelectMultipleField):
    kind = "multi_choice"
    widget = GovCheckboxesInput()

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = [str(value) for value in valuelist]

    def pre_validate(self, form: Any) -> None:
        allowed = self.choice_values()
        if any(value not in allowed for value in self.data or []):
            raise ValidationError(f"Select answers for {self.label.text.lower()} from the list")  # noqa: S608  # nosec B608

    def to_answer(self) -> list[str] | None:
        chosen = set(self.data or [])
        ordered = [value for value in self.choice_values() if value in chosen]
        return ordered or None

    @classmethod
    def answer_to_data(cls, value: Any) -> Any:
        return list(value) if isinstance(value, list) else []
