"""Issue 4 in a real browser: the whole Herbert Protocol form filled in Chromium with the keyboard alone,
every page (error states included) at zero axe violations and without horizontal scrolling; the same
journey with JavaScript turned off and on a 320-pixel-wide screen; then the PDF downloaded.

The answers come from the question registry, so a new question or page is covered without editing
this file: text boxes get plausible text, radios the answer that reveals their follow-ups, and every
"add another" page gets a row.
"""

import io
from datetime import date

import pytest
from PIL import Image, ImageDraw

from herbert.questions.registry import SECTIONS, Question, Section
from herbert.questions.registry import Page as FormPage
from tests.support.browser import NARROW, Journey, tab_to
from tests.support.keyboard_form import Answer, Answerer, File, Focused, fill_by_keyboard

pytestmark = pytest.mark.browser

FULL_NAME = "Ada Example"
# Radios whose answer shapes the rest of the form: a care home brings in section L; best interests
# reveals five follow-up questions (including a date input) inside the consent radios.
CHOSEN = {"living_situation": "care_home", "consent_basis": "best_interests"}
# Malformed answers tried first on some pages, to see each kind of page in its error state.
MALFORMED = {
    ("about-the-person", "date-of-birth"): {"date_of_birth": {"day": "31", "month": "2", "year": "1950"}},
    ("physical-description", "height-and-build"): {"height": "9 metres"},
    ("phone-money-and-devices", "money"): {"bank_cards": "Visa 4111 1111 1111 1111"},
    ("contacts", "contacts"): {"phone": "not a phone"},
}
QUESTIONS = {
    section.slug: {q.name: q for page in section.pages for q in (page.row_questions or page.questions)}
    for section in SECTIONS
}


def sample_jpeg() -> bytes:
    """A small head-and-shoulders stand-in, made with Pillow."""
    image = Image.new("RGB", (480, 600), (200, 180, 160))
    draw = ImageDraw.Draw(image)
    draw.ellipse((140, 80, 340, 320), fill=(230, 200, 170))
    draw.rectangle((90, 360, 390, 600), fill=(40, 60, 120))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def revealing_value(question: Question) -> str | None:
    """The first answer of a radio question that reveals a follow-up on its page."""
    followers = [q for q in question.page.questions if q.show_if and q.show_if[0] == question.name]
    for value, _label in question.choices:
        if any(value in q.show_if[1] for q in followers):
            return value
    return None


def good_answer(question: Question, control: Focused) -> Answer:
    kind, name = question.kind, question.name
    if kind in ("date", "datetime"):
        return {"day": "1", "month": "3", "year": "1950"}.get(control.date_part or "")
    if kind in ("yes_no", "choice"):
        return CHOSEN.get(name) or revealing_value(question) or question.choices[0][0]
    if kind == "multi_choice":
        return question.choices[0][0]
    if kind == "phone":
        return "01632 960001"
    if kind == "number":
        return "170"
    if kind == "address":
        return "1 Example Street\nExampletown"
    if kind == "long_text":
        return "Some details."
    if name == "full_name":
        return FULL_NAME
    if name.endswith("postcode"):
        return "AB1 2CD"
    if name == "nhs_number":
        return "943 476 5919"
    if name == "email_addresses":
        return "ada@example.com"
    return "Sample"


def question_answerer(section: Section, malformed: dict | None = None) -> Answerer:
    def answer(control: Focused) -> Answer:
        if malformed and control.name in malformed:
            bad = malformed[control.name]
            return bad.get(control.date_part or "") if isinstance(bad, dict) else bad
        question = QUESTIONS[section.slug].get(control.name)
        return good_answer(question, control) if question else None

    return answer


def photo_answerer(photo: File) -> Answerer:
    today = date.today()
    parts = {"day": str(today.day), "month": str(today.month), "year": str(today.year)}

    def answer(control: Focused) -> Answer:
        if control.file_button:
            return photo
        if control.name == "kind":
            return "head_and_shoulders"
        if control.name == "taken_on":
            return parts.get(control.date_part or "")
        if control.name == "caption":
            return "In the garden, wearing a blue jumper"
        return None

    return answer


