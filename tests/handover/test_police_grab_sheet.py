"""The police view starts with the person (issue 9): name and the name they answer to in the title and h1,
the main photo (a link to full size), age, "Missing now" with last seen and reported, urgent medicines first
(the word, not colour alone), places to search first, how to approach, contacts as tel: links; then the PDF
download and the rest of the form. Human dates only."""

import re
from datetime import datetime

import pytest

from herbert import clock
from herbert.dates import human_date
from herbert.extensions import db
from herbert.handover.police import grab_sheet
from herbert.models import User
from tests.support.journey import (
    PASSWORD,
    RICH_ANSWERS,
    create_share,
    make_person,
    page,
    police_open,
    report_missing,
    text_of,
)


@pytest.fixture
def rich(carer):
    """The carer's second person, with medicines, places, contacts and the rest (replaces the plain one)."""
    with carer.app.app_context():
        user = db.session.execute(db.select(User).filter_by(email="carer@example.com")).scalar_one()
        carer.person_id = make_person(user.id, answers=RICH_ANSWERS)
    return carer


def open_view(carer):
    clock.freeze(datetime(2026, 3, 10, 20, 21))
    report_missing(carer, seen_at=datetime(2026, 3, 10, 14, 30), direction="Towards the canal")
    link, code, _ = create_share(carer, password=PASSWORD)  # the frozen clock makes the sign-in look old
    police = carer.app.test_client()
    form_path = police_open(police, link, code).location
    return police, form_path, police.get(form_path)


def test_the_first_things_on_the_page_are_the_person(rich):
    _police, form_path, view = open_view(rich)
    soup = page(view)
    assert soup.title.text.startswith("Ada Canary-Example, answers to Ada: Herbert Protocol form")
    assert " ".join(soup.h1.get_text().split()) == "Ada Canary-Example, answers to “Ada”"
    headings = [" ".join(h.get_text().split()) for h in soup.select("main h2")]
    # issue 12's search aid follows the grab sheet (so a printed page 1 is the grab sheet alone), before Download
    grab_headings = [" ".join(h.get_text().split()) for h in soup.select("#grab-sheet h2")]
    assert "Where to look first" not in grab_headings and "Who to call" in grab_headings
    assert headings.index("What they look like") < headings.index("Where to look first") < headings.index("Download")
    headings.remove("Where to look first")
    assert headings[:5] == [
        "Missing now",
        "Medicines: 1 urgent",
        "Places to search first",
        "How to approach them",
        "Who to call",
    ]
    assert headings.index("Download") > headings.index("Who to call")
    assert headings.index("The whole form") > headings.index("Download")
    # The main photo, large, links to itself at full size.
    photo_link = soup.select_one("#grab-sheet a.app-grab-photo__link")
    assert photo_link["href"] == f"{form_path}/photos/1.jpg" and photo_link.img["src"] == photo_link["href"]
    assert "taken 2 January 2025" in photo_link.get_text()
    grab = " ".join(soup.select_one("#grab-sheet").get_text().split())
    assert "Age: 84 (born 1 March 1942)" in grab
    assert soup.select_one("#missing-since").text == "Last seen 2:30pm · reported 8:21pm"
    assert "Towards the canal" in grab


def test_urgent_medicines_come_first_in_words_not_colour_alone(rich):
    _police, _path, view = open_view(rich)
    medicines = page(view).select("ul.app-medicines > li")
    assert "Insulin 8 units" in medicines[0].get_text() and "Donepezil" in medicines[1].get_text()
    assert medicines[0].select_one(".govuk-tag").text == "Urgent"  # the word itself
    assert "app-medicine--urgent" in medicines[0]["class"]  # and a heavier bar, besides the tag's colour
    assert medicines[1].select_one(".govuk-tag").text == "Not urgent"
    assert "If a dose is missed: Confused within hours" in medicines[0].get_text()
    assert "Penicillin" in text_of(view)


def test_places_approach_and_tap_to_call_contacts(rich):
    _police, _path, view = open_view(rich)
    soup = page(view)
    places = [li.get_text() for li in soup.select("#grab-sheet ol li")]
    assert places == ["Found here before (14 June 2025): Bus station", "St Mary's Church – Church Lane – Married there"]
    assert "Speak slowly, call her Ada" in soup.select_one("#grab-sheet").get_text()
    contacts = soup.select("ul.app-contacts > li")
    assert contacts[0].strong.text == "Susan Ellis (Daughter)"  # next of kin first
    assert [a["href"] for a in contacts[0].select("a")] == ["tel:07700900123", "tel:+441632960002"]
    assert [a["href"] for a in contacts[1].select("a")] == ["tel:01632960001"]


def test_no_iso_dates_on_the_police_view(rich):
    _police, _path, view = open_view(rich)
    body = text_of(view)
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", body), re.findall(r"\b\d{4}-\d{2}-\d{2}\b", body)
    assert "taken 5 November 2024" in body  # the other photo's date, in the whole form


