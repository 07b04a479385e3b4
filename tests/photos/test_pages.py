"""The photo pages as a carer uses them: add, list, change, choose the main photo, remove, view.

Runs on SQLite and (with HERBERT_TEST_DATABASE_URL) PostgreSQL, with photo blobs in the instance folder and
on a real S3-compatible server (s3rver); images go through the real store.
"""

import io
from datetime import datetime

import pytest
from bs4 import BeautifulSoup
from flask import render_template_string
from PIL import Image

from herbert import clock
from herbert.audit import Action
from herbert.extensions import db
from herbert.models import AuditEvent, Person
from tests.support.blob_backends import every_stored_object
from tests.support.pages import csrf_token
from tests.support.photos import CANARY, add_person, jpeg, metadata_found, metadata_jpeg, multipart, png, stored_photos

pytestmark = pytest.mark.blob_backends

NOW = datetime(2026, 3, 15, 10, 0)


@pytest.fixture(autouse=True)
def frozen_clock(app):  # after the app fixture, which releases the clock
    clock.freeze(NOW)
    yield
    clock.freeze(None)


@pytest.fixture
def person_id(app, signed_in) -> str:
    return add_person(app)




def upload(client, person_id, data: bytes | None = None, filename="photo.jpg", **fields):
    form = {
        "csrf_token": csrf_token(client, f"/people/{person_id}/photos/add"),
        "kind": "head_and_shoulders",
        "taken_on": ["1", "3", "2026"],
        "caption": "Wearing her blue coat",
    } | fields
    if data is not None:
        form["photo"] = (data, filename, "image/jpeg")
    body, content_type = multipart(form)
    return client.post(f"/people/{person_id}/photos/add", data=body, content_type=content_type)


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.data, "html.parser")


def errors(response) -> list[str]:
    summary = page(response).find(class_="govuk-error-summary")
    return [item.text.strip() for item in summary.find_all("li")] if summary else []


def link(soup: BeautifulSoup, text: str):
    return soup.find(lambda tag: tag.name == "a" and tag.get_text(strip=True) == text)


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.execute(db.select(AuditEvent.action).order_by(AuditEvent.id)).scalars())


def blob_files(app) -> list[bytes]:
    """Everything the blob store's medium holds: every file in the folder, or every object in the bucket."""
    return [data for _, data in sorted(every_stored_object(app).items())]


# --- listing and adding --------------------------------------------------------------------------


def test_no_photos_yet(client_request, person_id):
    listing = client_request.get(f"/people/{person_id}/photos")
    assert listing.h1.text.strip() == "Photos"
    assert "Ada Example" in listing.find(class_="govuk-caption-l").text
    assert "No photos yet" in listing.text
    assert "Add a recent head and shoulders photo" in listing.find(class_="govuk-warning-text").text
    assert link(listing, "Add a photo")["href"] == f"/people/{person_id}/photos/add"


def test_add_page_uses_the_gov_uk_components(client_request, person_id):
    form_page = client_request.get(f"/people/{person_id}/photos/add")
    form = form_page.find("form", enctype="multipart/form-data")
    assert form.find("input", {"type": "file", "name": "photo", "accept": "image/jpeg,image/png"})
    assert len(form.find_all("input", {"type": "radio", "name": "kind"})) == 6
    assert [box["id"] for box in form.find_all("input", {"name": "taken_on"})] == [
        "taken_on-day",
        "taken_on-month",
        "taken_on-year",
    ]
    assert form.find("textarea", {"name": "caption"})


def test_add_a_photo(app, signed_in, person_id):
    response = upload(signed_in, person_id, metadata_jpeg())
    assert response.status_code == 302
    assert response.location == f"/people/{person_id}/photos"

    listing = page(signed_in.get(response.location))
    assert "Photo added" in listing.find(class_="govuk-notification-banner--success").text
    card = listing.find(class_="govuk-summary-card")
    assert "Head and shoulders" in card.find(class_="govuk-summary-card__title").text
    assert "Main photo" in card.text
    assert "1 March 2026" in card.text and "Wearing her blue coat" in card.text
    assert listing.find(class_="govuk-warning-text") is None  # a fresh head and shoulders photo

    [photo] = stored_photos(app, person_id)
    assert {k: photo[k] for k in ("kind", "taken_on", "caption", "is_primary")} == {
        "kind": "head_and_shoulders",
        "taken_on": "2026-03-01",
        "caption": "Wearing her blue coat",
        "is_primary": True,
    }
    assert metadata_found(photo["jpeg"]) == []
    assert audit_actions(app)[-1] == "photo.add"
    [blob] = blob_files(app)
    assert CANARY.encode() not in blob


