"""Issue 9, the police side, in a real browser: the carer's share page, police entry by reference + code
on a fresh phone, the police view's first screen (name, photo and urgent medicine without scrolling at
375 x 812) and its print. axe at zero violations on every page, 375 px and 320 px, keyboard only."""

import io
import os
import re

import pytest
from PIL import Image
from playwright.sync_api import Page
from pypdf import PdfReader

from tests.support.browser import NARROW, PHONE, Journey, tab_to
from tests.support.photos import jpeg

pytestmark = pytest.mark.browser

TALL_PHONE = {"width": 375, "height": 812}
MEDICINES = [
    {"id": "m1", "medicine_name": "Donepezil", "dose": "10 mg", "when_taken": "Every morning", "urgency": "not_urgent"},
    {
        "id": "m2",
        "medicine_name": "Insulin",
        "dose": "8 units",
        "when_taken": "Before meals",
        "if_missed": "Confused within hours, then drowsy",
        "urgency": "urgent",
    },
]


def seed_person(live_server, email: str) -> str:
    """Set-up, not under test: a person with a portrait photo, medicines and contacts, stored straight through
    the record store into the live server's own database and keyring (its pages are tested elsewhere)."""
    from herbert import create_app
    from herbert.extensions import db
    from herbert.models import Person, User
    from herbert.photos import cleaning
    from herbert.records import store

    os.environ["HERBERT_INSTANCE_PATH"] = str(live_server.instance)
    try:
        app = create_app({"PUBLIC_URL": live_server.url})
    finally:
        os.environ.pop("HERBERT_INSTANCE_PATH", None)
    with app.app_context():
        user = db.session.execute(db.select(User).filter_by(email=email)).scalar_one()
        person_id = store.create_person(user.id)
        person = db.session.get(Person, person_id)
        answers = {
            "about-the-person": {
                "full_name": "Margaret Example",
                "preferred_name": "Peggy",
                "date_of_birth": "1942-03-01",
            },
            "health-and-medication": {"takes_medication": "yes", "medication": MEDICINES},
            "communication-and-behaviour": {"best_approach": "Speak slowly and kneel to her level"},
            "contacts": {
                "contacts": [
                    {
                        "id": "c1",
                        "role": "next_of_kin",
                        "contact_name": "Susan Ellis",
                        "relationship": "Daughter",
                        "phone": "07700 900123",
                    }
                ]
            },
        }
        for section, section_answers in answers.items():
            store.save_section(person, section, section_answers)
        store.save_summary(person, {"name": "Margaret Example", "preferred_name": "Peggy"})
        store.publish(person, user.id, store.load_draft(person), None)
        portrait = cleaning.clean_photo(jpeg(1200, 1600)).jpeg
        store.add_photo(person, portrait, {"kind": "head_and_shoulders", "taken_on": "2026-10-20", "caption": ""})
        db.session.remove()
        db.engine.dispose()
    return person_id


def share_through_the_pages(carer: Journey, person_id: str) -> tuple[str, str, str]:
    """Report missing (the time typed, as a carer says it), share, and read the reference, code and link."""
    carer.visit(f"/people/{person_id}/missing/last-seen")
    with carer.navigation():
        carer.page.locator("main").get_by_role("button", name="About an hour ago").click()
    assert carer.page.locator("#quick-pick-filled").is_visible()
    carer.submit("Save and share with police now")
    carer.submit("Share with police")
    return (
        carer.page.locator("#share-reference").inner_text().strip(),
        carer.page.locator("#share-code").inner_text().strip(),
        carer.page.locator("#share-link").inner_text().strip(),
    )


@pytest.fixture
def shared(make_journey, live_server):
    carer = make_journey(viewport=PHONE)
    email = carer.sign_up()
    person_id = seed_person(live_server, email)
    reference, code, link = share_through_the_pages(carer, person_id)
    return carer, reference, code, link


def test_share_page_on_a_phone_reads_out_and_sends(shared):
    carer, reference, code, link = shared
    page = carer.page
    assert re.fullmatch(r"[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}", reference)
    main = page.locator("main")
    for text in (reference, code):
        assert main.get_by_text(text, exact=True).is_visible()
    assert "monospace" in page.locator("#share-code").evaluate("(e) => getComputedStyle(e).fontFamily")
    read_out = page.locator("#read-out").inner_text()
    host = carer.server.url.split("://", 1)[1]  # PUBLIC_URL of the live server, never the Host header
    assert read_out == f"Go to {host}/police and enter reference {reference} and access code {code}"
    sms = page.locator("#send-details-sms")
    assert sms.is_visible() and sms.get_attribute("href").startswith("sms:?&body=")
    # Keyboard only: from the top of the page to the text-message button, then the email one.
    page.keyboard.press("Home")
    tab_to(page, "#send-details-sms", skip_link=True)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "send-details-email"
    # "Send both" is behind a disclosure, opened with the keyboard.
    assert not page.locator("#send-both-sms").is_visible()
    tab_to(page, "summary.govuk-details__summary")
    page.keyboard.press("Enter")
    assert page.locator("#send-both-sms").is_visible()
    carer.check("share page, 'send both' open")
    page.set_viewport_size(NARROW)
    carer.check("share page at 320 px")


