"""Every section filled in through the real pages, saved in the encrypted store, read back into the
pages, changed, and a row removed: the draft holds exactly what was typed."""

from bs4 import BeautifulSoup

from herbert.extensions import db
from herbert.models import DraftSection, Person
from herbert.questions.registry import SECTIONS
from herbert.records import store
from tests.support.sample_answers import EXPECTED, PAGES, ROWS, without_row_ids


def draft(app, person_id):
    with app.app_context():
        return store.load_draft(db.session.get(Person, person_id))


def fill_everything(carer):
    for (section, page), data in PAGES.items():
        carer.save(section, page, data)
    for (section, page), rows in ROWS.items():
        for row in rows:
            carer.add_row(section, page, row)


def test_every_section_round_trips_through_the_encrypted_store(app, carer):
    fill_everything(carer)
    document = draft(app, carer.person_id)
    assert without_row_ids(document) == EXPECTED
    for answers in document.values():
        for value in answers.values():
            if isinstance(value, list) and value and isinstance(value[0], dict):
                assert all(len(row["id"]) == 16 for row in value)
    # Stored sealed: no answer appears in the database in the clear.
    with app.app_context():
        sealed = b"".join(row.answers_sealed for row in db.session.execute(db.select(DraftSection)).scalars())
    assert b"Margaret" not in sealed and b"Donepezil" not in sealed

    # Reloading each page shows exactly what was saved; saving it again unchanged changes nothing.
    for (section, page), _data in PAGES.items():
        html = carer.client.get(carer.url(section, page)).data
        form = BeautifulSoup(html, "html.parser").find("form", {"method": "post", "action": carer.url(section, page)})
        resubmit = form_values(form)
        carer.save(section, page, resubmit)
    assert draft(app, carer.person_id) == document


def form_values(form) -> dict:
    """What a browser would submit for this form as it stands (inputs, checked boxes, textareas)."""
    values: dict = {}
    for tag in form.find_all(["input", "textarea"]):
        name = tag.get("name")
        if not name or name == "csrf_token":
            continue
        if tag.name == "textarea":
            values.setdefault(name, []).append(tag.text.lstrip("\n"))
        elif tag.get("type") in ("radio", "checkbox"):
            if tag.has_attr("checked"):
                values.setdefault(name, []).append(tag["value"])
        else:
            values.setdefault(name, []).append(tag.get("value", ""))
    return values


def test_change_answers_and_remove_a_row(app, carer):
    fill_everything(carer)
    carer.save("physical-description", "height-and-build", {"height": "170", "build": "medium"})
    carer.save("mobility-and-transport", "driving", {"drives": "no", "vehicle_make": "Ford"})
    medicines = carer.row_ids("health-and-medication", "medication")
    change = carer.url("health-and-medication", "medication", medicines[1])
    carer.post(change, {"medicine_name": "Metformin", "dose": "1 g", "urgency": "urgent"})
    remove = carer.url("health-and-medication", "medication", medicines[0]) + "/remove"
    page = BeautifulSoup(carer.client.get(remove).data, "html.parser")
    assert "Are you sure you want to remove Donepezil – 10 mg?" in page.get_text(" ", strip=True)
    # Saying no keeps it; saying yes removes it.
    assert carer.post(remove, {"confirm": "no"}).status_code == 302
    assert len(draft(app, carer.person_id)["health-and-medication"]["medication"]) == 2
    unanswered = carer.post(remove, {})
    assert "Select yes if you want to remove it" in unanswered.data.decode()
    assert carer.post(remove, {"confirm": "yes"}).status_code == 302

    document = draft(app, carer.person_id)
    body = document["physical-description"]
    assert (body["height"], body["build"]) == (170, "medium")
    assert "weight" not in body  # the page was saved without it: empty answers are omitted
    assert document["mobility-and-transport"]["drives"] == "no"
    assert "vehicle_make" not in document["mobility-and-transport"]  # hidden follow-up not kept
    assert document["health-and-medication"]["medication"] == [
        {"id": medicines[1], "medicine_name": "Metformin", "dose": "1 g", "urgency": "urgent"}
    ]
    # Removing the last row leaves no empty list behind.
    carer.post(carer.url("health-and-medication", "medication", medicines[1]) + "/remove", {"confirm": "yes"})
    assert "medication" not in draft(app, carer.person_id)["health-and-medication"]


def test_each_section_is_sealed_separately(app, carer):
    fill_everything(carer)
    with app.app_context():
        sections = set(db.session.execute(db.select(DraftSection.section)).scalars())
    assert sections == {section.slug for section in SECTIONS if section.endpoint is None}
