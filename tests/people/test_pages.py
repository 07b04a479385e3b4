"""The dashboard, a person's overview (task list, what police will most need), check your answers,
publishing versions, what changed between them, and deleting a person — through the real pages."""

import re
from datetime import datetime

import pytest
from bs4 import BeautifulSoup

from herbert import clock
from herbert.extensions import db
from herbert.models import AuditEvent, DraftSection, Person, Revision
from herbert.records import store
from tests.support.carers import Carer, add_person
from tests.support.sample_answers import PAGES, ROWS


@pytest.fixture
def carer(signed_in) -> Carer:
    return Carer(signed_in, add_person(signed_in))


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.data, "html.parser")


def text_of(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return soup(response).get_text(" ", strip=True)


def task_statuses(client, person_id: str) -> dict[str, str]:
    page = soup(client.get(f"/people/{person_id}"))
    return {
        item.select_one(".govuk-task-list__name-and-hint a, .govuk-task-list__name-and-hint div").get_text(
            strip=True
        ): item.select_one(".govuk-task-list__status").get_text(strip=True)
        for item in page.select(".govuk-task-list__item")
    }


def missing_list(client, person_id: str) -> list[str]:
    page = soup(client.get(f"/people/{person_id}"))
    heading = page.find("h2", string="What police will most need")
    return [li.get_text(strip=True) for li in heading.find_next("ul").find_all("li")] if heading else []


def fill(carer: Carer, only: set[str] | None = None) -> None:
    for (section, page), data in PAGES.items():
        if only is None or section in only:
            carer.save(section, page, data)
    for (section, page), rows in ROWS.items():
        if only is None or section in only:
            for row in rows:
                carer.add_row(section, page, row)


def test_dashboard_lists_each_person_with_status(carer, client_request):
    page = client_request.get("/people")
    assert "Name not given yet" in page.get_text()
    assert "Draft" in page.get_text()
    carer.save("about-the-person", "name", {"full_name": "Margaret Smith", "preferred_name": "Peggy"})
    second = add_person(carer.client)
    Carer(carer.client, second).save("about-the-person", "name", {"full_name": "Arthur Jones"})
    text = client_request.get("/people").get_text(" ", strip=True)
    assert "Margaret Smith" in text and "Known as Peggy" in text and "Arthur Jones" in text
    assert text.count("Draft") == 2
    assert "Add a person" in text


def test_task_list_and_missing_core_follow_the_answers(carer):
    client, pid = carer.client, carer.person_id
    statuses = task_statuses(client, pid)
    assert statuses["A. About the person"] == "Not yet started"
    assert statuses["L. Care setting"] == "Not needed"  # only for a care home: kept in place, letters unchanged
    assert "Full name" in missing_list(client, pid)
    assert "At least one next of kin or emergency contact" in missing_list(client, pid)

    carer.save("about-the-person", "name", {"full_name": "Margaret Smith"})
    assert task_statuses(client, pid)["A. About the person"] == "In progress"
    assert "Full name" not in missing_list(client, pid)
    assert "Preferred name" in missing_list(client, pid)

    fill(carer, {"about-the-person"})
    statuses = task_statuses(client, pid)
    assert statuses["A. About the person"] == "Completed"
    assert statuses["L. Care setting"] == "Not yet started"  # now they live in a care home

    # Drives → the vehicle details become Core; answering no takes them away again.
    carer.save("mobility-and-transport", "driving", {"drives": "yes"})
    assert "Vehicle registration number" in missing_list(client, pid)
    carer.save("mobility-and-transport", "driving", {"drives": "no"})
    assert "Vehicle registration number" not in missing_list(client, pid)

    carer.add_row("contacts", "contacts", {"role": "friend", "contact_name": "Sue"})
    assert task_statuses(client, pid)["K. Contacts"] == "In progress"
    carer.add_row("contacts", "contacts", {"role": "next_of_kin", "contact_name": "John"})
    assert task_statuses(client, pid)["K. Contacts"] == "Completed"
    assert "At least one next of kin or emergency contact" not in missing_list(client, pid)

    fill(carer)
    statuses = task_statuses(client, pid)
    done = {name for name, status in statuses.items() if status == "Completed"}
    assert {
        "A. About the person",
        "B. Physical description",
        "D. Health and medication",
        "K. Contacts",
        "L. Care setting",
        "M. Consent, completion and review",
    } <= done
    assert missing_list(client, pid) == ["A recent head-and-shoulders photo"]


def test_skip_logic_and_save_and_come_back_later(carer):
    # "No medication" skips the medicines page and goes on to the GP.
    response = carer.save("health-and-medication", "takes-medication", {"takes_medication": "no"})
    assert response.location.endswith("/health-and-medication/gp")
    response = carer.save("health-and-medication", "takes-medication", {"takes_medication": "yes"})
    assert response.location.endswith("/health-and-medication/medication")
    # The last page of a section goes back to the task list.
    response = carer.save("health-and-medication", "other-health-needs", {})
    assert response.location == f"/people/{carer.person_id}#sections"
    # "Save and come back later" keeps the answer and goes to the person's page.
    response = carer.save("about-the-person", "name", {"full_name": "Margaret"}, action="later")
    assert response.location == f"/people/{carer.person_id}"
    assert "Your answers have been saved" in text_of(carer.client, response.location)
    # The section's link starts at its first page that applies.
    assert carer.client.get(carer.url("contacts")).location == carer.url("contacts", "contacts")


BIRTH = ("about-the-person", "date-of-birth")


@pytest.mark.parametrize(
    ("page", "data", "message"),
    [
        (
            ("about-the-person", "date-of-birth"),
            {"date_of_birth": ["31", "2", "1950"]},
            "Date of birth must be a real date",
        ),
        (
            ("about-the-person", "date-of-birth"),
            {"date_of_birth": ["1", "", "1950"]},
            "Date of birth must include a month",
        ),
        (("about-the-person", "date-of-birth"), {"date_of_birth": ["1", "2", "50"]}, "Year must include 4 numbers"),
        (("about-the-person", "date-of-birth"), {"date_of_birth": ["1", "2", "2999"]}, "Date of birth must be"),
        (("physical-description", "height-and-build"), {"height": "3 metres tall"}, "Enter height in centimetres"),
        (("physical-description", "height-and-build"), {"height": "300"}, "Height must be between 50 cm and 250 cm"),
        (("physical-description", "height-and-build"), {"height": "9 ft"}, "Height must be between 50 cm and 250 cm"),
        (("health-and-medication", "gp"), {"gp_phone": "call the surgery"}, "as a phone number"),
        (("about-the-person", "nhs-number"), {"nhs_number": "123"}, "Enter a valid NHS number"),
        (("phone-money-and-devices", "money"), {"bank_cards": "Visa 4111 1111 1111 1111"}, "never store full card"),
        (("phone-money-and-devices", "money"), {"cash_habits": "pin 1234"}, "never store PINs"),
        (
            ("phone-money-and-devices", "online-accounts"),
            {"social_media": "password: hunter2"},
            "never store passwords",
        ),
        (("about-the-person", "name"), {"full_name": "x" * 201}, "Full name must be 200 characters or fewer"),
        (("about-the-person", "work-and-service"), {"former_occupations": "x" * 2001}, "must be 2,000 characters or"),
        (("about-the-person", "living-situation"), {"living_situation": "castle"}, "Select an answer"),
    ],
)
def test_malformed_values_are_refused_with_a_clear_message(carer, page, data, message):
    response = carer.post(carer.url(*page), data)
    assert response.status_code == 200
    page_soup = soup(response)
    assert page_soup.title.text.startswith("Error: ")
    summary = page_soup.select_one(".govuk-error-summary").get_text(" ", strip=True)
    assert message in summary
    # The summary links to the field, and the typed value is shown again.
    href = page_soup.select_one(".govuk-error-summary__list a")["href"]
    assert page_soup.find(id=href[1:]) is not None


def test_nothing_else_blocks_saving(carer, app):
    for section, page in [("about-the-person", "name"), ("consent-and-review", "consent"), ("contacts", "contacts")]:
        carer.save(section, page, {})
    carer.save("physical-description", "height-and-build", {"height": "5'7\""})
    carer.save(
        "phone-money-and-devices", "money", {"bank_cards": "Barclays debit ending 4242, her password is on the fridge"}
    )
    with app.app_context():
        document = store.load_draft(db.session.get(Person, carer.person_id))
    assert document["physical-description"] == {"height": 170}
    assert document["about-the-person"] == {}


def publish(carer: Carer):
    check = carer.url("check-answers")
    token = soup(carer.client.get(check)).select_one("form[action$='/publish'] input[name=csrf_token]")["value"]
    return carer.client.post(carer.url("publish"), data={"csrf_token": token})


def test_check_answers_lists_every_section_with_change_links_and_tables(carer):
    fill(carer)
    page = soup(carer.client.get(carer.url("check-answers")))
    text = page.get_text(" ", strip=True)
    for expected in ("1 March 1950", "163 cm", "Yes", "In a care home", "Donepezil", "Leeds station", "Rosewood House"):
        assert expected in text
    assert "Should not be kept" not in text
    headings = [table.find_previous("h3").get_text(strip=True) for table in page.select("table")]
    assert "Medicines they take" in headings and "People to contact" in headings
    change = page.find("a", href=carer.url("physical-description", "height-and-build"))
    assert change is not None and "Change" in change.get_text()


def test_publish_refused_without_consent_then_versions_and_changes(carer, app):
    carer.save("about-the-person", "name", {"full_name": "Margaret Smith"})
    response = publish(carer)
    assert response.status_code == 200
    page = soup(response)
    assert page.title.text.startswith("Error: ")
    assert "we cannot confirm it without consent" in page.select_one(".govuk-error-summary").get_text()
    assert page.select_one(".govuk-error-summary__list a")["href"] == "#consent-needed"
    assert page.find(id="consent-needed") is not None
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Revision.id))).scalar() == 0

    clock.freeze(datetime(2025, 8, 31, 9, 0))
    fill(carer)
    response = publish(carer)
    assert response.status_code == 302
    overview = text_of(carer.client, f"/people/{carer.person_id}")
    assert "Version 1 confirmed" in overview and "28 February 2026" in overview  # six months, end of month
    with app.app_context():
        person = db.session.get(Person, carer.person_id)
        version_1 = store.load_revision(person, 1)
        assert version_1["consent-and-review"]["date_completed"] == "2025-08-31"
        assert version_1["consent-and-review"]["next_review_date"] == "2026-02-28"
        assert person.next_review_on == datetime(2026, 2, 28)
        # Editing carries on in a draft that starts as an exact copy of the version.
        assert store.load_draft(person) == version_1
        actions = list(db.session.execute(db.select(AuditEvent.action, AuditEvent.detail)).all())
    assert ("version.publish", "version 1") in actions
    assert all("Margaret" not in detail for _action, detail in actions)

    # Change things, remove a row, publish again two months later.
    clock.freeze(datetime(2025, 10, 31, 9, 0))
    carer.save("physical-description", "height-and-build", {"height": "170", "build": "slim"})
    medicines = carer.row_ids("health-and-medication", "medication")
    carer.post(carer.url("health-and-medication", "medication", medicines[0]) + "/remove", {"confirm": "yes"})
    pending = text_of(carer.client, f"/people/{carer.person_id}/compare?to=draft")
    assert "163 cm" in pending and "170 cm" in pending
    assert publish(carer).status_code == 302

    changes = soup(carer.client.get(f"/people/{carer.person_id}/compare?from=1&to=2"))
    rows = [[cell.get_text(" ", strip=True) for cell in tr.find_all("td")] for tr in changes.select("tbody tr")]
    assert ["B. Physical description", "Height", "163 cm", "170 cm"] in rows
    assert any(r[1] == "Medicines they take – medicine removed" and "Donepezil" in r[2] for r in rows)
    assert any(r[1] == "Date completed" and r[2] == "31 August 2025" and r[3] == "31 October 2025" for r in rows)
    assert any(r[1] == "Next review date" and r[3] == "30 April 2026" for r in rows)  # the default moves on
    # Version history on the person page, and each version readable on its own.
    overview = soup(carer.client.get(f"/people/{carer.person_id}"))
    assert [a["href"] for a in overview.select("a[href*='/versions/']")] == [
        f"/people/{carer.person_id}/versions/2",
        f"/people/{carer.person_id}/versions/1",
    ]
    assert "163 cm" in text_of(carer.client, f"/people/{carer.person_id}/versions/1")
    assert carer.client.get(f"/people/{carer.person_id}/versions/3").status_code == 404
    assert carer.client.get(f"/people/{carer.person_id}/compare?from=1&to=9").status_code == 404
    dashboard = text_of(carer.client, "/people")
    assert "Complete: version 2" in dashboard


