"""K. Contacts. Core: at least one next of kin or emergency contact."""

from typing import Any

from herbert.questions.fields import (
    AddressQuestion,
    ChoiceQuestion,
    LongTextQuestion,
    PhoneQuestion,
    PostcodeQuestion,
    TextQuestion,
    YesNoQuestion,
)
from herbert.questions.structure import CoreCheck, Page, QuestionForm, Section

ROLES = [
    ("next_of_kin", "Next of kin"),
    ("family", "Family"),
    ("friend", "Friend"),
    ("neighbour", "Neighbour"),
    ("carer", "Carer"),
    ("care_agency", "Care agency"),
    ("social_worker", "Social worker"),
    ("attorney_or_guardian", "Power of attorney or guardian"),
    ("telecare_centre", "Telecare centre"),
    ("other", "Someone else"),
]


class ContactForm(QuestionForm):
    role = ChoiceQuestion("Role", choices=ROLES)
    contact_name = TextQuestion("Name")
    relationship = TextQuestion("Relationship to them", description="For example son, neighbour at number 12")
    emergency_contact = YesNoQuestion("Are they an emergency contact?", description="Police should call them first")
    phone = PhoneQuestion("Main phone number")
    other_phone = PhoneQuestion("Other phone number")
    contact_address = AddressQuestion("Address")
    contact_postcode = PostcodeQuestion("Postcode")
    holds_keys = YesNoQuestion("Do they hold keys to the home?")
    notes = LongTextQuestion("Notes", description="For example best times to call")


def has_next_of_kin_or_emergency_contact(answers: dict[str, Any]) -> bool:
    return any(
        row.get("role") == "next_of_kin" or row.get("emergency_contact") == "yes"
        for row in answers.get("contacts") or []
    )


SECTION = Section(
    slug="contacts",
    letter="K",
    title="Contacts",
    pages=(
        Page(
            "contacts",
            "People to contact",
            ContactForm,
            rows_key="contacts",
            row_noun="contact",
            intro="Family, friends, neighbours, carers and professionals police may need to speak to.",
        ),
    ),
    core_checks=(CoreCheck("At least one next of kin or emergency contact", has_next_of_kin_or_emergency_contact),),
)
