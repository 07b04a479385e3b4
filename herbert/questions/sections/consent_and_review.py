"""M. Consent, completion and review. Date completed is set when a version is published; the next
review date defaults to six months after it."""

from herbert.questions.fields import (
    AutomaticDateQuestion,
    ChoiceQuestion,
    DateQuestion,
    LongTextQuestion,
    PhoneQuestion,
    TextQuestion,
    YesNoQuestion,
)
from herbert.questions.structure import Page, QuestionForm, Section

SLUG = "consent-and-review"
REVIEW_MONTHS = 6  # the next review date, when the carer leaves it blank: this long after the form is confirmed


class CompletedByForm(QuestionForm):
    completed_by_name = TextQuestion("Completed by", core=True, description="Your full name")
    completed_by_relationship = TextQuestion(
        "Relationship of the person completing the form",
        core=True,
        description="For example daughter, husband, care home manager",
    )
    completed_by_phone = PhoneQuestion("Phone number of the person completing the form", core=True)


CONSENT = [
    ("person", "They agreed to this form themselves"),
    ("next_of_kin", "Their next of kin agreed"),
    ("best_interests", "A best-interests decision was made for them"),
]


class ConsentForm(QuestionForm):
    consent_basis = ChoiceQuestion(
        "Consent",
        core=True,
        choices=CONSENT,
        description="Ask their permission where you can. If they cannot decide, record a best-interests decision",
    )
    consent_next_of_kin_name = TextQuestion(
        "Name of the next of kin who agreed", show_if=("consent_basis", "next_of_kin")
    )
    best_interests_by = TextQuestion("Best-interests decision made by", show_if=("consent_basis", "best_interests"))
    best_interests_role = TextQuestion(
        "Role of the person who made the decision",
        show_if=("consent_basis", "best_interests"),
        description="For example social worker, GP, lasting power of attorney",
    )
    best_interests_date = DateQuestion(
        "Date of the decision", past_only=True, show_if=("consent_basis", "best_interests")
    )
    best_interests_reason = LongTextQuestion("Reason for the decision", show_if=("consent_basis", "best_interests"))
    person_aware = YesNoQuestion("Do they know this form exists?")


class PublicityForm(QuestionForm):
    publicity_consent = YesNoQuestion(
        "May police use their photo and description in a public appeal?",
        description="If they go missing, police may ask the public for help. We only offer the appeal poster "
        "if you answer yes",
    )


class ReviewForm(QuestionForm):
    date_completed = AutomaticDateQuestion("Date completed", core=True, filled_at_publish=True)
    next_review_date = DateQuestion(
        "Next review date",
        core=True,
        filled_at_publish=True,
        description="Leave it blank and we will set it to six months after you confirm the form. Review it "
        "sooner if their medication, routine or address changes",
    )


SECTION = Section(
    slug=SLUG,
    letter="M",
    title="Consent, completion and review",
    pages=(
        Page("completed-by", "Who is completing this form", CompletedByForm),
        Page("consent", "Consent", ConsentForm),
        Page("public-appeal", "Can police use their photo and description in a public appeal?", PublicityForm),
        Page("review", "Review date", ReviewForm),
    ),
)
