"""L. Care setting: only when they live in a care home or supported living (section A)."""

from herbert.questions.fields import AddressQuestion, LongTextQuestion, PhoneQuestion, PostcodeQuestion, TextQuestion
from herbert.questions.sections import Document, answer
from herbert.questions.sections.about_the_person import CARE_SETTINGS
from herbert.questions.structure import Page, QuestionForm, Section


class CareHomeForm(QuestionForm):
    home_name = TextQuestion("Name of the home")
    home_address = AddressQuestion("Address of the home")
    home_postcode = PostcodeQuestion("Postcode of the home")
    home_phone = PhoneQuestion("Phone number of the home")
    manager = TextQuestion("Manager's name")


class SecurityForm(QuestionForm):
    door_security = LongTextQuestion(
        "Door security", description="For example keypad on the front door, alarm on the fire exit"
    )
    checking_regime = LongTextQuestion("How often staff check on them", description="Day and night")
    care_plan_reference = TextQuestion("Care plan reference", width="govuk-input--width-20")


def lives_in_care_setting(document: Document) -> bool:
    return answer(document, "about-the-person", "living_situation") in CARE_SETTINGS


SECTION = Section(
    slug="care-setting",
    letter="L",
    title="Care setting",
    pages=(
        Page("care-home", "The care home or supported living", CareHomeForm),
        Page("security-and-checks", "Security and checks", SecurityForm),
    ),
    applies_when=lives_in_care_setting,
    not_needed="they do not live in a care home or supported living",
)
