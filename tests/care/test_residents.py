"""Residents (issue 11): admitting (a new form, a family's export package, a family's invitation) with section L
filled in from the organisation; the residents dashboard (search, unit, what needs doing, most urgent first,
nothing personal in a URL); discharging or moving (to the family, to another organisation, ending the
organisation's access, export then erase), each in the audit trail; the organisation's audit view."""

import io
from datetime import date, datetime, timedelta

from bs4 import BeautifulSoup

from herbert import clock
from herbert.audit import Action
from herbert.extensions import db
from herbert.models import AuditEvent, Invitation, Membership, Person, Residency, User
from herbert.photos import cleaning
from herbert.records import store
from tests.support.care import LINK, accept, admit_by_invitation, join_staff, page_text, set_up_organisation
from tests.support.care import Person as Browser
from tests.support.carers import Carer, add_person
from tests.support.photos import jpeg


def admin_and_home(app, name: str = "Rowan House") -> tuple[Browser, str]:
    admin = Browser(app, "manager@example.com" if name == "Rowan House" else f"manager@{name.split()[0].lower()}.org")
    return admin, set_up_organisation(admin, name)


def section(app, person_id: str, slug: str) -> dict:
    with app.app_context():
        return store.load_section(db.session.get(Person, person_id), slug)


def residency(app, person_id: str) -> tuple[str, str] | None:
    with app.app_context():
        row = db.session.get(Residency, person_id)
        return (row.organisation_id, row.role) if row else None


def events(app, action: Action) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.execute(db.select(AuditEvent).filter_by(action=action.value).order_by(AuditEvent.id))
        return [row for row in rows.scalars()]


HOME_L = {
    "home_name": "Rowan House",
    "home_address": "1 Care Street\nTowncester",
    "home_postcode": "TC1 1AA",
    "home_phone": "01632 960 001",
}


# --- admitting ------------------------------------------------------------------------------------


def test_admitting_with_a_new_form_fills_in_section_l_and_the_organisation_owns_it(app):
    admin, home = admin_and_home(app)
    response = admin.post(f"/organisations/{home}/residents/new")
    assert response.status_code == 302 and response.location.endswith("/about-the-person/name")
    person_id = response.location.split("/")[2]
    assert section(app, person_id, "care-setting") == HOME_L
    assert section(app, person_id, "about-the-person") == {"living_situation": "care_home"}
    assert residency(app, person_id) == (home, "owner")
    with app.app_context():  # nobody holds it personally: a leaving admin takes nothing with them
        assert db.session.execute(db.select(Membership).filter_by(person_id=person_id)).first() is None
    overview = page_text(admin.client.get(f"/people/{person_id}"))
    assert "L. Care setting" in overview and "Not needed" not in overview.split("L. Care setting")[1][:40]
    (admitted,) = events(app, Action.RESIDENT_ADMIT)
    assert admitted.detail == f"organisation {home}, new form" and admitted.person_id == person_id


