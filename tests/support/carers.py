"""The suite's carer: signed in, with one person, filling in and handing over the form through the real pages."""

import re
from dataclasses import dataclass, field

from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from herbert.extensions import db
from herbert.models import Person
from tests.support.pages import csrf_token


def add_person(client: FlaskClient) -> str:
    """Add a person through "Add a person", as a carer would; their id."""
    response = client.post("/people/new", data={"csrf_token": csrf_token(client, "/people/new")})
    assert response.status_code == 302
    match = re.match(r"^/people/([0-9a-f]{32})/about-the-person/name$", response.location)
    assert match, response.location
    return match.group(1)


@dataclass
class Carer:
    """A signed-in carer and one of their people (posts carry the session's CSRF token, as a browser's do)."""

    client: FlaskClient
    person_id: str
    app: Flask | None = None
    user_id: int | None = None
    _token: tuple[str, str] | None = field(default=None, repr=False)  # (the session cookie it belongs to, token)

    @property
    def token(self) -> str:
        """The session's CSRF token, fetched from a real page once per session (signing out and in again starts a
        new session with a new token)."""
        cookie = self.client.get_cookie(self.client.application.config["SESSION_COOKIE_NAME"])
        session = cookie.value if cookie is not None else ""
        if self._token is None or self._token[0] != session:
            token = csrf_token(self.client, "/account")
            cookie = self.client.get_cookie(self.client.application.config["SESSION_COOKIE_NAME"])
            self._token = (cookie.value if cookie is not None else "", token)
        return self._token[1]

    def url(self, section: str, page: str = "", row: str = "") -> str:
        return "/".join(part for part in (f"/people/{self.person_id}", section, page, row) if part)

    def post(self, path: str, data: dict | None = None, action: str | None = None, **kwargs):
        body = {"csrf_token": self.token} | ({"action": action} if action else {}) | dict(data or {})
        return self.client.post(path, data=body, **kwargs)

    def save(self, section: str, page: str, data: dict, action: str = "continue"):
        response = self.post(self.url(section, page), data, action)
        assert response.status_code == 302, self.errors(response)
        return response

    def add_row(self, section: str, page: str, data: dict) -> None:
        response = self.post(self.url(section, page, "new"), data, "continue")
        assert response.status_code == 302, self.errors(response)

    def row_ids(self, section: str, page: str) -> list[str]:
        page_html = self.client.get(self.url(section, page)).data.decode()
        return re.findall(rf"/{page}/([0-9a-f]{{16}})/remove", page_html)

    def person(self) -> Person:
        person = db.session.get(Person, self.person_id)
        db.session.refresh(person)
        return person

    @staticmethod
    def errors(response) -> list[str]:
        page = BeautifulSoup(response.data, "html.parser")
        return [a.get_text(strip=True) for a in page.select(".govuk-error-summary__list a")]