class FormFiller:
    """Goes through every section from the person's task list, by keyboard, checking every page."""

    def __init__(self, journey: Journey, *, error_states: bool):
        self.journey = journey
        self.page = journey.page
        self.error_states = error_states
        self.person_path = ""
        self.pages_seen: set[tuple[str, str]] = set()

    # -- keyboard moves ----------------------------------------------------------------------
    def go(self, selector: str) -> None:
        """Tab to a link or button and press Enter; the page it opens is checked."""
        tab_to(self.page, selector, max_presses=150, skip_link=selector.startswith("main "))
        with self.journey.navigation():
            self.page.keyboard.press("Enter")

    def fill_and_submit(self, answer: Answerer, submit_text: str = "Save and continue") -> None:
        fill_by_keyboard(self.page, answer, submit_text)
        with self.journey.navigation():
            self.page.keyboard.press("Enter")

    def submit_with_errors(self, answer: Answerer, submit_text: str) -> None:
        self.fill_and_submit(answer, submit_text)
        assert self.journey.error_state(), f"expected an error on {self.journey.path}"

    # -- the journey -------------------------------------------------------------------------
    def add_person(self) -> None:
        self.journey.visit("/people")
        self.go("main a[href$='/people/new']")
        self.go("main form button[type=submit]")
        self.person_path = "/".join(self.journey.path.split("/")[:3])

    def fill_every_section(self, photo: File) -> None:
        for number, section in enumerate(SECTIONS):
            if number:  # the first section opens straight after "Start"
                slug = "photos" if section.endpoint == "photos.index" else section.slug
                self.go(f"main .govuk-task-list a[href='{self.person_path}/{slug}']")
            if section.endpoint is not None:
                self.add_photo(photo)
            else:
                self.fill_section(section)
            assert self.journey.path == self.person_path, f"section {section.letter} ended on {self.journey.path}"
            if number == 0 and self.error_states:
                self.confirm_without_consent()

    def fill_section(self, section: Section) -> None:
        prefix = f"{self.person_path}/{section.slug}/"
        while self.journey.path.startswith(prefix):
            form_page = section.page_by_slug(self.journey.path[len(prefix) :].split("/")[0])
            self.pages_seen.add((section.slug, form_page.slug))
            if form_page.rows_key:
                self.fill_rows(section, form_page)
            else:
                self.fill_question_page(section, form_page)

    def fill_question_page(self, section: Section, form_page: FormPage) -> None:
        malformed = MALFORMED.get((section.slug, form_page.slug))
        if malformed and self.error_states:
            self.submit_with_errors(question_answerer(section, malformed), "Save and continue")
        if form_page.slug == "consent":
            fill_by_keyboard(self.page, question_answerer(section), "Save and continue")
            revealed = self.page.get_by_label("Best-interests decision made by", exact=True)
            assert revealed.is_visible(), "choosing best interests should reveal its follow-up questions"
            self.journey.check("consent page with the best-interests questions revealed")
            with self.journey.navigation():
                self.page.keyboard.press("Enter")
            return
        last_page = section.pages[-1] is form_page
        later = self.error_states and section.slug == "physical-description" and last_page
        self.fill_and_submit(question_answerer(section), "Save and come back later" if later else "Save and continue")

    def fill_rows(self, section: Section, form_page: FormPage) -> None:
        list_path = self.journey.path
        self.go(f"main a[href$='/{form_page.slug}/new']")
        malformed = MALFORMED.get((section.slug, form_page.slug))
        if malformed and self.error_states:
            self.submit_with_errors(question_answerer(section, malformed), "Save and continue")
        self.fill_and_submit(question_answerer(section))
        assert self.journey.path == list_path
        if form_page.slug == "medication":
            # "Add another", then remove one of the two rows (with the confirmation's error state).
            assert self.page.locator("main").get_by_text(f"Add another {form_page.row_noun}").is_visible()
            self.go(f"main a[href$='/{form_page.slug}/new']")
            self.fill_and_submit(question_answerer(section))
            assert self.page.locator("main .govuk-summary-card").count() == 2
            self.go("main a[href$='/remove']")
            if self.error_states:
                self.submit_with_errors(lambda control: None, "Continue")
            self.fill_and_submit(lambda control: "yes" if control.name == "confirm" else None, "Continue")
            assert self.page.locator("main .govuk-summary-card").count() == 1
        self.fill_and_submit(lambda control: None)

    def add_photo(self, photo: File) -> None:
        self.go("main a[href$='/photos/add']")
        if self.error_states:
            self.submit_with_errors(lambda control: None, "Add photo")
        self.fill_and_submit(photo_answerer(photo), "Add photo")
        assert self.journey.path == f"{self.person_path}/photos", "the photo was not accepted"
        assert self.page.locator("main img").count() == 1
        self.go(f"main a[href='{self.person_path}']")

    def confirm_without_consent(self) -> None:
        """Check your answers, then Confirm before section M is done: refused, in the page's error state."""
        self.go(f"main a[href='{self.person_path}/check-answers']")
        self.go("main form button[type=submit]")
        assert self.journey.error_state()
        assert "consent" in self.page.locator("main").inner_text()
        # Focus is on the error summary; the back link sits just above it, so a keyboard user goes back to it.
        tab_to(self.page, "a.govuk-back-link", max_presses=10, backwards=True)
        with self.journey.navigation():
            self.page.keyboard.press("Enter")

    def confirm_and_download_pdf(self) -> bytes:
        self.go(f"main a[href='{self.person_path}/check-answers']")
        assert FULL_NAME in self.page.locator("main").inner_text()
        self.go("main form button[type=submit]")
        assert self.journey.path == self.person_path
        assert "Version 1 confirmed" in self.page.locator("main").inner_text()
        tab_to(self.page, "main a[href$='/pdf/version/1']", max_presses=150, skip_link=True)
        with self.page.expect_download(timeout=60_000) as download:
            self.page.keyboard.press("Enter")
        return download.value.path().read_bytes()

    def tour_other_pages(self) -> None:
        """The record's other pages, once there is a version and a photo (not part of filling the form)."""
        journey, person = self.journey, self.person_path
        journey.visit("/people")
        assert FULL_NAME in self.page.locator("main").inner_text()
        journey.visit(f"{person}/versions/1")
        journey.visit(f"{person}/compare?to=draft")
        journey.visit(f"{person}/photos")
        change = self.page.locator("main a[href$='/change']").first.get_attribute("href")
        remove = self.page.locator("main a[href$='/remove']").first.get_attribute("href")
        journey.visit(change)
        journey.visit(remove)
        journey.visit(f"{person}/delete")
        journey.submit("Continue")
        assert journey.error_state()
        self.page.get_by_label("No, keep it").check()
        journey.submit("Continue")
        assert journey.path == person


