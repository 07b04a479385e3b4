"""No silent overwrite: two carers editing the same page at once. The second save shows "Someone else
changed this section" with both answers side by side, and nothing is saved until the carer chooses."""

import re

import pytest
from bs4 import BeautifulSoup

from herbert.extensions import db
from herbert.models import Person
from herbert.records import store
from tests.support.care import Person as Browser
from tests.support.care import accept, invite, page_text
from tests.support.carers import Carer, add_person


def two_carers(app) -> tuple[Carer, Carer]:
    owner, editor = Browser(app, "owner@example.com"), Browser(app, "editor@example.com")
    person_id = add_person(owner.client)
    accept(editor, invite(owner, person_id, "editor@example.com", "editor"))
    return Carer(owner.client, person_id), Carer(editor.client, person_id)


def form_fields(carer: Carer, path: str) -> dict[str, str]:
    """What the browser would send back from the page as it was drawn (hidden fields included)."""
    page = BeautifulSoup(carer.client.get(path).data, "html.parser")
    return {field["name"]: field.get("value", "") for field in page.select("form[method=post] input[type=hidden]")}


def section(app, carer: Carer, slug: str) -> dict:
    with app.app_context():
        return store.load_section(db.session.get(Person, carer.person_id), slug)


def test_stale_save_shows_both_answers_and_the_carer_chooses(app):
    anna, ben = two_carers(app)
    path = anna.url("about-the-person", "name")
    anna.save("about-the-person", "name", {"full_name": "Mary Jones"})
    anna_page, ben_page = form_fields(anna, path), form_fields(ben, path)  # both open the page
    assert ben_page["based_on"] and ben_page["based_on"] == anna_page["based_on"]
    assert "Mary" not in ben_page["based_on"]
    assert anna.client.post(path, data=anna_page | {"full_name": "Mary Anne Jones"}).status_code == 302

    clash = ben.client.post(path, data=ben_page | {"full_name": "Mary J. Jones", "action": "continue"})
    assert clash.status_code == 409
    text = page_text(clash)
    assert "Someone else changed this section" in text
    assert "owner@example.com saved changes to this page" in text
    assert re.search(r"Full name.*Different.*Mary Anne Jones.*Mary J\. Jones", text)
    assert section(app, anna, "about-the-person")["full_name"] == "Mary Anne Jones"  # nothing saved yet

    choice = {
        f["name"]: f.get("value", "") for f in BeautifulSoup(clash.data, "html.parser").select("input[type=hidden]")
    }
    no_choice = ben.client.post(path, data=choice)
    assert no_choice.status_code == 409 and "Select which answers you want to keep" in page_text(no_choice)
    assert section(app, anna, "about-the-person")["full_name"] == "Mary Anne Jones"

    kept = ben.client.post(path, data=choice | {"conflict-choice": "mine"})
    assert kept.status_code == 302
    assert section(app, anna, "about-the-person")["full_name"] == "Mary J. Jones"


def test_keeping_theirs_saves_nothing(app):
    anna, ben = two_carers(app)
    path = anna.url("about-the-person", "name")
    ben_page = form_fields(ben, path)
    anna.save("about-the-person", "name", {"full_name": "Mary Anne Jones"})
    clash = ben.client.post(path, data=ben_page | {"full_name": "Someone Else"})
    assert clash.status_code == 409
    choice = {
        f["name"]: f.get("value", "") for f in BeautifulSoup(clash.data, "html.parser").select("input[type=hidden]")
    }
    response = ben.client.post(path, data=choice | {"conflict-choice": "theirs"})
    assert response.status_code == 302 and response.location == path
    assert "You kept the answers the other carer saved" in page_text(ben.client.get(path))
    assert section(app, anna, "about-the-person")["full_name"] == "Mary Anne Jones"


def test_a_second_clash_while_choosing_is_caught_too(app):
    anna, ben = two_carers(app)
    path = anna.url("about-the-person", "name")
    ben_page = form_fields(ben, path)
    anna.save("about-the-person", "name", {"full_name": "First Change"})
    clash = ben.client.post(path, data=ben_page | {"full_name": "Ben's"})
    choice = {
        f["name"]: f.get("value", "") for f in BeautifulSoup(clash.data, "html.parser").select("input[type=hidden]")
    }
    anna.save("about-the-person", "name", {"full_name": "Second Change"})
    again = ben.client.post(path, data=choice | {"conflict-choice": "mine"})
    assert again.status_code == 409 and "Second Change" in page_text(again)
    assert section(app, anna, "about-the-person")["full_name"] == "Second Change"


def test_changes_to_other_pages_of_the_section_are_not_a_clash(app):
    anna, ben = two_carers(app)
    name_path = anna.url("about-the-person", "name")
    ben_page = form_fields(ben, name_path)
    anna.save(
        "about-the-person",
        "date-of-birth",
        {"date_of_birth": ["1", "3", "1941"]},
    )
    assert ben.client.post(name_path, data=ben_page | {"full_name": "Mary Jones"}).status_code == 302
    saved = section(app, anna, "about-the-person")
    assert saved["full_name"] == "Mary Jones" and saved["date_of_birth"] == "1941-03-01"


def test_editing_the_same_row_clashes_adding_rows_does_not(app):
    anna, ben = two_carers(app)
    anna.save("health-and-medication", "takes-medication", {"takes_medication": "yes"})
    anna.add_row("health-and-medication", "medication", {"medicine_name": "Donepezil"})
    (row_id,) = anna.row_ids("health-and-medication", "medication")
    row_path = anna.url("health-and-medication", "medication", row_id)
    ben_page = form_fields(ben, row_path)
    anna.post(anna.url("health-and-medication", "medication", "new"), {"medicine_name": "Memantine"})
    assert ben.client.post(row_path, data=ben_page | {"medicine_name": "Donepezil 10 mg"}).status_code == 302
    ben_page = form_fields(ben, row_path)
    anna.post(row_path, form_fields(anna, row_path) | {"medicine_name": "Donepezil 5 mg"})
    clash = ben.client.post(row_path, data=ben_page | {"medicine_name": "Donepezil 20 mg"})
    assert clash.status_code == 409 and "Donepezil 5 mg" in page_text(clash) and "Donepezil 20 mg" in page_text(clash)
    names = [row["medicine_name"] for row in section(app, anna, "health-and-medication")["medication"]]
    assert sorted(names) == ["Donepezil 5 mg", "Memantine"]


def test_store_refuses_a_save_based_on_an_old_revision(app, carer):
    with app.app_context():
        person = db.session.get(Person, carer.person_id)
        first = store.save_section(person, "about-the-person", {"full_name": "A"}, based_on=0)
        assert first == 1
        assert store.save_section(person, "about-the-person", {"full_name": "B"}, based_on=1) == 2
        with pytest.raises(store.SectionChanged):
            store.save_section(person, "about-the-person", {"full_name": "C"}, based_on=1)
        assert store.load_section_revision(person, "about-the-person") == ({"full_name": "B"}, 2)
        store.replace_draft(person, {"about-the-person": {"full_name": "B"}})
        with pytest.raises(store.SectionChanged):  # revisions only go up, even when the draft is replaced
            store.save_section(person, "about-the-person", {"full_name": "D"}, based_on=2)
