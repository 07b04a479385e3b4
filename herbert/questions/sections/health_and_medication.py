"""D. Health and medication."""

from herbert.questions.fields import (
    ChoiceQuestion,
    LongTextQuestion,
    MultiChoiceQuestion,
    PhoneQuestion,
    TextQuestion,
    YesNoQuestion,
)
from herbert.questions.sections import Document, answer
from herbert.questions.structure import CoreCheck, Page, QuestionForm, Section

SLUG = "health-and-medication"


class DiagnosisForm(QuestionForm):
    diagnosis = MultiChoiceQuestion(
        "Diagnosis",
        core=True,
        choices=[
            ("dementia", "Dementia"),
            ("learning_disability", "Learning disability"),
            ("brain_injury", "Brain injury"),
            ("other", "Something else"),
        ],
        description="Select all that apply",
    )
    diagnosis_details = TextQuestion(
        "Type of dementia or other diagnosis", description="For example Alzheimer's disease, vascular dementia"
    )
    diagnosed_when = TextQuestion(
        "When they were diagnosed", description="A year is fine, for example 2021", width="govuk-input--width-10"
    )


class ConditionsForm(QuestionForm):
    other_conditions = LongTextQuestion(
        "Other health conditions",
        core=True,
        description="For example diabetes, epilepsy or a heart condition: what police and paramedics need to know",
    )
    allergies = LongTextQuestion("Allergies")
    sight_hearing = LongTextQuestion("Sight or hearing impairment")


class TakesMedicationForm(QuestionForm):
    takes_medication = YesNoQuestion("Do they take any medication?", core=True)


URGENCY = [
    ("urgent", "Urgent: they need it within hours"),
    ("soon", "They need it within a day"),
    ("not_urgent", "Not urgent"),
]


class MedicineForm(QuestionForm):
    medicine_name = TextQuestion("Medicine", description="The name on the box, for example donepezil")
    dose = TextQuestion("Dose", description="For example 10 mg", width="govuk-input--width-20")
    when_taken = TextQuestion("When it is taken", description="For example every morning with breakfast")
    if_missed = LongTextQuestion("What happens if a dose is missed")
    urgency = ChoiceQuestion("How urgent a missed dose is", choices=URGENCY)


class GpForm(QuestionForm):
    gp_name = TextQuestion("GP's name", core=True)
    gp_surgery = TextQuestion("GP surgery", core=True)
    gp_phone = PhoneQuestion("GP surgery phone number", core=True)


class WellbeingForm(QuestionForm):
    mental_health = LongTextQuestion("Mental health", description="For example depression or anxiety")
    alcohol = LongTextQuestion("Alcohol", description="How much they drink, and where")
    temperature = LongTextQuestion(
        "Tolerance of cold or heat", description="For example feels the cold badly, goes out without a coat"
    )
    continence = LongTextQuestion("Continence")
    dietary_needs = LongTextQuestion("Dietary needs", description="For example diabetic, vegetarian, soft food")


def takes_medication(document: Document) -> bool:
    return answer(document, SLUG, "takes_medication") == "yes"


SECTION = Section(
    slug=SLUG,
    letter="D",
    title="Health and medication",
    pages=(
        Page("diagnosis", "Diagnosis", DiagnosisForm),
        Page("other-conditions", "Other health conditions", ConditionsForm),
        Page("takes-medication", "Do they take any medication?", TakesMedicationForm),
        Page(
            "medication",
            "Medicines they take",
            MedicineForm,
            rows_key="medication",
            row_noun="medicine",
            intro="Add each medicine, with what happens if they miss a dose.",
            show_when=takes_medication,
        ),
        Page("gp", "Their GP", GpForm),
        Page("other-health-needs", "Other health needs", WellbeingForm),
    ),
    core_checks=(
        CoreCheck(
            "Their medicines",
            lambda answers: answers.get("takes_medication") != "yes" or bool(answers.get("medication")),
        ),
    ),
)