def test_admitting_with_a_familys_export_package(app):
    family = Browser(app, "daughter@example.com")
    person_id = add_person(family.client)
    Carer(family.client, person_id).save("about-the-person", "name", {"full_name": "Ada Lovelace"})
    Carer(family.client, person_id).save(
        "care-setting", "security-and-checks", {"door_security": "Keypad on the front door"}
    )
    package = family.post(f"/people/{person_id}/export")
    assert package.status_code == 200 and package.mimetype == "application/zip"
    admin, home = admin_and_home(app)
    page = admin.client.get(f"/organisations/{home}/residents/import")
    assert page.status_code == 200
    response = admin.client.post(
        f"/organisations/{home}/residents/import",
        data={"csrf_token": admin.token, "package": (io.BytesIO(package.data), "export.zip")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, page_text(response)
    new_id = response.location.split("/")[2]
    assert new_id != person_id and residency(app, new_id) == (home, "owner")
    assert section(app, new_id, "care-setting") == HOME_L | {"door_security": "Keypad on the front door"}
    assert "Ada Lovelace" in page_text(admin.client.get(f"/organisations/{home}/residents"))
    # Hostile: not a package at all; nothing stored.
    with app.app_context():
        before = db.session.execute(db.select(db.func.count()).select_from(Person)).scalar_one()
    response = admin.client.post(
        f"/organisations/{home}/residents/import",
        data={"csrf_token": admin.token, "package": (io.BytesIO(b"PK\x03\x04 not a zip"), "export.zip")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and "There is a problem" in page_text(response)
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Person)).scalar_one() == before


def test_admitting_when_the_family_invites_the_organisation(app):
    family = Browser(app, "son@example.com")
    person_id = add_person(family.client)
    Carer(family.client, person_id).save("about-the-person", "name", {"full_name": "Ada Lovelace"})
    admin, home = admin_and_home(app)
    admit_by_invitation(family, person_id, admin, role="editor")
    assert residency(app, person_id) == (home, "editor")  # what the family granted, no more
    assert section(app, person_id, "care-setting") == HOME_L
    assert "Ada Lovelace" in page_text(admin.client.get(f"/organisations/{home}/residents"))
    # The admin holds the organisation's role: editor, so managing the carers is refused with the owners named.
    refused = admin.client.get(f"/people/{person_id}/carers/invite")
    assert refused.status_code == 403 and "son@example.com" in page_text(refused)
    carers = page_text(family.client.get(f"/people/{person_id}/carers"))
    assert "Rowan House (organisation)" in carers
    # A second organisation cannot take them while the first one has them.
    rival = Browser(app, "rival@example.com")
    set_up_organisation(rival, "Birch Court")
    response = family.post(
        f"/people/{person_id}/carers/invite", {"who": "organisation", "email": rival.email, "role": "owner"}
    )
    assert "already live with an organisation" in page_text(response)
    assert residency(app, person_id) == (home, "editor")


def test_an_invitation_for_an_organisation_needs_an_admin_to_accept(app):
    family = Browser(app, "son@example.com")
    person_id = add_person(family.client)
    neighbour = Browser(app, "neighbour@example.com")
    response = family.post(
        f"/people/{person_id}/carers/invite", {"who": "organisation", "email": neighbour.email, "role": "owner"}
    )
    path = LINK.fullmatch(BeautifulSoup(response.data, "html.parser").find(id="invitation-link").get_text()).group(1)
    page = neighbour.client.get(path)
    assert page.status_code == 403 and "Only an admin of an organisation can accept it" in page_text(page)
    assert neighbour.post(path, {"organisation": "0" * 32}).status_code == 403
    assert residency(app, person_id) is None and neighbour.client.get(f"/people/{person_id}").status_code == 404
    # Staff (not admins) of an organisation cannot accept for it either.
    admin, home = admin_and_home(app)
    join_staff(admin, home, neighbour, "staff")
    assert neighbour.client.get(path).status_code == 403
    assert neighbour.post(path, {"organisation": home}).status_code == 403
    assert residency(app, person_id) is None
    # Once they run one, they accept for it, and only for one they run.
    own = set_up_organisation(neighbour, "Neighbourly Care")
    for forged in (home, "f" * 32):
        response = neighbour.post(path, {"organisation": forged})
        assert response.status_code == 200 and "Not a valid choice" in page_text(response)
    assert residency(app, person_id) is None
    assert neighbour.post(path, {"organisation": own}).status_code == 302
    assert residency(app, person_id) == (own, "owner")


def test_an_organisation_is_capped_with_a_clear_message(app):
    admin, home = admin_and_home(app)
    app.config["MAX_RESIDENTS_PER_ORGANISATION"] = 1
    assert admin.post(f"/organisations/{home}/residents/new").status_code == 302
    response = admin.post(f"/organisations/{home}/residents/new")
    assert response.status_code == 400
    assert "An organisation can have up to 1 residents" in page_text(response)
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Residency)).scalar_one() == 1


# --- the residents dashboard ----------------------------------------------------------------------

TODAY = datetime(2026, 12, 1, 12, 0)


def add_resident(app, home: str, admin_id: int, name: str, **facts) -> str:
    """A resident made through the store, with the facts the dashboard reads."""
    with app.app_context():
        person = db.session.get(Person, store.create_person(admin_id, home))
        store.update_summary(person, name=name, preferred_name=facts.get("preferred", ""), unit=facts.get("unit", ""))
        if facts.get("photo_taken"):
            photo = cleaning.clean_photo(jpeg(64, 64)).jpeg
            store.add_photo(person, photo, {"kind": "head_and_shoulders", "taken_on": facts["photo_taken"].isoformat()})
        if facts.get("published", True):
            review = facts.get("review_on", TODAY + timedelta(days=90))
            store.publish(person, admin_id, {"about-the-person": {"full_name": name}}, review)
        if facts.get("missing"):
            person.status = "missing"
            db.session.commit()
        return person.id


