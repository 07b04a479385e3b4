"""Import checks every answer exactly as the pages do (the pages' own validators), enforces the schema's
formats, caps photos, rows and the pixels decoded per package, and accepts packages up to the stated 60 MB."""

import io
import os
import time
import zipfile

import pytest
from bs4 import BeautifulSoup

from herbert.dates import uk_now
from herbert.extensions import db
from herbert.handover.missing import report as missing
from herbert.handover.transfer import export
from herbert.handover.transfer.importer import import_package
from herbert.handover.transfer.unpack import PackageRejected
from herbert.models import Person, User
from herbert.records import store
from tests.support.journey import make_person
from tests.support.packages import counts, rebuild, with_json
from tests.support.photos import multipart

ABOUT, LOOKS, HEALTH = "about-the-person", "physical-description", "health-and-medication"
MEDICINE = {"id": "0123456789abcdef", "medicine_name": "Donepezil"}


def setter(section, name, value):
    def edit(envelope):
        envelope["document"].setdefault(section, {})[name] = value

    return edit


A_REPORT = {"last_seen_at": "2025-06-01T14:30", "reported_at": "2025-06-01T15:05", "last_seen_where": "Home"}
NEXT_YEAR = uk_now().year + 1


def reporting(**values):
    """A missing-now report in the package: a valid one with `values` changed."""

    def edit(envelope):
        envelope["missing_report"] = A_REPORT | values

    return edit


# Each is a value a question page refuses (its own validators), so an import must refuse it too.
REFUSED_BY_THE_PAGES = {
    "a full card number": (setter(ABOUT, "full_name", "4111 1111 1111 1111"), "card"),
    "a PIN": (setter(HEALTH, "mental_health", "Her pin 4821 is on a note"), "PIN"),
    "a password": (setter(ABOUT, "preferred_name", "password: hunter2"), "password"),
    "a date that is not a date": (setter(ABOUT, "date_of_birth", "soon"), "about-the-person › date_of_birth"),
    "an impossible date": (setter(ABOUT, "date_of_birth", "1950-02-30"), "about-the-person › date_of_birth"),
    "a date in the wrong form": (setter(ABOUT, "date_of_birth", "1/3/1950"), "about-the-person › date_of_birth"),
    "a date out of range": (setter(ABOUT, "date_of_birth", "1066-10-14"), "must be between 1900 and 2100"),
    "an absurd height": (setter(LOOKS, "height", -1e308), "Height"),
    "a height out of range": (setter(LOOKS, "height", 300), "must be between 50 cm and 250 cm"),
    "a phone number that is not one": (setter(HEALTH, "gp_phone", "call the surgery"), "phone"),
    "a wrong NHS number": (setter(ABOUT, "nhs_number", "943 476 5918"), "NHS number"),
    "a row id with a slash": (setter(HEALTH, "medication", [MEDICINE | {"id": "../../share/x"}]), "row id"),
    "a row id that is huge": (setter(HEALTH, "medication", [MEDICINE | {"id": "a" * 200}]), "row id"),
    "two rows with one id": (setter(HEALTH, "medication", [MEDICINE, MEDICINE]), "same id"),
    "a card number in a row": (
        setter(HEALTH, "medication", [MEDICINE | {"dose": "4111-1111-1111-1111"}]),
        "card",
    ),
    "more rows than a list holds": (
        setter(HEALTH, "medication", [MEDICINE | {"id": f"row{n}"} for n in range(16)]),
        "more than 15",
    ),
    "a card number in a version": (
        lambda e: e["versions"][0]["document"][ABOUT].update(full_name="4111111111111111"),
        "card",
    ),
    "a password in a photo caption": (lambda e: e["photos"][0].update(caption="password: hunter2"), "photo caption"),
    # The missing-now report, as its own pages check it (the schema only checks the shape of a date-time).
    "a last-seen date and time that do not exist": (reporting(last_seen_at="2026-13-45T25:61"), "date last seen"),
    "a last-seen time that does not exist": (reporting(last_seen_at="2025-06-01T25:61"), "time last seen"),
    "a last-seen time in the future": (
        reporting(last_seen_at=f"{NEXT_YEAR}-06-01T14:30"),
        "The time last seen must be now or in the past",
    ),
    "a report time that does not exist": (reporting(reported_at="2025-02-30T15:05"), "Reported missing"),
    "a report time in the future": (reporting(reported_at=f"{NEXT_YEAR}-06-01T15:05"), "now or in the past"),
    "a time police were called that does not exist": (
        reporting(police_called_at="2025-06-01T24:00"),
        "time police were called",
    ),
    "a found date that does not exist": (reporting(found_at="2025-06-31T18:00"), "Date found must be a real date"),
    "a police reference longer than its box": (reporting(police_reference="Z" * 61), "60 characters or fewer"),
    "a phone location that is not on Earth": (reporting(last_seen_lat="91.5", last_seen_lon="0"), "location"),
}