def test_police_view_of_a_sparse_form_still_starts_with_the_name(carer):
    report_missing(carer)
    link, code, _ = create_share(carer)
    police = carer.app.test_client()
    view = police.get(police_open(police, link, code).location)
    soup = page(view)
    assert "Ada Canary-Example" in soup.h1.text and "No medicines" not in text_of(view)
    assert soup.select_one("#grab-sheet .app-grab-photo__img")


@pytest.mark.parametrize(
    ("typed", "href"),
    [
        ("07700 900123", "tel:07700900123"),
        ("+44 7700 900 123", "tel:+447700900123"),
        ("+44 (0)7700-900-123", "tel:+447700900123"),  # the trunk prefix is not dialled after +44
        ("+44 07700 900123", "tel:+447700900123"),
        ("+33 (0)1 23 45 67 89", "tel:+33123456789"),
        ("+39 06 1234 5678", "tel:+390612345678"),  # Italy keeps its 0: only "(0)" and +44's 0 go
        ("01632 960001 ext. 12", "tel:01632960001"),  # the extension is not dialled...
        ("01632 960001 extension 12", "tel:01632960001"),
        ("01632 960001 x12", "tel:01632960001"),
        ("ext. 12", ""),  # ...and an extension alone is not a number to call
        ("07700 900123 or 01632 960001", ""),  # two numbers in one box: shown, not dialled as one
        ("ask at reception", ""),
        ("999", "tel:999"),
    ],
)
def test_tel_links_dial_what_a_phone_can_dial(typed, href):
    assert grab_sheet.tel_href(typed) == href


def test_a_number_that_cannot_be_dialled_is_shown_without_a_link(carer):
    """The pages refuse two numbers in one box now, but an answer saved before that check keeps its text."""
    contacts = [
        {"id": "c1", "role": "next_of_kin", "contact_name": "Susan Ellis", "phone": "07700 900123 or 01632 960001"},
        {"id": "c2", "role": "friend", "contact_name": "Sam Neighbour", "phone": "+44 (0)7700-900-124 ext. 3"},
    ]
    with carer.app.app_context():
        carer.person_id = make_person(carer.user_id, answers={"contacts": {"contacts": contacts}})
    _police, _path, view = open_view(carer)
    listed = page(view).select("ul.app-contacts > li")
    assert not listed[0].select("a") and "Phone: 07700 900123 or 01632 960001" in listed[0].get_text()
    assert [a["href"] for a in listed[1].select("a")] == ["tel:+447700900124"]
    assert "Call +44 (0)7700-900-124 ext. 3" in listed[1].get_text()  # the officer still reads the extension


def test_human_dates():
    assert human_date("2026-10-20") == "20 October 2026"
    assert human_date("2026-10-20T09:00") == "20 October 2026"
    assert human_date("") == "" and human_date("not a date") == "not a date"


def test_the_grab_sheet_joins_answers_as_the_pdf_does(carer):
    """Issue 9's text slips, fixed in the PDF, must not come back on the police view: a phrase, not two
    capitalised answers, and a relationship in brackets is not put in a second pair of brackets."""
    contacts = dict(RICH_ANSWERS["contacts"]["contacts"][1], relationship="Daughter (lives with her)")
    answers = RICH_ANSWERS | {
        "physical-description": {"hair_colour": "White", "hair_style": "Short and curly"},
        "contacts": {"contacts": [contacts]},
    }
    with carer.app.app_context():
        carer.person_id = make_person(carer.user_id, answers=answers)
    _police, _path, view = open_view(carer)
    soup = page(view)
    looks = {
        " ".join(row.dt.get_text().split()): " ".join(row.dd.get_text().split())
        for row in soup.select("#grab-sheet .app-grab-facts .govuk-summary-list__row")
    }
    assert looks["Hair"] == "White, short and curly"
    who = " ".join(soup.select_one("ul.app-contacts > li").get_text().split())
    assert who.startswith("Susan Ellis – daughter (lives with her), emergency contact"), who
    assert "((" not in text_of(view) and "Daughter (lives with her))" not in text_of(view)


def test_the_whole_form_keeps_section_l_in_its_place_when_it_is_not_needed(carer):
    """The carer's pages and the PDF print "L. Care setting — Not needed: …"; the police view must too, so the
    letters an officer reads match the family's paper copy (K, L, M rather than K then M)."""
    _police, _path, view = open_view(carer)
    soup = page(view)
    letters = [h.get_text().split(".")[0] for h in soup.select("main h2.govuk-heading-l") if "." in h.get_text()]
    assert "L" in letters and letters == sorted(letters), letters
    heading = next(h for h in soup.select("main h2") if h.get_text().startswith("L. "))
    assert heading.get_text() == "L. Care setting"
    assert heading.find_next_sibling("p").get_text() == (
        "Not needed: they do not live in a care home or supported living."
    )
