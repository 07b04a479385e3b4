"""Caps on what one account can store: shown before they are reached, refused clearly, nothing stored."""

import io

from herbert.extensions import db
from herbert.models import Membership, Person, Photo
from herbert.records import store
from tests.support.journey import make_person, page, text_of
from tests.support.photos import jpeg

MEDICINES = "/people/{id}/health-and-medication/medication"


def medicines(carer) -> list:
    with carer.app.app_context():
        return store.load_section(db.session.get(Person, carer.person_id), "health-and-medication").get(
            "medication", []
        )


def test_a_list_says_how_many_rows_it_takes_and_refuses_one_more(carer):
    carer.app.config["MAX_LIST_ROWS"] = 2
    url = MEDICINES.format(id=carer.person_id)
    assert "You can add up to 2 medicines." in text_of(carer.client.get(url))
    for name in ("Donepezil", "Memantine"):
        response = carer.post(url + "/new", data={"medicine_name": name})
        assert response.status_code == 302
    listing = page(carer.client.get(url))
    assert listing.find("a", string=lambda s: s and "Add another medicine" in s) is None  # no button when full
    assert "Remove one before you add another" in listing.get_text()

    refused = carer.post(url + "/new", data={"medicine_name": "Rivastigmine"})
    assert refused.status_code == 400
    summary = page(refused).select_one(".govuk-error-summary")
    assert summary is not None and "You can add up to 2 medicines" in summary.get_text()
    assert page(refused).title.string.startswith("Error: ")
    assert [row["medicine_name"] for row in medicines(carer)] == ["Donepezil", "Memantine"]
    assert carer.client.get(url + "/new").status_code == 200  # the GET explains too, rather than a blank form


def test_photos_per_person_are_capped_before_the_upload_is_decoded(carer):
    carer.app.config["MAX_PHOTOS_PER_PERSON"] = 2  # the person already has two
    add = f"/people/{carer.person_id}/photos/add"
    assert "You can add up to 2 photos for each person. You have added 2." in text_of(carer.client.get(add))
    response = carer.post(
        add,
        data={
            "photo": (io.BytesIO(jpeg(64, 64)), "a.jpg"),
            "kind": "head_and_shoulders",
            "taken_on-day": "1",
            "taken_on-month": "2",
            "taken_on-year": "2025",
        },
    )
    assert response.status_code == 200
    assert "You can add up to 2 photos for each person" in page(response).select_one(".govuk-error-summary").text
    with carer.app.app_context():
        assert db.session.query(Photo).filter_by(person_id=carer.person_id).count() == 2


def test_people_per_account_are_capped(carer):
    carer.app.config["MAX_PEOPLE_PER_ACCOUNT"] = 2
    with carer.app.app_context():
        make_person(carer.user_id, photos_too=False)
    assert "You can add up to 2 people to your account. You have added 2." in text_of(carer.client.get("/people/new"))
    refused = carer.post("/people/new")
    assert refused.status_code == 400
    assert "You can add up to 2 people" in page(refused).select_one(".govuk-error-summary").text
    with carer.app.app_context():
        assert db.session.query(Membership).filter_by(user_id=carer.user_id).count() == 2
