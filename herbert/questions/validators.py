"""Validators for the question pages. They refuse only malformed values, never missing ones.

Each is a small callable class whose message is built from the question's label, in GOV.UK wording
("Full name must be 200 characters or fewer"). The data-minimisation guard refuses what looks like a
full card number, a PIN or a password in any free-text answer: we never store those.
"""

import re
from typing import Any

from wtforms.validators import StopValidation, ValidationError

# --- data minimisation ----------------------------------------------------------------------------

CARD_MESSAGE = (
    "Remove the card number. We never store full card numbers, PINs or passwords: "
    "enter the card issuer and the last four digits only"
)
PIN_MESSAGE = "Remove the PIN. We never store PINs, passwords or full card numbers"
PASSWORD_MESSAGE = "Remove the password. We never store passwords, PINs or full card numbers"  # noqa: S105

_DIGIT_RUN = re.compile(r"\d(?:[ \-]?\d)*")
_PIN = re.compile(r"\bpin\b(?:\s*(?:number|no\.?|code))?\s*(?:is|was|[:=#-])?\s*\d{4,8}\b", re.IGNORECASE)
_PASSWORD_WORD = r"\b(?:password|passwd|pass\s?word|passcode|pass\s?code|pwd|log-?in\s+code)\b"  # noqa: S105
_PASSWORD_COLON = re.compile(_PASSWORD_WORD + r"\s*[:=]\s*\S", re.IGNORECASE)
# "password is X" only when X looks like a secret (has a digit or symbol), so "her password is written
# on the fridge" is not refused but "password is Hunter2!" is.
_PASSWORD_IS = re.compile(_PASSWORD_WORD + r"\s+(?:is|was)\s+\S*[\d!@#$%^&*_+?~]\S*", re.IGNORECASE)


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum every payment card number satisfies."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def contains_card_number(text: str) -> bool:
    """True if any run of digit groups (spaces or dashes allowed between) is 13–19 digits passing Luhn."""
    for match in _DIGIT_RUN.finditer(text):
        groups = re.split(r"[ \-]", match.group())
        # Check every contiguous window of groups, so a card number written next to a phone number
        # (one long run of digits and spaces) is still caught.
        for start in range(len(groups)):
            digits = ""
            for group in groups[start:]:
                digits += group
                if len(digits) > 19:
                    break
                if len(digits) >= 13 and luhn_valid(digits):
                    return True
    return False


def minimisation_problem(text: str) -> str | None:
    """The message to show if the text holds a card number, PIN or password; otherwise None."""
    if contains_card_number(text):
        return CARD_MESSAGE
    if _PIN.search(text):
        return PIN_MESSAGE
    if _PASSWORD_COLON.search(text) or _PASSWORD_IS.search(text):
        return PASSWORD_MESSAGE
    return None


class NoSecrets:
    """Refuse full card numbers, PINs and passwords (data minimisation, herbert-form.md section G)."""

    def __call__(self, form: Any, field: Any) -> None:
        if field.data and isinstance(field.data, str):
            message = minimisation_problem(field.data)
            if message:
                raise ValidationError(message)


class MaxChars:
    """A length cap with a clear message: "Full name must be 200 characters or fewer"."""

    def __init__(self, limit: int):
        self.limit = limit

    def __call__(self, form: Any, field: Any) -> None:
        if field.data and isinstance(field.data, str) and len(field.data) > self.limit:
            raise StopValidation(f"{field.label.text} must be {self.limit:,} characters or fewer")


# --- phone numbers --------------------------------------------------------------------------------

_PHONE_CHARS = re.compile(r"^\+?[\d\s().\-]+$")
_PHONE_EXTENSION = re.compile(r"\s*(?:ext\.?|extension|x)\s*\d{1,6}$", re.IGNORECASE)


def phone_problem(text: str) -> bool:
    """True if the text is not a phone number: digits with spaces, brackets, dashes, a leading +,
    7 to 15 digits in all, optionally an extension ("ext 123")."""
    number = _PHONE_EXTENSION.sub("", text.strip())
    if not _PHONE_CHARS.match(number):
        return True
    digits = re.sub(r"\D", "", number)
    return not 7 <= len(digits) <= 15


class PhoneNumber:
    def __call__(self, form: Any, field: Any) -> None:
        if field.data and phone_problem(field.data):
            raise ValidationError(
                f"Enter {field.label.text.lower()} as a phone number, like 01632 960 001, 07700 900 982 "
                "or +44 808 157 0192"
            )


# --- NHS number -----------------------------------------------------------------------------------


def nhs_number_valid(text: str) -> bool:
    """10 digits (spaces allowed) whose last digit is the modulus 11 check digit."""
    digits = re.sub(r"[\s-]", "", text)
    if not re.fullmatch(r"\d{10}", digits):
        return False
    total = sum(int(d) * (10 - i) for i, d in enumerate(digits[:9]))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


class NhsNumber:
    def __call__(self, form: Any, field: Any) -> None:
        if field.data and not nhs_number_valid(field.data):
            raise ValidationError("Enter a valid NHS number, like 943 476 5919, or leave it blank")


# --- conditional questions ------------------------------------------------------------------------


class ValidateIf:
    """Validate (and keep) a follow-up question only when its parent has the revealing answer.

    When the parent answer is different the follow-up is hidden, so any errors it has are dropped
    (in the style of laa-access-civil-legal-aid's ValidateIf)."""

    def __init__(self, parent: str, values: tuple[str, ...]):
        self.parent = parent
        self.values = values

    def __call__(self, form: Any, field: Any) -> None:
        parent = form[self.parent].data
        if parent not in self.values:
            field.errors[:] = []
            raise StopValidation()