def rows_of(response) -> list[tuple[str, str, str]]:
    page = BeautifulSoup(response.data, "html.parser")
    rows = []
    for tr in page.select("table.app-residents tbody tr"):
        cells = tr.find_all("td")
        unit = cells[1].find(string=True, recursive=False) or ""
        rows.append((cells[0].a.get_text(strip=True), unit.strip(), " ".join(cells[2].get_text(" ").split())))
    return rows


def test_the_dashboard_puts_what_needs_doing_on_top_and_filters_without_names_in_urls(app):
    clock.freeze(TODAY)
    admin, home = admin_and_home(app)
    with app.app_context():
        admin_id = db.session.execute(db.select(User.id).filter_by(email=admin.email)).scalar_one()
    fresh = date(2026, 10, 1)
    add_resident(app, home, admin_id, "Alan Fine", unit="Rowan", photo_taken=fresh)
    overdue = TODAY - timedelta(days=1)
    add_resident(app, home, admin_id, "Beth Review", unit="Rowan", photo_taken=fresh, review_on=overdue)
    add_resident(app, home, admin_id, "Cyril Old Photo", unit="Birch", photo_taken=date(2025, 6, 1))
    add_resident(app, home, admin_id, "Dora Draft", unit="Birch", photo_taken=fresh, published=False)
    add_resident(app, home, admin_id, "Eve Missing", unit="Birch", photo_taken=fresh, missing=True)
    add_resident(app, home, admin_id, "Fred No Photo", preferred="Freddie")
    # Another organisation's resident never shows.
    other, elsewhere = admin_and_home(app, "Birch Court")
    with app.app_context():
        other_id = db.session.execute(db.select(User.id).filter_by(email=other.email)).scalar_one()
    add_resident(app, elsewhere, other_id, "Zed Elsewhere", photo_taken=fresh)

    path = f"/organisations/{home}/residents"
    response = admin.client.get(path)
    assert response.status_code == 200
    rows = rows_of(response)
    assert [row[0] for row in rows] == [
        "Eve Missing",  # missing now, always first
        "Beth Review",
        "Cyril Old Photo",
        "Fred No Photo",
        "Dora Draft",
        "Alan Fine",  # nothing needed: last
    ]
    assert rows[0][2].startswith("Missing now") and rows[-1][2] == "Nothing"
    assert rows[3][2] == "No photo" and rows[2][2] == "Photo out of date"
    text = page_text(response)
    assert "6 residents" in text and "Zed Elsewhere" not in text
    assert "Missing now: 1" in text and "Review due: 1" in text and "Draft never confirmed: 1" in text

    # The name and unit filters are sent by POST: nothing personal in a URL.
    form = BeautifulSoup(response.data, "html.parser").find("form", class_="app-residents-filter")
    assert form["method"] == "post"
    token = admin.token
    searched = admin.client.post(path, data={"csrf_token": token, "name": "  fred  "})
    assert [row[0] for row in rows_of(searched)] == ["Fred No Photo"]
    by_preferred = admin.client.post(path, data={"csrf_token": token, "name": "FREDDIE"})
    assert [row[0] for row in rows_of(by_preferred)] == ["Fred No Photo"]
    birch = admin.client.post(path, data={"csrf_token": token, "unit": "Birch"})
    assert [row[0] for row in rows_of(birch)] == ["Eve Missing", "Cyril Old Photo", "Dora Draft"]
    photos = admin.client.get(f"{path}?needs=photo")
    assert [row[0] for row in rows_of(photos)] == ["Cyril Old Photo", "Fred No Photo"]
    both = admin.client.post(path, data={"csrf_token": token, "unit": "Birch", "needs": "draft"})
    assert [row[0] for row in rows_of(both)] == ["Dora Draft"]
    nobody = admin.client.post(path, data={"csrf_token": token, "name": "<script>alert(1)</script>" * 20})
    assert nobody.status_code == 200 and "No residents match" in page_text(nobody)
    assert "<script>alert" not in nobody.data.decode()
    assert admin.client.post(path, data={"name": "Fred"}).status_code == 400  # no CSRF token
    for link in BeautifulSoup(response.data, "html.parser").find_all("a", href=True):
        assert "Fred" not in link["href"] and "Birch" not in link["href"] and "Rowan" not in link["href"].split("#")[0]
    clock.freeze(None)


