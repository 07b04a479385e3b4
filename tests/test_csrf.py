"""B4 CSRF: every POST route in the app (including ones added later) refuses a request with no token,
a wrong token or another session's token with 400, and changes nothing in the database."""

import uuid

from bs4 import BeautifulSoup
from flask import Flask
from sqlalchemy import text

from herbert.extensions import db

DUMMY_BY_CONVERTER = {"IntegerConverter": 1, "FloatConverter": 1.0, "UUIDConverter": uuid.UUID(int=1)}
FORM = {
    "email": "carer@example.com",
    "password": "correct horse battery staple 42",
    "current_password": "correct horse battery staple 42",
    "new_password": "plum kettle orbit 1987",
    "code": "123456",
    "next": "/people",
}


def dummy_value(converter):
    if hasattr(converter, "items"):  # any(a, b, c): the first choice
        return sorted(converter.items)[0]
    return DUMMY_BY_CONVERTER.get(type(converter).__name__, "0" * 32)


def post_urls(app: Flask) -> list[str]:
    """One concrete URL per POST rule, with dummy values for its parameters."""
    adapter = app.url_map.bind("localhost")
    urls = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "POST" not in (rule.methods or set()) or rule.endpoint == "static":
            continue
        values = {name: dummy_value(converter) for name, converter in rule._converters.items()}
        urls.append(adapter.build(rule.endpoint, values, method="POST"))
    return urls


def table_counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        return {
            table.name: db.session.execute(text(f'SELECT COUNT(*) FROM "{table.name}"')).scalar()  # noqa: S608
            for table in db.metadata.sorted_tables
        }


def token_of(client) -> str:
    page = BeautifulSoup(client.get("/account").data, "html.parser")
    return page.find("input", {"name": "csrf_token"})["value"]


def test_b4_every_post_route_refuses_missing_wrong_and_foreign_tokens(app, client, auth):
    auth.sign_up("other@example.com")
    foreign = token_of(client)
    auth.sign_out()
    auth.sign_up("carer@example.com")
    own = token_of(client)
    wrong = own[:-4] + ("AAAA" if not own.endswith("AAAA") else "BBBB")
    urls = post_urls(app)
    cases = {"no token": None, "wrong token": wrong, "another session's token": foreign}

    before = table_counts(app)
    failures = []
    for url in urls:
        for name, token in cases.items():
            data = dict(FORM)
            if token is not None:
                data["csrf_token"] = token
            response = client.post(url, data=data)
            if response.status_code != 400:
                failures.append((url, name, response.status_code))
    after = table_counts(app)
    print(
        f"\nB4 CSRF: {len(urls)} POST routes x {len(cases)} cases = {len(urls) * len(cases)} requests, "
        f"{len(failures)} not refused with 400; row counts unchanged: {before == after}"
    )
    assert len(urls) >= 8
    assert not failures, failures
    assert before == after
    assert client.get("/account").status_code == 200  # and the carer is still signed in


def test_csrf_failure_page_is_in_the_layout(client):
    response = client.post("/sign-in", data={"email": "carer@example.com", "password": "x"})
    page = BeautifulSoup(response.data, "html.parser")
    assert response.status_code == 400
    assert page.title.text.startswith("Your page timed out")
    assert page.find("footer") and page.find(class_="app-sidebar")