def every_form_page() -> set[tuple[str, str]]:
    """Every question page of the form, given the answers this journey gives."""
    return {(section.slug, page.slug) for section in SECTIONS if section.endpoint is None for page in section.pages}


def run_whole_form(journey: Journey, *, error_states: bool) -> FormFiller:
    journey.sign_up()
    filler = FormFiller(journey, error_states=error_states)
    filler.add_person()
    filler.fill_every_section(File("garden.jpg", "image/jpeg", sample_jpeg()))
    pdf = filler.confirm_and_download_pdf()
    assert pdf.startswith(b"%PDF"), pdf[:20]
    assert filler.pages_seen == every_form_page()
    filler.tour_other_pages()
    return filler


def test_whole_form_by_keyboard_with_error_states(make_journey):
    journey = make_journey()
    run_whole_form(journey, error_states=True)
    error_pages = {entry["title"].split(" – ")[0] for entry in journey.visited if entry["error_state"]}
    # One error state per kind of page: question pages, a row page, the remove-row confirmation, the
    # photo upload, check your answers and deleting a record.
    assert len(error_pages) >= 8, error_pages


def test_whole_form_by_keyboard_without_javascript(make_journey):
    journey = make_journey(java_script_enabled=False)
    run_whole_form(journey, error_states=False)
    assert not journey.page.evaluate("document.body.classList.contains('js-enabled')")


def test_whole_form_at_320_pixels_wide(make_journey):
    # Journey.check fails any page wider than the window, so this is every page of the form at 320 px.
    journey = make_journey(viewport=NARROW)
    run_whole_form(journey, error_states=False)
