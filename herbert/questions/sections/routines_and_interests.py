"""H. Routines, habits and interests."""

from herbert.questions.fields import ChoiceQuestion, LongTextQuestion, PostcodeQuestion, TextQuestion
from herbert.questions.structure import Page, QuestionForm, Section

DAYS = [
    ("monday", "Monday"),
    ("tuesday", "Tuesday"),
    ("wednesday", "Wednesday"),
    ("thursday", "Thursday"),
    ("friday", "Friday"),
    ("saturday", "Saturday"),
    ("sunday", "Sunday"),
    ("weekdays", "Every weekday"),
    ("weekends", "Weekends"),
    ("every_day", "Every day"),
]


class RoutineForm(QuestionForm):
    day = ChoiceQuestion("Day", choices=DAYS)
    time = TextQuestion("Time", description="For example 10am, or mornings", width="govuk-input--width-20")
    place = TextQuestion("Place", description="For example Cross Street day centre")
    routine_postcode = PostcodeQuestion(
        "Postcode of the place", description="If you know it: police can see how far it is"
    )
    activity = TextQuestion("Activity", description="For example lunch club")


class PlacesUsedForm(QuestionForm):
    shops_cafes = LongTextQuestion("Shops, cafés and pubs they use")
    clubs = LongTextQuestion("Clubs, day centres and groups they go to")


class InterestsForm(QuestionForm):
    hobbies = LongTextQuestion("Hobbies and interests, past and present")
    habits = LongTextQuestion("Habits", description="For example buys a newspaper every morning")


SECTION = Section(
    slug="routines-and-interests",
    letter="H",
    title="Routines, habits and interests",
    pages=(
        Page(
            "weekly-routine",
            "Weekly routine",
            RoutineForm,
            rows_key="weekly_routine",
            row_noun="activity",
            row_article="an",
            intro="Add the things they do each week: where and when.",
            rows_core=True,
        ),
        Page("places-they-use", "Places they use", PlacesUsedForm),
        Page("interests", "Hobbies, interests and habits", InterestsForm),
    ),
)