def test_nothing_chosen_shows_every_problem_at_once(app, signed_in, person_id):
    response = upload(signed_in, person_id, None, kind="", taken_on=["", "", ""])
    assert response.status_code == 200
    assert errors(response) == ["Select a photo", "Select what the photo shows", "Enter the date the photo was taken"]
    assert page(response).title.text.startswith("Error: Add a photo")
    links = [a["href"] for a in page(response).find(class_="govuk-error-summary").find_all("a")]
    assert links == ["#photo", "#kind", "#taken_on"]
    assert stored_photos(app, person_id) == []


DETAIL_PROBLEMS = [
    ({"taken_on": ["16", "3", "2026"]}, "Date the photo was taken must be today or in the past"),
    ({"taken_on": ["1", "", "2026"]}, "Date the photo was taken must include a month"),
    ({"taken_on": ["", "", "2026"]}, "Date the photo was taken must include a day and a month"),
    ({"taken_on": ["31", "2", "2025"]}, "Date the photo was taken must be a real date, like 27 3 2025"),
    ({"taken_on": ["1", "3", "26"]}, "Date the photo was taken must be a real date, like 27 3 2025"),
    ({"taken_on": ["x", "y", "zzzz"]}, "Date the photo was taken must be a real date, like 27 3 2025"),
    ({"taken_on": ["1", "1", "1899"]}, "Date the photo was taken must be after 1900"),
    ({"taken_on": ["1"]}, "Date the photo was taken must include a month and a year"),
    ({"kind": "selfie"}, "Select what the photo shows"),
    ({"caption": "x" * 201}, "Caption must be 200 characters or fewer"),
]


def test_details_are_checked_and_nothing_is_stored_until_they_are_right(app, signed_in, person_id):
    for fields, message in DETAIL_PROBLEMS:
        response = upload(signed_in, person_id, jpeg(), **fields)
        assert response.status_code == 200, fields
        assert errors(response) == [message]
        assert stored_photos(app, person_id) == []
        assert blob_files(app) == []
    # Extra date parts (a hand-made request) are ignored rather than breaking the page.
    assert upload(signed_in, person_id, jpeg(), taken_on=["1", "2", "2020", "4", "5"]).status_code == 302
    assert upload(signed_in, person_id, jpeg(), caption="x" * 200).status_code == 302


def test_a_refused_file_keeps_the_answers_and_stores_nothing(app, signed_in, person_id):
    response = upload(signed_in, person_id, b"<svg onload=alert(1)></svg>", filename="photo.png")
    assert errors(response) == ["The photo must be a JPG or PNG file"]
    form = page(response)
    assert form.find("input", {"name": "kind", "value": "head_and_shoulders"}).has_attr("checked")
    assert form.find("textarea", {"name": "caption"}).text.strip() == "Wearing her blue coat"
    assert form.find("p", class_="govuk-error-message", id="photo-error")
    assert stored_photos(app, person_id) == [] and blob_files(app) == []


def test_an_oversized_request_gets_the_413_page_and_stores_nothing(app, signed_in, person_id):
    response = upload(signed_in, person_id, jpeg() + b"\x00" * (13 * 1024 * 1024))
    assert response.status_code == 413
    assert "too large" in page(response).h1.text
    assert stored_photos(app, person_id) == [] and blob_files(app) == []


# --- changing details, main photo, removing ------------------------------------------------------


def test_change_details(app, signed_in, client_request, person_id):
    upload(signed_in, person_id, jpeg())
    [photo] = stored_photos(app, person_id)
    path = f"/people/{person_id}/photos/{photo['id']}/change"
    form = client_request.get(path)
    assert form.find("input", {"name": "kind", "value": "head_and_shoulders"}).has_attr("checked")
    assert [box["value"] for box in form.find_all("input", {"name": "taken_on"})] == ["01", "03", "2026"]

    invalid = client_request.post(path, {"kind": "outdoor_clothes", "taken_on": ["", "", ""]})
    assert "Enter the date the photo was taken" in invalid.find(class_="govuk-error-summary").text

    saved = client_request.post(
        path, {"kind": "outdoor_clothes", "taken_on": ["2", "1", "2026"], "caption": "Green anorak"}, 302
    )
    assert saved.location == f"/people/{person_id}/photos"
    [changed] = stored_photos(app, person_id)
    assert [changed[k] for k in ("kind", "taken_on", "caption")] == ["outdoor_clothes", "2026-01-02", "Green anorak"]
    assert changed["jpeg"] == photo["jpeg"]
    assert audit_actions(app)[-1] == Action.PHOTO_CHANGE
    # No head and shoulders photo any more: the list says so.
    assert "Add a recent head and shoulders photo" in client_request.get(f"/people/{person_id}/photos").text


