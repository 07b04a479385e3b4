"""Helpers for the question-page tests: add a person through the real pages and post answers
with the page's own CSRF token, as a browser would."""

import re

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient

from herbert.questions.registry import SECTIONS


def token_on(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    field = BeautifulSoup(response.data, "html.parser").find("input", {"name": "csrf_token"})
    return field["value"]


def add_person(client: FlaskClient) -> str:
    response = client.post("/people/new", data={"csrf_token": token_on(client, "/people/new")})
    assert response.status_code == 302
    match = re.match(r"^/people/([0-9a-f]{32})/about-the-person/name$", response.location)
    assert match, response.location
    return match.group(1)


class Carer:
    """A signed-in carer filling in one person's form through the HTTP pages."""

    def __init__(self, client: FlaskClient, person_id: str):
        self.client = client
        self.person_id = person_id
        self._token: str | None = None

    @property
    def token(self) -> str:
        """The session's CSRF token (valid for the whole session), fetched once from a real page."""
        if self._token is None:
            self._token = token_on(self.client, "/people/new")
        return self._token

    def url(self, section: str, page: str = "", row: str = "") -> str:
        return "/".join(part for part in (f"/people/{self.person_id}", section, page, row) if part)

    def post(self, path: str, data: dict, action: str = "continue"):
        body = {"csrf_token": self.token, "action": action} | data
        return self.client.post(path, data=body)

    def save(self, section: str, page: str, data: dict, action: str = "continue"):
        response = self.post(self.url(section, page), data, action)
        assert response.status_code == 302, self.errors(response)
        return response

    def add_row(self, section: str, page: str, data: dict) -> None:
        response = self.post(self.url(section, page, "new"), data)
        assert response.status_code == 302, self.errors(response)

    def row_ids(self, section: str, page: str) -> list[str]:
        page_html = self.client.get(self.url(section, page)).data.decode()
        return re.findall(rf"/{page}/([0-9a-f]{{16}})/remove", page_html)

    @staticmethod
    def errors(response) -> list[str]:
        page = BeautifulSoup(response.data, "html.parser")
        return [a.get_text(strip=True) for a in page.select(".govuk-error-summary__list a")]


@pytest.fixture
def carer(signed_in: FlaskClient) -> Carer:
    return Carer(signed_in, add_person(signed_in))


ALL_PAGES = [(section.slug, page.slug) for section in SECTIONS for page in section.pages]
