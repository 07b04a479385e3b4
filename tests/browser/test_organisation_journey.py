"""A care home in a real browser on a 375-pixel phone, axe at zero violations on every page: the manager sets up
the organisation and turns on two-factor, admits residents, invites a member of staff who joins; the residents
dashboard is searched and filtered; the member of staff leaves and the admin removes them in one step, after
which every resident is closed to them and they are signed out."""

import re
import sqlite3
from datetime import UTC, datetime

import pyotp
import pytest

from tests.support.browser import PASSWORD, PHONE, Journey, unique_email

pytestmark = pytest.mark.browser


def confirm_address(journey: Journey, email: str) -> None:
    """As opening the link emailed at sign-up does (walked in tests/browser/test_password_reset.py; the live
    server here sends no email)."""
    with sqlite3.connect(journey.server.instance / "herbert.db") as database:
        database.execute("UPDATE users SET email_verified_at = CURRENT_TIMESTAMP WHERE email = ?", (email,))


def turn_on_two_factor(journey: Journey) -> None:
    """What an admin is sent to first: read the key off the page, type the code an authenticator app shows."""
    assert journey.path == "/account/two-factor/set-up", journey.path
    secret = re.sub(r"\s", "", journey.page.locator("#secret-key").inner_text())
    journey.fill("Enter the 6-digit code from your app", pyotp.TOTP(secret).at(datetime.now(UTC)))
    journey.submit("Turn on two-factor sign-in")
    assert "Save your recovery codes" in journey.page.locator("main").inner_text()


def admit(manager: Journey, organisation_path: str, name: str) -> str:
    manager.visit(organisation_path)
    manager.follow("Admit a resident")
    manager.submit("Start a new form")
    person_path = manager.path.rsplit("/about-the-person/", 1)[0]
    manager.fill("Full name", name)
    manager.submit("Save and continue")
    return person_path


def test_a_manager_runs_a_care_home_and_removes_a_leaver_on_a_phone(make_journey):
    manager = make_journey(viewport=PHONE)
    manager.sign_up()
    manager.visit("/organisations")  # "Organisations" in the menu, which a phone folds away
    manager.follow("Set up an organisation")
    manager.submit("Set up the organisation")  # empty: the error summary, axe-checked
    assert manager.error_state()
    manager.fill("Name of the organisation", "Rowan House")
    manager.page.get_by_label("Care home", exact=True).check()
    manager.fill("Address", "1 Care Street\nTowncester")
    manager.fill("Postcode", "TC1 1AA")
    manager.submit("Set up the organisation")
    turn_on_two_factor(manager)
    manager.visit("/organisations")
    manager.follow("Rowan House")
    organisation_path = manager.path
    assert re.fullmatch(r"/organisations/[0-9a-f]{32}/residents", organisation_path)

    ada = admit(manager, organisation_path, "Ada Lovelace")
    admit(manager, organisation_path, "Bert Jones")
    manager.visit(ada + "/unit")
    manager.fill("Unit, floor or wing", "Kestrel wing")
    manager.submit("Save")

    # The residents dashboard on a phone: everyone, then searched by name (sent by POST), then by need.
    manager.visit(organisation_path)
    main = manager.page.locator("main").inner_text()
    assert "2 residents" in main and "Ada Lovelace" in main and "Bert Jones" in main
    assert "Draft never confirmed: 2" in main
    manager.fill("Name", "ada")
    manager.submit("Show residents")
    main = manager.page.locator("main").inner_text()
    assert "Ada Lovelace" in main and "Bert Jones" not in main and "Kestrel wing" in main
    assert "ada" not in manager.path.lower()  # nothing personal in the address bar
    manager.follow("Clear")

    # A member of staff is invited and joins.
    manager.follow("Staff")
    manager.follow("Invite a member of staff")
    nurse_email = unique_email("nurse")
    manager.fill("Their email address", nurse_email)
    manager.page.get_by_label("Staff", exact=True).check()
    manager.page.get_by_label("Editor", exact=True).check()
    manager.submit("Create the invitation")
    link = manager.page.locator("#invitation-link").inner_text().strip()
    nurse = make_journey(viewport=PHONE)
    nurse.sign_up(nurse_email)
    confirm_address(nurse, nurse_email)
    nurse.visit("/" + link.split("/", 3)[3])
    nurse.submit("Join the staff")
    assert nurse.path == organisation_path
    nurse.follow("Ada Lovelace")
    assert nurse.path == ada

    # They leave: the manager removes them in one step.
    manager.visit(organisation_path.replace("/residents", "/staff"))
    with manager.navigation():
        manager.page.get_by_role("link", name=re.compile(f"^Remove.*{re.escape(nurse_email)}")).click()
    manager.page.get_by_label("Yes", exact=True).check()
    manager.submit("Continue")
    assert "has been removed" in manager.page.inner_text("body")
    assert nurse_email not in manager.page.locator("main").inner_text().split("has been removed")[-1]

    nurse.visit(ada)  # signed out everywhere: straight to the sign-in page
    assert nurse.path.startswith("/sign-in"), nurse.path
    nurse.sign_in(nurse_email, PASSWORD)
    nurse.visit(ada, status=404)
    nurse.visit(organisation_path, status=404)

    manager.follow("Back to the residents")
    manager.follow("Activity")
    activity = manager.page.locator("main").inner_text()
    assert "Removed a member of staff" in activity and nurse_email in activity