def test_review_due_shows_on_the_dashboard(carer):
    carer.save("consent-and-review", "consent", {"consent_basis": "person"})
    clock.freeze(datetime(2025, 1, 10, 9, 0))
    assert publish(carer).status_code == 302
    assert "Review due" not in text_of(carer.client, "/people")
    clock.freeze(datetime(2025, 7, 11, 9, 0))
    assert "Review due" in text_of(carer.client, "/people")


def test_delete_a_person(carer, app):
    fill(carer, {"about-the-person"})
    page = f"/people/{carer.person_id}/delete"
    assert "Are you sure you want to delete this record?" in text_of(carer.client, page)
    assert carer.post(page, {"confirm": "no"}).location == f"/people/{carer.person_id}"
    assert carer.post(page, {"confirm": "yes"}).location == "/people"
    assert carer.client.get(f"/people/{carer.person_id}").status_code == 404
    assert "Margaret" not in text_of(carer.client, "/people")
    with app.app_context():
        assert db.session.get(Person, carer.person_id) is None
        assert db.session.execute(db.select(db.func.count(DraftSection.id))).scalar() == 0
        assert "person.erase" in db.session.execute(db.select(AuditEvent.action)).scalars().all()


def test_every_people_page_passes_the_page_checks(carer, client_request):
    """Unique ids, CSP nonces, CSRF tokens in POST forms, a title: on every page, filled in and published."""
    fill(carer)
    assert publish(carer).status_code == 302
    carer.save("about-the-person", "name", {"full_name": "Margaret Rose Smith", "preferred_name": "Peg"})
    pid = carer.person_id
    medicine = carer.row_ids("health-and-medication", "medication")[0]
    for path in (
        "/people",
        "/people/new",
        f"/people/{pid}",
        f"/people/{pid}/check-answers",
        f"/people/{pid}/versions/1",
        f"/people/{pid}/compare?to=draft",
        f"/people/{pid}/delete",
        carer.url("health-and-medication", "medication"),
        carer.url("health-and-medication", "medication", "new"),
        carer.url("health-and-medication", "medication", medicine),
        carer.url("health-and-medication", "medication", medicine) + "/remove",
    ):
        client_request.get(path)


