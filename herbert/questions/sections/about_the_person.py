"""A. About the person."""

from herbert.questions.fields import (
    AddressQuestion,
    ChoiceQuestion,
    DateQuestion,
    LongTextQuestion,
    NhsNumberQuestion,
    PhoneQuestion,
    PostcodeQuestion,
    TextQuestion,
    YesNoQuestion,
)
from herbert.questions.structure import Page, QuestionForm, Section

LIVING_SITUATIONS = (
    ("own_home_alone", "In their own home, alone"),
    ("with_family", "With family"),
    ("with_carer", "With a live-in carer"),
    ("care_home", "In a care home"),
    ("supported_living", "In supported living"),
    ("hospital", "In hospital"),
)
CARE_SETTINGS = ("care_home", "supported_living")


class NameForm(QuestionForm):
    full_name = TextQuestion("Full name", core=True)
    preferred_name = TextQuestion(
        "Preferred name",
        core=True,
        description="What they like to be called and will answer to, for example a nickname",
    )
    previous_names = TextQuestion(
        "Previous names", description="For example a maiden name or a name from an earlier marriage"
    )


class BirthForm(QuestionForm):
    date_of_birth = DateQuestion("Date of birth", core=True, past_only=True, description="For example, 27 3 1944")
    place_of_birth = TextQuestion(
        "Place of birth or where they grew up",
        description="People with dementia sometimes try to go back to places from their childhood",
    )


class IdentityForm(QuestionForm):
    sex = ChoiceQuestion(
        "Sex or gender",
        core=True,
        choices=[("female", "Female"), ("male", "Male"), ("other", "Another way")],
    )
    gender_description = TextQuestion("How they describe their gender", show_if=("sex", "other"))
    ethnic_appearance = TextQuestion(
        "Ethnic appearance",
        description="How a stranger might describe them, for example white British, Black Caribbean, South Asian",
    )
    first_language = TextQuestion(
        "First language", description="People with dementia often go back to speaking their first language"
    )
    other_languages = TextQuestion("Other languages they speak")


class HomeForm(QuestionForm):
    address = AddressQuestion("Home address", core=True, description="Building and street, town or city")
    postcode = PostcodeQuestion("Postcode", core=True)
    time_at_address = TextQuestion("How long they have lived there", description="For example, since 1985")
    landline = PhoneQuestion("Home landline")


class LivingSituationForm(QuestionForm):
    living_situation = ChoiceQuestion(
        "Living situation",
        core=True,
        choices=list(LIVING_SITUATIONS),
        description="If they live in a care home or supported living, we will ask about it later in the form",
    )


class WorkForm(QuestionForm):
    former_occupations = LongTextQuestion(
        "Former occupations",
        description="Jobs they did and where. Some people set off for a workplace they left years ago",
    )
    military_service = YesNoQuestion("Did they serve in the armed forces?")
    military_details = LongTextQuestion(
        "Military service details",
        show_if=("military_service", "yes"),
        description="Which service or regiment, where they were based, and when. Veterans sometimes head for "
        "places from their service",
    )


class NhsNumberForm(QuestionForm):
    nhs_number = NhsNumberQuestion(
        "NHS number",
        description="Optional. It is 10 digits, for example 943 476 5919, and is on letters from the NHS",
    )


SECTION = Section(
    slug="about-the-person",
    letter="A",
    title="About the person",
    pages=(
        Page("name", "Their name", NameForm),
        Page("date-of-birth", "Date and place of birth", BirthForm),
        Page("sex-and-languages", "Sex, appearance and languages", IdentityForm),
        Page("home-address", "Home address", HomeForm),
        Page("living-situation", "Where do they live?", LivingSituationForm),
        Page("work-and-service", "Work and military service", WorkForm),
        Page("nhs-number", "What is their NHS number?", NhsNumberForm),
    ),
)
