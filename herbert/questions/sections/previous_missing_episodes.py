"""J. Previous missing episodes."""

from herbert.questions.fields import DateQuestion, LongTextQuestion, PostcodeQuestion, TextQuestion, YesNoQuestion
from herbert.questions.sections import Document, answer
from herbert.questions.structure import Page, QuestionForm, Section

SLUG = "previous-missing-episodes"


class GoneMissingBeforeForm(QuestionForm):
    has_gone_missing_before = YesNoQuestion("Have they gone missing before?")


class EpisodeForm(QuestionForm):
    episode_date = DateQuestion("Date", past_only=True, description="For example, 14 2 2024")
    missing_from = TextQuestion("Where they went missing from")
    where_found = TextQuestion("Where they were found")
    where_found_postcode = PostcodeQuestion(
        "Postcode where they were found", description="If you know it: police can see how far it is"
    )
    how_long = TextQuestion("How long they were missing", description="For example 6 hours")
    how_travelled = TextQuestion("How they travelled", description="For example walked, took the bus")
    condition_found = LongTextQuestion("Their condition when found")
    found_by = TextQuestion("Who found them")
    police_reference = TextQuestion("Police reference", width="govuk-input--width-20")


def has_gone_missing_before(document: Document) -> bool:
    return answer(document, SLUG, "has_gone_missing_before") == "yes"


SECTION = Section(
    slug=SLUG,
    letter="J",
    title="Previous missing episodes",
    pages=(
        Page("gone-missing-before", "Have they gone missing before?", GoneMissingBeforeForm),
        Page(
            "episodes",
            "Times they have gone missing",
            EpisodeForm,
            rows_key="episodes",
            row_noun="episode",
            row_article="an",
            intro="Where they were found is often where police look first.",
            show_when=has_gone_missing_before,
        ),
    ),
)
