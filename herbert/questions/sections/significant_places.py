"""I. Significant places (life history), and hazards near the home."""

from herbert.questions.fields import (
    AddressQuestion,
    ChoiceQuestion,
    LongTextQuestion,
    MultiChoiceQuestion,
    PostcodeQuestion,
    TextQuestion,
)
from herbert.questions.structure import Page, QuestionForm, Section

PLACE_TYPES = [
    ("previous_home", "Previous home"),
    ("childhood_home", "Childhood home"),
    ("school", "School"),
    ("workplace", "Workplace"),
    ("place_of_worship", "Place of worship"),
    ("where_married", "Where they married"),
    ("favourite_walk", "Favourite walk or park"),
    ("holiday_place", "Holiday place"),
    ("friend_or_relative_home", "Friend's or relative's home"),
    ("service_place", "Place from military service"),
    ("other", "Somewhere else"),
]
LIKELIHOOD = [("high", "High"), ("medium", "Medium"), ("low", "Low")]


class PlaceForm(QuestionForm):
    place_type = ChoiceQuestion("Type of place", choices=PLACE_TYPES)
    place_name = TextQuestion("Name of the place")
    place_address = AddressQuestion("Address")
    place_postcode = PostcodeQuestion("Postcode")
    connection = TextQuestion("Connection to them", description="For example where she worked as a nurse")
    years = TextQuestion("Years", description="For example 1960 to 1975", width="govuk-input--width-20")
    how_get_there = TextQuestion("How they would get there", description="For example the number 12 bus")
    likelihood = ChoiceQuestion("How likely they are to go there", choices=LIKELIHOOD)
    notes = LongTextQuestion("Notes")


class HazardsForm(QuestionForm):
    hazards = MultiChoiceQuestion(
        "Hazards near their home",
        choices=[
            ("water", "Rivers, canals, lakes, ponds or the sea"),
            ("railway", "Railway lines"),
            ("busy_roads", "Busy roads"),
            ("woodland", "Woodland or open country"),
            ("building_sites", "Building sites"),
            ("other", "Something else"),
        ],
        description="Police search these first. Select all that apply",
    )
    hazards_details = LongTextQuestion(
        "Where the hazards are", description="For example the canal 200 metres behind the house"
    )


SECTION = Section(
    slug="significant-places",
    letter="I",
    title="Significant places",
    pages=(
        Page(
            "places",
            "Places that matter to them",
            PlaceForm,
            rows_key="places",
            row_noun="place",
            intro="Places from their life they might try to reach: old homes, workplaces, schools, favourite walks.",
        ),
        Page("nearby-hazards", "Hazards near their home", HazardsForm),
    ),
)