def test_a_resident_whose_record_will_not_open_is_listed_as_such_and_an_erased_one_not_at_all(app):
    """One bad record must not take the dashboard down (the others still show, most in need first), and a
    person whose key the keyring refuses (erased, then a backup restored) is not listed at all."""
    admin, home = admin_and_home(app)
    with app.app_context():
        admin_id = db.session.execute(db.select(User.id).filter_by(email=admin.email)).scalar_one()
    kept = add_resident(app, home, admin_id, "Alan Fine", unit="Rowan", photo_taken=TODAY.date())
    broken = add_resident(app, home, admin_id, "Beth Broken", unit="Birch")
    erased = add_resident(app, home, admin_id, "Cora Erased", unit="Birch")
    with app.app_context():
        people = {person.id: person for person in db.session.execute(db.select(Person)).scalars()}
        people[broken].summary_sealed = people[kept].summary_sealed  # another person's ciphertext: will not open
        db.session.commit()
        store.key_wrapper().forget(erased)

    response = admin.client.get(f"/organisations/{home}/residents")
    assert response.status_code == 200
    assert [row[0] for row in rows_of(response)] == ["Alan Fine", "Record cannot be opened"]
    text = page_text(response)
    assert "2 residents" in text and "Beth Broken" not in text and "Cora Erased" not in text


def test_the_unit_is_sealed_and_set_by_editors(app):
    admin, home = admin_and_home(app)
    nurse, helper = Browser(app, "nurse@example.com"), Browser(app, "helper@example.com")
    join_staff(admin, home, nurse, "staff", "editor")
    join_staff(admin, home, helper, "staff", "viewer")
    person_id = admin.post(f"/organisations/{home}/residents/new").location.split("/")[2]
    Carer(admin.client, person_id).save("about-the-person", "name", {"full_name": "Ada Lovelace"})
    assert helper.post(f"/people/{person_id}/unit", {"unit": "Kestrel Wing"}).status_code == 403
    response = nurse.post(f"/people/{person_id}/unit?from=residents", {"unit": "  Kestrel\nWing  "})
    assert response.status_code == 302 and response.location == f"/organisations/{home}/residents"
    assert "Kestrel Wing" in page_text(helper.client.get(f"/organisations/{home}/residents"))
    too_long = nurse.post(f"/people/{person_id}/unit", {"unit": "x" * 61})
    assert too_long.status_code == 200 and "60 characters or fewer" in page_text(too_long)
    # A name change keeps the unit (the summary is merged, not replaced).
    Carer(nurse.client, person_id).save("about-the-person", "name", {"full_name": "Ada King"})
    with app.app_context():
        summary = store.load_summary(db.session.get(Person, person_id))
        assert summary["unit"] == "Kestrel Wing" and summary["name"] == "Ada King"
        from sqlalchemy import text

        for table in ("people", "audit_events", "residencies", "organisations"):
            dump = "\n".join(str(row) for row in db.session.execute(text(f'SELECT * FROM "{table}"')).all())  # noqa: S608
            assert "Kestrel" not in dump, table
    # Not a resident: the page is a 404 even for its owner.
    family = Browser(app, "family@example.com")
    own = add_person(family.client)
    assert family.client.get(f"/people/{own}/unit").status_code == 404


# --- discharging and moving -----------------------------------------------------------------------


def test_discharge_to_a_family_member_hands_over_when_they_accept(app):
    admin, home = admin_and_home(app)
    person_id = admin.post(f"/organisations/{home}/residents/new").location.split("/")[2]
    response = admin.post(f"/people/{person_id}/discharge", {"destination": "family", "email": "son@example.com"})
    assert response.status_code == 200 and "Invitation ready" in page_text(response)
    path = LINK.fullmatch(BeautifulSoup(response.data, "html.parser").find(id="invitation-link").get_text()).group(1)
    assert residency(app, person_id) == (home, "owner")  # kept until they accept: never without an owner
    (started,) = events(app, Action.RESIDENT_DISCHARGE_START)
    assert started.detail.startswith(f"organisation {home}, invitation ")
    son = Browser(app, "son@example.com")
    assert accept(son, path).status_code == 302
    assert residency(app, person_id) is None
    with app.app_context():
        assert db.session.execute(db.select(Membership.role).filter_by(person_id=person_id)).scalar_one() == "owner"
    assert admin.client.get(f"/people/{person_id}").status_code == 404
    (done,) = events(app, Action.RESIDENT_DISCHARGE)
    assert done.detail.startswith(f"organisation {home}, handed to a carer")
    # The organisation's audit view still shows the discharge.
    assert "Discharged or moved" in page_text(admin.client.get(f"/organisations/{home}/activity"))


