"""Helpers for the shared-care tests: carers on their own test clients, invitations made and accepted
through the real pages, as the people involved would."""

import re
from datetime import UTC

import pyotp
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from herbert import clock
from herbert.extensions import db
from herbert.models import User
from tests.support.accounts import AuthActions
from tests.support.pages import csrf_token

LINK = re.compile(r"http://localhost(/invitations/[A-Za-z0-9_\-]+)")


class Person:
    """A carer with their own browser (test client) on their own address, signed in. (Each has a
    different loopback address, as different people have, so the per-address sign-up limit applies to each.)

    Their address is confirmed, as if they had opened the link emailed at sign-up (accepting an invitation
    needs a confirmed address; tests/care/test_invitations.py walks the real emailed link). `verified=False`
    leaves it unconfirmed."""

    count = 0

    def __init__(self, app: Flask, email: str, verified: bool = True):
        Person.count += 1
        self.app = app
        self.client: FlaskClient = app.test_client()
        self.client.environ_base["REMOTE_ADDR"] = f"127.0.{Person.count // 250}.{Person.count % 250 + 2}"
        self.email = email
        self.auth = AuthActions(self.client)
        assert self.auth.sign_up(email).status_code == 302
        if verified:
            with app.app_context():
                db.session.execute(
                    db.update(User).where(User.email == email.strip().lower()).values(email_verified_at=clock.utcnow())
                )
                db.session.commit()

    @property
    def token(self) -> str:
        """The session's CSRF token, from the account page (or the two-factor set-up an admin is sent to first)."""
        return csrf_token(self.client, "/account", follow_redirects=True)

    def post(self, path: str, data: dict | None = None):
        return self.client.post(path, data={"csrf_token": self.token} | (data or {}))


def invite(owner: Person, person_id: str, email: str, role: str) -> str:
    """The owner invites through the page; returns the invitation link's path (shown once)."""
    response = owner.post(f"/people/{person_id}/carers/invite", {"email": email, "role": role})
    assert response.status_code == 200, response.status_code
    element = BeautifulSoup(response.data, "html.parser").find(id="invitation-link")
    match = LINK.fullmatch(element.get_text("", strip=True)) if element else None
    assert match, "no invitation link on the page"
    return match.group(1)


def accept(carer: Person, path: str):
    page = carer.client.get(path)
    assert page.status_code == 200, page.status_code
    return carer.post(path)


def page_text(response) -> str:
    return BeautifulSoup(response.data, "html.parser").get_text(" ", strip=True)


# --- organisations ------------------------------------------------------------------------------------

STAFF_LINK = re.compile(r"http://localhost(/staff-invitations/[A-Za-z0-9_\-]+)")
ORGANISATION_URL = re.compile(r"^/organisations/([0-9a-f]{32})/residents$")


def turn_on_two_factor(person: Person) -> str:
    """Through the real set-up page: read the secret it shows, type the code an authenticator app would."""
    set_up = BeautifulSoup(person.client.get("/account/two-factor/set-up").data, "html.parser")
    secret = re.sub(r"\s", "", set_up.find(id="secret-key").get_text())
    moment = clock.utcnow().replace(tzinfo=UTC)
    response = person.post("/account/two-factor/set-up", {"code": pyotp.TOTP(secret).at(int(moment.timestamp()))})
    assert response.status_code == 200, response.status_code
    return secret


def set_up_organisation(admin: Person, name: str = "Rowan House", kind: str = "care_home") -> str:
    """The carer sets up an organisation through the page, then turns on two-factor (admins must); returns its id."""
    response = admin.post(
        "/organisations/new",
        {"name": name, "kind": kind, "address": "1 Care Street\nTowncester", "postcode": "tc1 1aa",
         "phone": "01632 960 001"},
    )  # fmt: skip
    assert response.status_code == 302, response.status_code
    match = ORGANISATION_URL.match(response.location)
    assert match, response.location
    assert admin.client.get(response.location).location == "/account/two-factor/set-up"  # admins: two-factor first
    turn_on_two_factor(admin)
    return match.group(1)


def invite_staff(admin: Person, organisation_id: str, email: str, post: str = "staff", resident_role: str = "editor"):
    """The admin invites through the page; returns the invitation link's path (shown once, email being off)."""
    response = admin.post(
        f"/organisations/{organisation_id}/staff/invite", {"email": email, "post": post, "resident_role": resident_role}
    )
    assert response.status_code == 200, response.status_code
    element = BeautifulSoup(response.data, "html.parser").find(id="invitation-link")
    match = STAFF_LINK.fullmatch(element.get_text("", strip=True)) if element else None
    assert match, "no invitation link on the page"
    return match.group(1)


def join_staff(admin: Person, organisation_id: str, member: Person, post: str = "staff", resident_role: str = "editor"):
    """Invited by the admin and accepted by the member; an admin turns on two-factor."""
    path = invite_staff(admin, organisation_id, member.email, post, resident_role)
    assert member.client.get(path).status_code == 200
    response = member.post(path)
    assert response.status_code == 302, response.status_code
    if post == "admin":
        turn_on_two_factor(member)


def admit_by_invitation(owner: Person, person_id: str, admin: Person, role: str = "owner") -> None:
    """The family invites the organisation (its admin's address); the admin accepts for it."""
    response = owner.post(
        f"/people/{person_id}/carers/invite", {"who": "organisation", "email": admin.email, "role": role}
    )
    assert response.status_code == 200, response.status_code
    element = BeautifulSoup(response.data, "html.parser").find(id="invitation-link")
    path = LINK.fullmatch(element.get_text("", strip=True)).group(1)
    assert admin.client.get(path).status_code == 200
    form = BeautifulSoup(admin.client.get(path).data, "html.parser").find("input", {"name": "organisation"})
    response = admin.post(path, {"organisation": form["value"]} if form else {})
    assert response.status_code == 302 and response.location == f"/people/{person_id}", response.status_code


def staff_member_id(app: Flask, organisation_id: str, email: str) -> int:
    from herbert.models import OrganisationMember

    with app.app_context():
        return db.session.execute(
            db.select(OrganisationMember.id)
            .join(User, User.id == OrganisationMember.user_id)
            .where(OrganisationMember.organisation_id == organisation_id, User.email == email)
        ).scalar_one()


def emails_to(smtp, address: str, subject_words: str, timeout: float = 20.0) -> list:
    """The messages to an address whose subject holds these words, waiting for the first to arrive (the SMTP
    server receives on its own thread)."""

    def found() -> list:
        return [message for message in smtp.to(address) if subject_words in message["Subject"]]

    with smtp.arrived:
        smtp.arrived.wait_for(lambda: bool(found()), timeout=timeout)
    return found()