def test_police_enter_reference_and_code_on_a_fresh_phone(shared, make_journey):
    _carer, reference, code, _link = shared
    police = make_journey(viewport=TALL_PHONE)  # a fresh context: no cookies from the carer
    police.visit("/police")
    page = police.page
    # Keyboard only, typed as a call handler might: small letters, spaces, no dash.
    tab_to(page, "input[name=reference]", skip_link=True)
    page.keyboard.type(reference.lower().replace("-", " "))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "code"
    page.keyboard.type(code.replace("-", "").lower())
    with police.navigation():
        page.keyboard.press("Enter")
    assert police.path == f"/police/form/{reference}"
    police.visit(police.path)  # the first screen as it opens (the skip link above left a #main-content behind)
    assert_first_screen(page)
    page.set_viewport_size(NARROW)
    police.check("police view at 320 px")


def test_police_wrong_code_then_right_one(shared, make_journey):
    _carer, reference, code, _link = shared
    police = make_journey(viewport=PHONE)
    police.visit("/police")
    police.fill("Reference", reference)
    police.fill("Access code", "WRNG-CDE2")
    police.submit("Open the form")
    assert police.error_state()
    assert "reference or access code is not right" in police.page.locator(".govuk-error-summary").inner_text()
    police.fill("Access code", code)
    police.submit("Open the form")
    assert police.page.locator("h1").inner_text().startswith("Margaret Example")


def assert_first_screen(page: Page) -> None:
    """Name, photo and the urgent medicine all inside the first 812 pixels, without scrolling."""
    assert page.evaluate("window.scrollY") == 0
    height = page.viewport_size["height"]
    h1 = page.locator("main h1")
    assert "Margaret Example" in h1.inner_text() and "Peggy" in h1.inner_text()
    assert "Margaret Example" in page.title()
    photo = page.locator("#grab-sheet img.app-grab-photo__img")
    urgent = page.locator("li.app-medicine--urgent").first
    assert "Insulin" in urgent.inner_text() and urgent.locator(".govuk-tag").inner_text().strip().upper() == "URGENT"
    for what, locator in (("name", h1), ("photo", photo), ("urgent medicine", urgent.locator(".govuk-tag"))):
        box = locator.bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, (what, box, height)
    photo_box = photo.bounding_box()
    assert photo_box["width"] <= page.viewport_size["width"] and photo_box["height"] >= 150, photo_box
    assert photo.evaluate("(img) => img.complete && img.naturalWidth > 0")
    tag = urgent.locator(".govuk-tag").bounding_box()
    print(
        f"\nFirst screen at {page.viewport_size}: the urgent medicine's tag ends at {tag['y'] + tag['height']:.0f} px"
    )


def test_main_photo_opens_full_size(shared, make_journey):
    _carer, reference, code, _link = shared
    police = make_journey(viewport=PHONE)
    police.visit(f"/police?reference={reference}")
    police.fill("Access code", code)
    police.submit("Open the form")
    link = police.page.locator("#grab-sheet a.app-grab-photo__link")
    href = link.get_attribute("href")
    assert href.endswith("/photos/1.jpg") and link.locator("img").get_attribute("src") == href
    # The tap opens the photo itself, at its full stored size (the browser's own image viewer shows it).
    full = police.page.request.get(href)
    assert full.ok and full.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(full.body())).size == (1200, 1600)
    shown = link.locator("img").bounding_box()
    assert shown["width"] < 1200 and shown["width"] <= PHONE["width"]  # scaled to the screen on the page


def test_printing_the_police_view_gives_the_grab_sheet_first_without_urls(shared, make_journey):
    _carer, reference, code, _link = shared
    police = make_journey(viewport=PHONE)
    police.visit("/police")
    police.fill("Reference", reference)
    police.fill("Access code", code)
    police.submit("Open the form")
    page = police.page
    page.emulate_media(media="print")
    hidden = page.evaluate(
        """() => ['.govuk-service-navigation', '.govuk-footer', '.app-no-print'].map(
             (s) => [...document.querySelectorAll(s)].every((e) => getComputedStyle(e).display === 'none'))"""
    )
    assert hidden == [True, True, True]
    after = page.evaluate(
        """() => [...document.querySelectorAll('main a')].map((a) => getComputedStyle(a, '::after').content)"""
    )
    assert all(content in ("none", "normal", '""') for content in after), after
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4", print_background=True)))
    first = " ".join(pdf.pages[0].extract_text().split())
    for expected in ("Margaret Example", "Peggy", "Missing now", "URGENT", "Insulin", "Susan Ellis"):
        assert expected.lower() in first.lower(), (expected, first[:500])
    everything = " ".join(p.extract_text() for p in pdf.pages)
    assert "http://" not in everything and "tel:" not in everything and "/police/form/" not in everything
    assert "Download PDF" not in everything and "Close the form" not in everything
    page.emulate_media(media="screen")
    print(f"\nPrinted police view: {len(pdf.pages)} pages, page 1 = the grab sheet")
