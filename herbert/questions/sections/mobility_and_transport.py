"""F. Mobility and transport."""

from herbert.questions.fields import LongTextQuestion, MultiChoiceQuestion, TextQuestion, YesNoQuestion
from herbert.questions.structure import Page, QuestionForm, Section


class WalkingForm(QuestionForm):
    walking_distance = TextQuestion(
        "How far they can walk", description="For example about 2 miles, to the end of the road"
    )
    walking_aids = MultiChoiceQuestion(
        "Walking aids",
        core=True,
        choices=[
            ("none", "None"),
            ("stick", "Walking stick"),
            ("frame", "Walking frame"),
            ("wheelchair", "Wheelchair"),
            ("scooter", "Mobility scooter"),
            ("other", "Something else"),
        ],
        description="Select all that apply",
    )
    walking_aids_details = TextQuestion("More about their walking aids", description="For example a red folding stick")


class TravelForm(QuestionForm):
    travel_modes = MultiChoiceQuestion(
        "Usual ways of travelling",
        core=True,
        choices=[
            ("walk", "Walking"),
            ("bus", "Bus"),
            ("train", "Train"),
            ("taxi", "Taxi"),
            ("bicycle", "Bicycle"),
            ("drives", "Driving"),
        ],
        description="Select all that apply",
    )
    bus_pass = YesNoQuestion("Do they have a bus pass or travel card?")
    bus_pass_details = TextQuestion(
        "Which bus pass or travel card",
        show_if=("bus_pass", "yes"),
        description="For example an older person's bus pass",
    )
    bus_routes = LongTextQuestion("Bus routes they use", description="Route numbers and where they get on and off")
    walking_routes = LongTextQuestion("Walking routes they use")


class DrivingForm(QuestionForm):
    drives = YesNoQuestion("Do they drive, or can they get hold of car keys?")
    vehicle_make = TextQuestion("Vehicle make", core=True, show_if=("drives", "yes"), description="For example Ford")
    vehicle_model = TextQuestion(
        "Vehicle model", core=True, show_if=("drives", "yes"), description="For example Fiesta"
    )
    vehicle_colour = TextQuestion("Vehicle colour", core=True, show_if=("drives", "yes"), width="govuk-input--width-20")
    vehicle_registration = TextQuestion(
        "Vehicle registration number", core=True, show_if=("drives", "yes"), width="govuk-input--width-10"
    )


SECTION = Section(
    slug="mobility-and-transport",
    letter="F",
    title="Mobility and transport",
    pages=(
        Page("walking", "Walking", WalkingForm),
        Page("travel", "How they get about", TravelForm),
        Page("driving", "Do they drive, or can they get hold of car keys?", DrivingForm),
    ),
)
