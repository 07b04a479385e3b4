"""Shared care in a real browser on a 375-pixel phone, axe at zero violations on every page: an owner invites
a co-carer who signs up from the link and accepts; a viewer reports the person missing and shares with police;
a viewer is told plainly what their role cannot do; and two carers saving one page at once see the clash page."""

import re
import sqlite3

import pytest

from tests.support.browser import PASSWORD, PHONE, Journey, add_person, tap, unique_email

pytestmark = pytest.mark.browser


def invite_from_the_person_page(owner: Journey, email: str, role: str) -> str:
    """Through the pages an owner uses; returns the invitation link (shown once)."""
    owner.visit("/people")
    owner.follow("Ada Example")
    owner.follow("See, invite or remove the people who help with this form")
    owner.follow("Invite someone")
    owner.fill("Their email address", email)
    owner.page.get_by_label(role, exact=True).check()
    owner.submit("Create the invitation")
    return owner.page.locator("#invitation-link").inner_text().strip()


def confirm_address(journey: Journey, email: str) -> None:
    """As opening the link emailed at sign-up does (that link is walked in tests/browser/test_password_reset.py
    and tests/care/test_invitations.py; the live server here sends no email)."""
    with sqlite3.connect(journey.server.instance / "herbert.db") as database:
        database.execute("UPDATE users SET email_verified_at = CURRENT_TIMESTAMP WHERE email = ?", (email,))


def accept_by_signing_up(helper: Journey, link: str, email: str) -> None:
    path = "/" + link.split("/", 3)[3]
    helper.visit(path)
    assert "has invited you to help look after a Herbert Protocol form" in helper.page.locator("main").inner_text()
    helper.follow("Create an account")
    helper.fill("Email address", email)
    helper.page.locator("input[name=password]").fill(PASSWORD)
    helper.submit("Create account")
    assert helper.path.startswith("/invitations/"), helper.path
    # A new account must confirm its address before it can accept (the page says so, axe-checked).
    assert "Confirm your email address first" in helper.page.locator("main").inner_text()
    confirm_address(helper, email)
    helper.visit(path)
    helper.submit("Accept the invitation")


def test_invite_and_accept_a_co_carer_on_a_phone(make_journey):
    owner = make_journey(viewport=PHONE)
    owner.sign_up()
    add_person(owner)
    email = unique_email("brother")
    link = invite_from_the_person_page(owner, email, "Editor")
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/invitations/[A-Za-z0-9_\-]{43}", link)

    helper = make_journey(viewport=PHONE)
    accept_by_signing_up(helper, link, email)
    main = helper.page.locator("main").inner_text()
    assert "Ada Example" in main and "You can now see this form as editor" in helper.page.inner_text("body")
    helper.follow("See who else helps with this form, and what everyone has done")
    assert email in helper.page.locator("main").inner_text()
    helper.follow("See who viewed, changed, printed and shared this form")
    assert "Joined as a carer" in helper.page.locator("main").inner_text()

    # The same link does not work twice.
    helper.visit("/" + link.split("/", 3)[3], status=410)


def test_a_viewer_reports_missing_and_shares_with_police(make_journey):
    owner = make_journey(viewport=PHONE)
    owner.sign_up()
    add_person(owner)
    email = unique_email("neighbour")
    link = invite_from_the_person_page(owner, email, "Viewer")
    neighbour = make_journey(viewport=PHONE)
    accept_by_signing_up(neighbour, link, email)
    person_path = neighbour.path

    # Their role keeps them out of the question pages, with a page that says so and who to ask.
    neighbour.visit(person_path + "/about-the-person/name", status=403)
    refused = neighbour.page.locator("main").inner_text()
    assert "You can see this form as viewer, so you cannot change this form" in refused
    assert "ask an owner of the form" in refused

    # The emergency is never blocked by a role.
    neighbour.visit("/people")
    tap(neighbour, "button", "Report them missing")
    tap(neighbour, "button", "Now")  # the last-seen time is what the carer says: one tap fills it
    tap(neighbour, "button", "Save and share with police now")
    password = neighbour.page.locator("main input[name=password]")
    if password.count():
        password.fill(PASSWORD)
    tap(neighbour, "button", "Share with police")
    assert neighbour.page.locator("#share-reference").is_visible()
    assert neighbour.page.locator("#share-code").inner_text().strip()


def test_two_carers_saving_one_page_see_the_clash_page(make_journey):
    owner = make_journey(viewport=PHONE)
    owner.sign_up()
    add_person(owner)
    email = unique_email("sister")
    link = invite_from_the_person_page(owner, email, "Editor")
    sister = make_journey(viewport=PHONE)
    accept_by_signing_up(sister, link, email)
    page_path = sister.path + "/about-the-person/name"

    owner.visit(page_path)
    sister.visit(page_path)
    owner.fill("Full name", "Ada Mary Example")
    owner.submit("Save and continue")
    sister.fill("Full name", "Ada M. Example")
    sister.submit("Save and continue")
    main = sister.page.locator("main").inner_text()
    assert "Someone else changed this section" in main
    assert "Ada Mary Example" in main and "Ada M. Example" in main
    sister.submit("Continue")
    assert sister.error_state()
    sister.page.get_by_label("Keep my answers", exact=True).check()
    sister.submit("Continue")
    owner.visit(page_path)
    assert owner.page.get_by_label("Full name", exact=True).input_value() == "Ada M. Example"
