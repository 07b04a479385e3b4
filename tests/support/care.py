"""Helpers for the shared-care tests: carers on their own test clients, invitations made and accepted
through the real pages, as the people involved would."""

import re

from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from tests.support.accounts import AuthActions
from tests.support.pages import csrf_token

LINK = re.compile(r"http://localhost(/invitations/[A-Za-z0-9_\-]+)")


class Person:
    """A carer with their own browser (test client) on their own address, signed in. (Each has a
    different loopback address, as different people have, so the per-address sign-up limit applies to each.)"""

    count = 0

    def __init__(self, app: Flask, email: str):
        Person.count += 1
        self.client: FlaskClient = app.test_client()
        self.client.environ_base["REMOTE_ADDR"] = f"127.0.{Person.count // 250}.{Person.count % 250 + 2}"
        self.email = email
        self.auth = AuthActions(self.client)
        assert self.auth.sign_up(email).status_code == 302

    @property
    def token(self) -> str:
        return csrf_token(self.client, "/account")

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