def test_moving_to_another_organisation(app):
    admin, home = admin_and_home(app)
    person_id = admin.post(f"/organisations/{home}/residents/new").location.split("/")[2]
    other, elsewhere = admin_and_home(app, "Birch Court")
    response = admin.post(f"/people/{person_id}/discharge", {"destination": "organisation", "email": other.email})
    path = LINK.fullmatch(BeautifulSoup(response.data, "html.parser").find(id="invitation-link").get_text()).group(1)
    assert other.client.get(path).status_code == 200
    response = other.post(path, {"organisation": elsewhere})
    assert response.status_code == 302
    assert residency(app, person_id) == (elsewhere, "owner")
    assert section(app, person_id, "care-setting")["home_name"] == "Birch Court"
    assert admin.client.get(f"/people/{person_id}").status_code == 404
    assert [e.detail.split(",")[0] for e in events(app, Action.RESIDENT_DISCHARGE)] == [f"organisation {home}"]
    assert [e.detail.split(",")[0] for e in events(app, Action.RESIDENT_ADMIT)] == [
        f"organisation {home}",
        f"organisation {elsewhere}",
    ]


def test_ending_access_needs_the_family_to_own_it_and_erasing_needs_nobody_else(app):
    family = Browser(app, "son@example.com")
    shared = add_person(family.client)
    admin, home = admin_and_home(app)
    admit_by_invitation(family, shared, admin, role="owner")
    page = admin.client.get(f"/people/{shared}/discharge")
    assert "Stop looking after their form here" in page_text(page)
    assert "Download the form, then erase it" not in page_text(page)  # the family keeps a form: no erasing it
    assert admin.post(f"/people/{shared}/discharge/erase", {"confirm": "yes"}).status_code == 302
    assert residency(app, shared) == (home, "owner")
    response = admin.post(f"/people/{shared}/discharge", {"destination": "end"})
    assert response.status_code == 302
    assert residency(app, shared) is None and family.client.get(f"/people/{shared}").status_code == 200

    alone = admin.post(f"/organisations/{home}/residents/new").location.split("/")[2]
    page = page_text(admin.client.get(f"/people/{alone}/discharge"))
    assert "Stop looking after their form here" not in page  # nobody else would own it
    refused = admin.post(f"/people/{alone}/discharge", {"destination": "end"})
    assert refused.status_code == 200 and "Not a valid choice" in page_text(refused)
    erase_page = admin.client.get(f"/people/{alone}/discharge/erase")
    assert f"/people/{alone}/export" in erase_page.data.decode()
    assert admin.post(f"/people/{alone}/discharge/erase", {"confirm": "yes"}).status_code == 302
    with app.app_context():
        assert db.session.get(Person, alone) is None
    details = [e.detail for e in events(app, Action.RESIDENT_DISCHARGE)]
    assert details == [f"organisation {home}, access ended", f"organisation {home}, erased"]


def test_the_organisations_audit_view_is_for_admins(app):
    admin, home = admin_and_home(app)
    nurse = Browser(app, "nurse@example.com")
    join_staff(admin, home, nurse, "staff", "editor")
    person_id = admin.post(f"/organisations/{home}/residents/new").location.split("/")[2]
    Carer(nurse.client, person_id).save("about-the-person", "name", {"full_name": "Ada Lovelace"})
    nurse.client.get(f"/people/{person_id}")
    assert nurse.client.get(f"/organisations/{home}/activity").status_code == 403
    text = page_text(admin.client.get(f"/organisations/{home}/activity"))
    assert "nurse@example.com" in text and "Form changed" in text and "Form viewed" in text
    assert "Ada Lovelace" in text and "Joined the staff" in text
    edited = page_text(admin.client.get(f"/organisations/{home}/activity?kind=edited"))
    assert "Form changed" in edited and "Form viewed" not in edited
    # Another organisation's events never show.
    other, elsewhere = admin_and_home(app, "Birch Court")
    secret = other.post(f"/organisations/{elsewhere}/residents/new").location.split("/")[2]
    Carer(other.client, secret).save("about-the-person", "name", {"full_name": "Zed Elsewhere"})
    text = page_text(admin.client.get(f"/organisations/{home}/activity"))
    assert "Zed Elsewhere" not in text and other.email not in text


def test_invitations_for_a_discharge_are_listed_as_such(app):
    admin, home = admin_and_home(app)
    person_id = admin.post(f"/organisations/{home}/residents/new").location.split("/")[2]
    admin.post(f"/people/{person_id}/discharge", {"destination": "family", "email": "son@example.com"})
    assert "a discharge" in page_text(admin.client.get(f"/people/{person_id}/carers"))
    with app.app_context():
        assert db.session.execute(db.select(Invitation.discharge_from)).scalar_one() == home
