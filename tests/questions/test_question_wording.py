"""GOV.UK asks for questions as questions: every yes/no question reads as one ("Do they wear glasses?")
and shows its Yes and No side by side when nothing is revealed under them."""

from bs4 import BeautifulSoup

from herbert.questions import registry


def yes_no_questions():
    for section in registry.SECTIONS:
        for question in registry.iter_questions(section):
            candidates = [question, *question.row_questions] if question.kind == "rows" else [question]
            yield from (q for q in candidates if q.kind == "yes_no")


def test_every_yes_no_label_is_a_question():
    labels = [question.label for question in yes_no_questions()]
    assert len(labels) >= 20
    not_questions = [label for label in labels if not label.endswith("?")]
    assert not not_questions, not_questions
    assert "Do they wear glasses?" in labels


def test_yes_no_without_follow_ups_is_inline(carer):
    page = BeautifulSoup(carer.client.get(carer.url("physical-description", "glasses-and-aids")).data, "html.parser")
    dentures = page.find("input", attrs={"name": "dentures"}).find_parent(class_="govuk-radios")
    assert "govuk-radios--inline" in dentures["class"]
    legend = dentures.find_parent("fieldset").find("legend").get_text(strip=True)
    assert legend == "Do they wear dentures?"
    glasses = page.find("input", attrs={"name": "wears_glasses"}).find_parent(class_="govuk-radios")
    assert "govuk-radios--inline" not in glasses["class"]  # it reveals a follow-up: GOV.UK stacks those


def test_date_completed_is_not_listed_as_not_answered(carer):
    """The service fills in the completion date when the form is confirmed: check your answers does not
    list it as "Not answered" before then."""
    carer.save("about-the-person", "name", {"full_name": "Margaret Smith"})
    text = BeautifulSoup(carer.client.get(carer.url("check-answers")).data, "html.parser").get_text(" ")
    assert "Date completed" not in text
    assert "Next review date" in text
