"""Shared steps of the handover tests: a person with answers and photos, reporting missing, sharing, police opening."""

from datetime import timedelta

from bs4 import BeautifulSoup

from herbert.dates import uk_now
from herbert.extensions import db
from herbert.models import Person
from herbert.photos import cleaning
from herbert.records import store
from tests.support.photos import jpeg

ANSWERS = {
    "about-the-person": {
        "full_name": "Ada Canary-Example",
        "preferred_name": "Ada",
        "address": "1 High Street\nLittle Town",
        "postcode": "AB1 2CD",
    },
    "physical-description": {"usual_coat": "Navy anorak", "hat": "Flat cap", "footwear": "Brown slippers"},
    "previous-missing-episodes": {"has_gone_missing_before": "no"},
}


# What officers most need, for the police view's first screen and the browser tests: medicines (one urgent),
# places, how to approach, contacts with phone numbers.
RICH_ANSWERS = {
    "about-the-person": ANSWERS["about-the-person"] | {"date_of_birth": "1942-03-01", "sex": "female"},
    "health-and-medication": {
        "takes_medication": "yes",
        "allergies": "Penicillin",
        "medication": [
            {
                "id": "m1",
                "medicine_name": "Donepezil",
                "dose": "10 mg",
                "when_taken": "Every morning",
                "urgency": "not_urgent",
            },
            {
                "id": "m2",
                "medicine_name": "Insulin",
                "dose": "8 units",
                "when_taken": "Before meals",
                "if_missed": "Confused within hours, then drowsy",
                "urgency": "urgent",
            },
        ],
    },
    "significant-places": {
        "places": [
            {
                "id": "p1",
                "place_name": "St Mary's Church",
                "place_address": "Church Lane",
                "likelihood": "high",
                "connection": "Married there",
            },
            {"id": "p2", "place_name": "Old office", "likelihood": "low"},
        ],
    },
    "previous-missing-episodes": {
        "has_gone_missing_before": "yes",
        "episodes": [{"id": "e1", "episode_date": "2025-06-14", "where_found": "Bus station"}],
    },
    "communication-and-behaviour": {"best_approach": "Speak slowly, call her Ada", "what_calms": "Tea"},
    "contacts": {
        "contacts": [
            {"id": "c1", "role": "friend", "contact_name": "Sam Neighbour", "phone": "01632 960001"},
            {
                "id": "c2",
                "role": "next_of_kin",
                "contact_name": "Susan Ellis",
                "relationship": "Daughter",
                "phone": "07700 900123",
                "other_phone": "+44 1632 960 002",
            },
        ],
    },
}


def make_person(user_id: int, *, photos_too: bool = True, answers: dict | None = None) -> str:
    answers = dict(ANSWERS, **(answers or {}))
    person_id = store.create_person(user_id)
    person = db.session.get(Person, person_id)
    for section, section_answers in answers.items():
        store.save_section(person, section, section_answers)
    store.save_summary(person, {"name": "Ada Canary-Example", "preferred_name": "Ada"})
    store.publish(person, user_id, store.load_draft(person), None)
    if photos_too:
        store.add_photo(
            person,
            cleaning.clean_photo(jpeg(320, 240)).jpeg,
            {"kind": "head_and_shoulders", "taken_on": "2025-01-02", "caption": "At home"},
        )
        store.add_photo(
            person,
            cleaning.clean_photo(jpeg(200, 300)).jpeg,
            {"kind": "outdoor_clothes", "taken_on": "2024-11-05", "caption": "Green raincoat"},
        )
    return person_id


GUIDANCE = "If someone is missing and at risk, call 999 now and say you have a Herbert Protocol form."
PASSWORD = "correct horse battery staple 42"


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.data, "html.parser")


def text_of(response) -> str:
    return " ".join(page(response).get_text().split())


def report_missing(carer, seen_at=None, **extra) -> None:
    """Page 1 with its defaults and the time the carer says they were last seen (default: 10 minutes ago,
    typed in the boxes), then straight to sharing."""
    seen = seen_at or uk_now() - timedelta(minutes=10)
    form = page(carer.client.get(f"/people/{carer.person_id}/missing/last-seen"))
    data = {
        field["name"]: field.get("value", "")
        for field in form.select("input[name]")
        if field["type"] not in ("submit", "checkbox", "radio")
    }
    data["last_seen_date"] = [str(seen.day), str(seen.month), str(seen.year)]
    data["last_seen_time"] = seen.strftime("%H:%M")
    data["last_seen_where"] = form.find("textarea", {"name": "last_seen_where"}).text.strip()
    data.update(extra)
    data["action"] = "share"
    response = carer.client.post(f"/people/{carer.person_id}/missing/last-seen", data=data)
    assert response.status_code == 302, text_of(response)
    assert response.location.endswith(f"/people/{carer.person_id}/missing/handover")


def create_share(carer, password: str | None = None, **extra) -> tuple[str, str, BeautifulSoup]:
    ready = page(carer.client.get(f"/people/{carer.person_id}/missing/handover"))
    form = ready.find("form", action=f"/people/{carer.person_id}/shares")
    data = {"csrf_token": form.find("input", {"name": "csrf_token"})["value"]}
    data["request_id"] = form.find("input", {"name": "request_id"})["value"]
    data["hours"] = "72"
    data["source"] = "v1"
    if password is not None:
        data["password"] = password
    data.update(extra)
    response = carer.client.post(f"/people/{carer.person_id}/shares", data=data)
    assert response.status_code == 200
    created = page(response)
    link_tag = created.find(id="share-link")
    assert link_tag is not None, text_of(response)
    link = link_tag.text.strip()
    code = created.find(id="share-code").text.strip()
    return link, code, created


def police_open(client, link: str, code: str):
    path = link.replace("http://localhost", "")
    token = page(client.get(path)).find("input", {"name": "csrf_token"})["value"]
    return client.post(path, data={"csrf_token": token, "code": code})
