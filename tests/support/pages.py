"""Pages as a browser sees them: parsed HTML, its text and error summary, forms posted with the CSRF token the
page itself carries (the one CSRF helper of the suite), and the checks every page must pass (PageChecker)."""

import re
from collections import Counter

from bs4 import BeautifulSoup
from flask.testing import FlaskClient


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.data, "html.parser")


def text_of(response) -> str:
    return " ".join(page(response).get_text().split())


def error_text(response) -> str:
    summary = page(response).find(class_="govuk-error-summary")
    return summary.get_text(" ", strip=True) if summary else ""


def csrf_token(client: FlaskClient, path: str = "/account", follow_redirects: bool = False) -> str:
    """The CSRF token on the page at `path` (a session's token is valid for the whole session)."""
    response = client.get(path, follow_redirects=follow_redirects)
    assert response.status_code == 200, (path, response.status_code)
    field = page(response).find("input", {"name": "csrf_token"})
    assert field is not None, f"no CSRF token on {path}"
    return field["value"]


def post(client: FlaskClient, path: str, data: dict | None = None, token_from: str | None = None, **kwargs):
    """POST a form the way a browser would: with the CSRF token from the page it came from."""
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client, token_from or path))
    return client.post(path, data=data, **kwargs)


class PageChecker:
    """Fetch pages through the test client and check what every page must get right
    (in the spirit of notifications-admin's client_request): a title, unique ids, a nonce on
    every script matching the CSP header, and a CSRF token in every POST form."""

    def __init__(self, client: FlaskClient):
        self.client = client

    def get(self, path: str, expected_status: int = 200, **kwargs) -> BeautifulSoup:
        response = self.client.get(path, **kwargs)
        assert response.status_code == expected_status, (path, response.status_code)
        return self.check(response)

    def post(self, path: str, data: dict | None = None, expected_status: int = 200, **kwargs) -> BeautifulSoup:
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        response = self.client.post(path, data=data, **kwargs)
        assert response.status_code == expected_status, (path, response.status_code, response.location)
        return self.check(response) if response.mimetype == "text/html" and expected_status < 300 else response

    def csrf_token(self) -> str:
        return csrf_token(self.client, "/account" if self._signed_in() else "/sign-in")

    def _signed_in(self) -> bool:
        return self.client.get("/account").status_code == 200

    @staticmethod
    def check(response) -> BeautifulSoup:
        page = BeautifulSoup(response.data, "html.parser")
        title = page.find("title")
        assert title is not None and title.text.strip(), "page has no title"
        ids = Counter(tag["id"] for tag in page.find_all(id=True))
        duplicates = [name for name, count in ids.items() if count > 1]
        assert not duplicates, f"duplicate ids: {duplicates}"
        csp = response.headers.get("Content-Security-Policy", "")
        nonce = re.search(r"'nonce-([^']+)'", csp)
        for script in page.find_all("script"):
            assert nonce and script.get("nonce") == nonce.group(1), "script without the request's CSP nonce"
        for form in page.find_all("form"):
            if form.get("method", "get").lower() == "post":
                assert form.find("input", {"name": "csrf_token"}), "POST form without a CSRF token"
        return page