def test_make_another_photo_the_main_one(app, signed_in, client_request, person_id):
    upload(signed_in, person_id, jpeg(), caption="first")
    upload(signed_in, person_id, png(), caption="second", kind="full_length")
    second = next(p for p in stored_photos(app, person_id) if p["caption"] == "second")
    assert not second["is_primary"]
    path = f"/people/{person_id}/photos/{second['id']}/make-main"
    assert signed_in.get(path).status_code == 405
    client_request.post(path, {}, 302)
    photos_now = {p["caption"]: p["is_primary"] for p in stored_photos(app, person_id)}
    assert photos_now == {"first": False, "second": True}
    assert audit_actions(app)[-1] == Action.PHOTO_MAKE_MAIN
    listing = client_request.get(f"/people/{person_id}/photos")
    first_card = listing.find(class_="govuk-summary-card")
    assert "Full length" in first_card.text and "Main photo" in first_card.text


def test_remove_a_photo_after_confirming(app, signed_in, client_request, person_id):
    upload(signed_in, person_id, jpeg(), caption="first")
    upload(signed_in, person_id, jpeg(), caption="second")
    main = next(p for p in stored_photos(app, person_id) if p["is_primary"])
    path = f"/people/{person_id}/photos/{main['id']}/remove"
    confirm = client_request.get(path)
    assert confirm.h1.text.strip() == "Are you sure you want to remove this photo?"
    assert "This is the main photo" in confirm.text
    assert len(blob_files(app)) == 2

    client_request.post(path, {}, 302)
    [left] = stored_photos(app, person_id)
    assert left["caption"] == "second" and left["is_primary"]
    assert len(blob_files(app)) == 1
    assert audit_actions(app)[-1] == "photo.remove"
    assert signed_in.get(path).status_code == 404


def test_post_without_csrf_token_changes_nothing(app, signed_in, person_id):
    upload(signed_in, person_id, jpeg())
    [photo] = stored_photos(app, person_id)
    base = f"/people/{person_id}/photos"
    for path, data in [
        (f"{base}/{photo['id']}/remove", {}),
        (f"{base}/{photo['id']}/make-main", {}),
        (f"{base}/{photo['id']}/change", {"kind": "other", "taken_on": ["1", "1", "2020"]}),
        (f"{base}/add", {"photo": (jpeg(), "a.jpg", "image/jpeg"), "kind": "other", "taken_on": ["1", "1", "2020"]}),
    ]:
        for token in (None, "wrong"):
            body, content_type = multipart(data | ({"csrf_token": token} if token else {}))
            response = signed_in.post(path, data=body, content_type=content_type)
            assert response.status_code == 400, path
    assert stored_photos(app, person_id) == [photo]


# --- serving the image ---------------------------------------------------------------------------


def test_the_image_is_served_privately(app, signed_in, person_id):
    upload(signed_in, person_id, metadata_jpeg(width=1000, height=750))
    [photo] = stored_photos(app, person_id)
    response = signed_in.get(f"/people/{person_id}/photos/{photo['id']}.jpg")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"] == 'inline; filename="photo.jpg"'
    assert response.data == photo["jpeg"]

    thumbnail = signed_in.get(f"/people/{person_id}/photos/{photo['id']}.jpg?width=160")
    assert thumbnail.headers["Cache-Control"] == "no-store"
    assert Image.open(io.BytesIO(thumbnail.data)).size == (160, 120)
    assert metadata_found(thumbnail.data) == []
    for width in ("999", "abc", "", "-1"):
        assert signed_in.get(f"/people/{person_id}/photos/{photo['id']}.jpg?width={width}").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(app, signed_in, auth, person_id):
    upload(signed_in, person_id, jpeg())
    [photo] = stored_photos(app, person_id)
    auth.sign_out()
    for path in (f"/people/{person_id}/photos", f"/people/{person_id}/photos/{photo['id']}.jpg"):
        response = signed_in.get(path)
        assert response.status_code == 302 and "/sign-in" in response.location