def test_add_another_lists_are_also_summary_cards_for_phones(carer):
    """Check your answers keeps each list as a table (shown from tablet width) and as one summary card per
    row (shown on a phone, app.scss), so a phone never gets a 5-10 column table."""
    fill(carer)
    page = soup(carer.client.get(carer.url("check-answers")))
    cards = page.select(".app-rows-cards .govuk-summary-card")
    titles = [card.select_one(".govuk-summary-card__title").get_text(strip=True) for card in cards]
    assert "Medicine 1 of 2" in titles and "Medicine 2 of 2" in titles
    first = cards[titles.index("Medicine 1 of 2")]
    keys = [key.get_text(strip=True) for key in first.select(".govuk-summary-list__key")]
    assert keys[:2] == ["Medicine", "Dose"] and "Donepezil" in first.get_text()
    assert page.select(".app-rows-table table")  # the wide-screen table is still there


def test_change_links_keep_acronyms(carer):
    fill(carer)
    page = soup(carer.client.get(carer.url("check-answers")))
    links = [" ".join(a.get_text(" ").split()) for a in page.select("a") if a.get_text(strip=True).startswith("Change")]
    assert "Change NHS number" in links, links
    assert "Change nhs number" not in links
    assert "Change date of birth" in links


def test_section_l_keeps_its_place_when_it_does_not_apply(carer):
    """Letters stay those of the paper form: without a care home, L shows as not needed, and M stays M."""
    carer.save("about-the-person", "living-situation", {"living_situation": "with_family"})
    overview = soup(carer.client.get(f"/people/{carer.person_id}"))
    items = [" ".join(item.get_text(" ").split()) for item in overview.select(".govuk-task-list__item")]
    l_item = next(item for item in items if item.startswith("L. Care setting"))
    assert "Not needed: they do not live in a care home or supported living" in l_item and "Not needed" in l_item
    assert items.index(l_item) == len(items) - 2 and items[-1].startswith("M. ")
    check = soup(carer.client.get(carer.url("check-answers")))
    heading = check.find("h2", string="L. Care setting")
    assert heading and "Not needed: they do not live" in heading.find_next("p").get_text()
    carer.save("about-the-person", "living-situation", {"living_situation": "care_home"})
    items = [
        item.get_text(" ")
        for item in soup(carer.client.get(f"/people/{carer.person_id}")).select(".govuk-task-list__item")
    ]
    assert not any("Not needed" in item for item in items)


def test_overview_reads_known_as_and_age_as_two_sentences(carer):
    carer.save("about-the-person", "name", {"full_name": "Margaret Smith", "preferred_name": "Peggy"})
    carer.save("about-the-person", "date-of-birth", {"date_of_birth": ["1", "3", "1950"]})
    text = " ".join(soup(carer.client.get(f"/people/{carer.person_id}")).get_text(" ").split())
    assert re.search(r"Known as Peggy\. Age \d+\.", text), text[:300]


def test_no_unconfirmed_changes_link_straight_after_confirming(carer):
    fill(carer)
    assert publish(carer).status_code == 302
    overview = soup(carer.client.get(f"/people/{carer.person_id}"))
    assert not overview.find("a", string=re.compile("not confirmed yet"))
    assert "No changes since version 1." in overview.get_text()
    carer.save("about-the-person", "name", {"full_name": "Margaret Rose Smith", "preferred_name": "Peg"})
    overview = soup(carer.client.get(f"/people/{carer.person_id}"))
    assert overview.find("a", string="Changes since version 1 that are not confirmed yet")