@pytest.fixture
def owner(app):
    with app.app_context():
        user = User(email="importer@example.com", password_hash="not-used")
        db.session.add(user)
        db.session.commit()
        person = db.session.get(Person, make_person(user.id))
        yield user.id, export.build_package(export.content_for_person(person), None)


def test_every_value_the_pages_refuse_is_refused_on_import_and_nothing_is_stored(owner, backend):
    user_id, valid = owner
    before = counts()
    for case, (edit, expected) in REFUSED_BY_THE_PAGES.items():
        with pytest.raises(PackageRejected) as rejected:
            import_package(with_json(valid, edit), user_id)
        message = rejected.value.message
        print(f"\n  {case}: {message}", end="")
        assert expected.lower() in message.lower(), (case, message)
        assert "4111" not in message and "hunter2" not in message and "share/x" not in message
        assert "2026-13" not in message and "25:61" not in message and "ZZZZ" not in message
        assert counts() == before, case
    # ...and the untouched package still imports (the checks refuse the values, not the package).
    assert import_package(valid, user_id)


def test_an_imported_report_keeps_the_time_it_was_made(owner):
    """Police read when the family first reported, not when the package was imported."""
    user_id, valid = owner
    package = with_json(valid, reporting(last_seen_at="2025-06-01T14:30:00", seen_by="  Neighbour  "))
    person = db.session.get(Person, import_package(package, user_id))
    stored = missing.load_report(person, missing.open_report(person))
    assert stored["reported_at"] == "2025-06-01T15:05"
    assert stored["last_seen_at"] == "2025-06-01T14:30"  # to the minute, as the page stores it
    assert stored["seen_by"] == "Neighbour" and stored["last_seen_where"] == "Home"
    assert person.status == "missing"


def test_imported_answers_are_stored_as_the_pages_would_store_them(owner):
    user_id, valid = owner
    package = with_json(valid, setter(ABOUT, "preferred_name", "  Ada\tMay  "))
    person = db.session.get(Person, import_package(package, user_id))
    assert store.load_section(person, ABOUT)["preferred_name"] == "Ada May"


def test_photo_count_and_total_pixels_are_capped_before_decoding(owner, app):
    user_id, valid = owner  # two photos: 320x240 and 200x300
    before = counts()
    app.config["MAX_PHOTOS_PER_PERSON"] = 1
    with pytest.raises(PackageRejected, match="A person can have at most 1"):
        import_package(valid, user_id)
    app.config["MAX_PHOTOS_PER_PERSON"] = 20
    app.config["IMPORT_MAX_TOTAL_PIXELS"] = 100_000
    with pytest.raises(PackageRejected, match="too big to import together"):
        import_package(valid, user_id)
    assert counts() == before


def test_the_decode_budget_bounds_a_package_of_pixel_floods(owner):
    """Twenty 6,300 x 6,300 PNGs of zeros (each under the 40 MP photo limit): refused from their headers."""
    from PIL import Image

    user_id, valid = owner
    flood = io.BytesIO()
    Image.new("L", (6300, 6300)).save(flood, "PNG")
    files = [f"photos/{n:02d}-other.jpg" for n in range(1, 21)]

    def list_floods(envelope):
        envelope["photos"] = [{"file": f, "kind": "other", "caption": "", "primary": False} for f in files]

    def floods(name, data):
        if name.startswith("photos/"):
            return []
        if name == export.JSON_NAME:
            return [(name, data)] + [(f, flood.getvalue()) for f in files]
        return [(name, data)]

    package = rebuild(with_json(valid, list_floods), floods)
    print(f"\npixel-flood package: {len(package) // 1024} KB, 20 photos of 39.7 MP each", end="")
    started = time.perf_counter()
    with pytest.raises(PackageRejected, match="too big to import together"):
        import_package(package, user_id)
    took = time.perf_counter() - started
    print(f"\npixel-flood package refused in {took:.2f} s")
    assert took < 2


def test_a_package_larger_than_12_mb_imports_over_http(carer):
    """The import's own limit (60 MB) applies from the first read of the body, CSRF parsing included."""
    with carer.app.app_context():
        person = db.session.get(Person, carer.person_id)
        package = export.build_package(export.content_for_person(person), None)
    padded = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(padded, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        target.writestr(export.PDF_NAME, os.urandom(13 * 1024 * 1024))  # never read, only its size checked
    assert len(padded.getvalue()) > 13 * 1024 * 1024
    form = BeautifulSoup(carer.client.get("/people/import").data, "html.parser")
    token = form.find("input", {"name": "csrf_token"})["value"]
    body, content_type = multipart(
        {"csrf_token": token, "package": (padded.getvalue(), "export.zip", "application/zip")}
    )
    response = carer.client.post("/people/import", data=body, content_type=content_type)
    assert response.status_code == 302, response.status_code
    # Other routes keep the 12 MB limit.
    body, content_type = multipart({"csrf_token": token, "photo": (b"x" * (13 * 1024 * 1024), "a.jpg", "image/jpeg")})
    assert (
        carer.client.post(f"/people/{carer.person_id}/photos/add", data=body, content_type=content_type).status_code
        == 413
    )