def test_another_carers_photos_are_404_everywhere(app, signed_in, client, auth, person_id):
    """B5 for the photo routes: another carer's ids give 404 and change nothing."""
    upload(signed_in, person_id, jpeg())
    [photo] = stored_photos(app, person_id)
    auth.sign_out()
    auth.sign_up("other@example.com")
    own_person = add_person(app, "other@example.com", name="Someone Else")
    token = csrf_token(client, f"/people/{own_person}/photos/add")
    foreign, pid = photo["id"], person_id
    attempts = [
        ("get", f"/people/{pid}/photos", {}),
        ("get", f"/people/{pid}/photos/add", {}),
        ("post", f"/people/{pid}/photos/add", {"photo": (jpeg(), "a.jpg", "image/jpeg")}),
        ("get", f"/people/{pid}/photos/{foreign}.jpg", {}),
        ("get", f"/people/{pid}/photos/{foreign}.jpg?width=160", {}),
        ("get", f"/people/{pid}/photos/{foreign}/change", {}),
        ("post", f"/people/{pid}/photos/{foreign}/change", {"kind": "other", "taken_on": ["1", "1", "2020"]}),
        ("post", f"/people/{pid}/photos/{foreign}/make-main", {}),
        ("get", f"/people/{pid}/photos/{foreign}/remove", {}),
        ("post", f"/people/{pid}/photos/{foreign}/remove", {}),
        # their own person with someone else's photo id
        ("get", f"/people/{own_person}/photos/{foreign}.jpg", {}),
        ("get", f"/people/{own_person}/photos/{foreign}/change", {}),
        ("post", f"/people/{own_person}/photos/{foreign}/make-main", {}),
        ("post", f"/people/{own_person}/photos/{foreign}/remove", {}),
    ]
    for method, path, data in attempts:
        if method == "post":
            body, content_type = multipart(data | {"csrf_token": token, "kind": data.get("kind", "other")})
            response = client.post(path, data=body, content_type=content_type)
        else:
            response = client.get(path)
        assert response.status_code == 404, (method, path, response.status_code)
        assert b"\xff\xd8" not in response.data[:4]
    assert stored_photos(app, person_id) == [photo]
    assert len(blob_files(app)) == 1


# --- freshness on the list and the overview panel ------------------------------------------------


def test_freshness_warning(app, signed_in, client_request):
    for taken_on, kind, warning in [
        (["15", "8", "2025"], "head_and_shoulders", "more than 6 months old"),
        (["14", "3", "2025"], "head_and_shoulders", "more than 12 months old, so it is out of date"),
        (["1", "3", "2026"], "clothing_item", "Add a recent head and shoulders photo"),
        (["1", "3", "2026"], "head_and_shoulders", None),
    ]:
        person_id = add_person(app)
        upload(signed_in, person_id, jpeg(), taken_on=taken_on, kind=kind)
        shown = client_request.get(f"/people/{person_id}/photos").find(class_="govuk-warning-text")
        if warning is None:
            assert shown is None
        else:
            assert warning in shown.text


def test_overview_panel(app, signed_in, person_id):
    def panel(**context) -> BeautifulSoup:
        with app.test_request_context():
            person = db.session.get(Person, person_id)
            html = render_template_string('{% include "people/_photos_panel.html" %}', person=person, **context)
            return BeautifulSoup(html, "html.parser")

    empty = panel()
    assert "No photos yet" in empty.text and "Add a recent head and shoulders photo" in empty.text
    assert link(empty, "Add a photo")["href"] == f"/people/{person_id}/photos"

    upload(signed_in, person_id, jpeg(), taken_on=["1", "6", "2025"])
    upload(signed_in, person_id, png(), kind="clothing_item")
    main = next(p for p in stored_photos(app, person_id) if p["is_primary"])
    listed = [{key: value for key, value in p.items() if key != "jpeg"} for p in stored_photos(app, person_id)]
    for shown in (panel(), panel(photos=listed)):
        assert "2 photos" in shown.text
        assert shown.find("img")["src"] == f"/people/{person_id}/photos/{main['id']}.jpg?width=160"
        assert "taken 1 June 2025" in shown.text
        assert "more than 6 months old" in shown.find(class_="govuk-warning-text").text
        assert link(shown, "Manage photos")["href"] == f"/people/{person_id}/photos"
