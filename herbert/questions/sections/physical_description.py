"""B. Physical description."""

from herbert.questions.fields import (
    ChoiceQuestion,
    HeightQuestion,
    LongTextQuestion,
    TextQuestion,
    YesNoQuestion,
)
from herbert.questions.sections import Document, answer
from herbert.questions.structure import CoreCheck, Page, QuestionForm, Section

SLUG = "physical-description"


class HeightBuildForm(QuestionForm):
    height = HeightQuestion(
        "Height",
        core=True,
        description="In centimetres, like 170, or in feet and inches, like 5 ft 7 in",
    )
    weight = TextQuestion("Weight", description="For example 70 kg or 11 stone", width="govuk-input--width-10")
    build = ChoiceQuestion(
        "Build",
        core=True,
        choices=[("thin", "Thin"), ("slim", "Slim"), ("medium", "Medium"), ("stocky", "Stocky"), ("heavy", "Heavy")],
    )


class HairFaceForm(QuestionForm):
    hair_colour = TextQuestion("Hair colour", core=True, description="For example grey, white, dyed brown")
    hair_style = TextQuestion("Hair style and length", core=True, description="For example short and curly, bald")
    facial_hair = TextQuestion("Facial hair", description="For example a grey moustache")
    eye_colour = TextQuestion("Eye colour")
    complexion = TextQuestion("Complexion", description="For example pale, freckled, ruddy")


class AidsForm(QuestionForm):
    wears_glasses = YesNoQuestion("Do they wear glasses?")
    glasses_outdoors = YesNoQuestion("Do they wear them outdoors?", show_if=("wears_glasses", "yes"))
    glasses_description = TextQuestion(
        "Description of their glasses", show_if=("wears_glasses", "yes"), description="For example gold wire frames"
    )
    contact_lenses = YesNoQuestion("Do they wear contact lenses?")
    hearing_aids = YesNoQuestion("Do they wear hearing aids?")
    dentures = YesNoQuestion("Do they wear dentures?")


class HasFeaturesForm(QuestionForm):
    has_distinguishing_features = YesNoQuestion(
        "Do they have any distinguishing features?",
        core=True,
        description="Scars, tattoos, birthmarks, piercings or anything else that would help police recognise them",
    )


FEATURE_KINDS = [
    ("scar", "Scar"),
    ("tattoo", "Tattoo"),
    ("birthmark", "Birthmark"),
    ("piercing", "Piercing"),
    ("other", "Something else"),
]


class FeatureForm(QuestionForm):
    feature_kind = ChoiceQuestion("Type of feature", choices=FEATURE_KINDS)
    location = TextQuestion("Where on their body", description="For example back of the left hand")
    description = LongTextQuestion("Description", description="Size, colour, shape, what a tattoo shows")


class ClothingForm(QuestionForm):
    usual_clothing = LongTextQuestion(
        "Usual clothing", description="What they usually wear, for example a tweed jacket and cardigan"
    )
    footwear = TextQuestion("Usual footwear", description="For example brown slip-on shoes, or slippers")
    usual_coat = TextQuestion("Usual coat")
    hat = TextQuestion("Hat")
    jewellery = TextQuestion("Jewellery worn every day", description="For example a wedding ring, a watch")
    gait = LongTextQuestion("Walk and posture", description="For example shuffles, stooped, walks quickly, limps")


def has_features(document: Document) -> bool:
    return answer(document, SLUG, "has_distinguishing_features") == "yes"


SECTION = Section(
    slug=SLUG,
    letter="B",
    title="Physical description",
    pages=(
        Page("height-and-build", "Height and build", HeightBuildForm),
        Page("hair-and-face", "Hair, face and eyes", HairFaceForm),
        Page("glasses-and-aids", "Glasses, hearing aids and dentures", AidsForm),
        Page(
            "any-distinguishing-features",
            "Do they have any scars, tattoos or other distinguishing features?",
            HasFeaturesForm,
        ),
        Page(
            "distinguishing-features",
            "Distinguishing features",
            FeatureForm,
            rows_key="distinguishing_features",
            row_noun="feature",
            intro="Add each scar, tattoo, birthmark, piercing or other feature.",
            show_when=has_features,
        ),
        Page("clothing", "Usual clothing and appearance", ClothingForm),
    ),
    core_checks=(
        CoreCheck(
            "Details of their distinguishing features",
            lambda answers: (
                answers.get("has_distinguishing_features") != "yes" or bool(answers.get("distinguishing_features"))
            ),
        ),
    ),
)
