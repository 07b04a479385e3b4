"""B6: the question pages under random and hostile input. Hypothesis posts ≥200 generated forms per
section; a payload list (XSS, SQL injection, CR/LF, template syntax, over-length) goes into every text
field. Never a server error, never anything rendered unescaped, over-length always a clear error."""

import re

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from herbert.extensions import db
from herbert.models import Person
from herbert.questions.registry import SECTIONS, Page
from herbert.questions.structure import unbound_fields
from herbert.records import store

TEXT_KINDS = ("text", "long_text", "address", "phone", "number")
FUZZ_SETTINGS = settings(  # max_examples comes from the profile in tests/conftest.py: 200 in CI
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def page_path(carer, page: Page) -> str:
    return carer.url(page.section.slug, page.slug, "new" if page.rows_key else "")


def field_strategy(field_class, kwargs) -> st.SearchStrategy:
    kind = field_class.kind
    junk = st.text(max_size=40)
    if kind in ("yes_no", "choice"):
        choices = ["yes", "no"] if kind == "yes_no" else [str(value) for value, _label in kwargs["choices"]]
        return st.one_of(st.sampled_from(choices), junk)
    if kind == "multi_choice":
        choices = [str(value) for value, _label in kwargs["choices"]]
        return st.lists(st.one_of(st.sampled_from(choices), junk), max_size=4)
    if kind == "date":
        part = st.one_of(st.integers(-5, 3000).map(str), st.text(max_size=5), st.just(""))
        return st.lists(part, min_size=0, max_size=4)
    limit = getattr(field_class, "limit", 200) or 200
    return st.one_of(
        st.text(max_size=60),
        st.from_regex(r"[0-9 +()-]{0,25}", fullmatch=True),
        # Around the length cap, without generating thousands of characters one by one.
        st.tuples(st.text(min_size=1, max_size=4), st.integers(-3, 3)).map(
            lambda pair: (pair[0] * (limit // len(pair[0]) + 2))[: limit + pair[1]]
        ),
    )


def form_strategy(page: Page) -> st.SearchStrategy:
    fields = {
        name: st.one_of(st.none(), field_strategy(unbound.field_class, unbound.kwargs))
        for name, unbound in unbound_fields(page.form_class)
    }
    fields["action"] = st.sampled_from(["continue", "later", "", "x"])
    return st.fixed_dictionaries(fields).map(lambda data: {k: v for k, v in data.items() if v is not None})


FORM_SECTIONS = [section for section in SECTIONS if section.endpoint is None]


@pytest.mark.parametrize("section", FORM_SECTIONS, ids=[section.slug for section in FORM_SECTIONS])
def test_random_forms_never_cause_a_server_error(carer, section):
    @FUZZ_SETTINGS
    @given(data=st.data())
    def post_random_form(data):
        page = data.draw(st.sampled_from(section.pages))
        form = data.draw(form_strategy(page))
        response = carer.client.post(page_path(carer, page), data={"csrf_token": carer.token} | form)
        # 200: a validation error; 400: a full "add another" list refusing one more row (MAX_LIST_ROWS).
        assert response.status_code in (200, 302, 400), response.status_code
        if response.status_code != 302:
            assert "govuk-error-summary" in response.text
        if response.status_code == 400:
            assert "Remove one before you add another" in response.text

    post_random_form()
    # Whatever random answers were stored last render on every page, check-answers and the overview.
    for page in section.pages:
        assert carer.client.get(carer.url(section.slug, page.slug)).status_code == 200
    assert carer.client.get(carer.url("check-answers")).status_code == 200
    assert carer.client.get(f"/people/{carer.person_id}").status_code == 200


PAYLOADS = [
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "</textarea><svg onload=alert(1)>",
    "javascript:alert(document.cookie)",
    "' OR '1'='1' --",
    "Robert'); DROP TABLE draft_sections;--",
    "line one\r\nSet-Cookie: evil=1\r\nX-Injected: yes",
    "{{ 7*7 }} {% raw %}{{ config }}",
    "%0d%0aLocation:%20https://evil.example",
    "\u202eevil\u0000nul\u0007bell",
]
DANGEROUS = re.compile(r"<script>alert|<img src=x|<svg onload")


def text_fields(page: Page) -> list[str]:
    return [name for name, unbound in unbound_fields(page.form_class) if unbound.field_class.kind in TEXT_KINDS]


def assert_escaped(html: str) -> None:
    assert not DANGEROUS.search(html), DANGEROUS.search(html)


def test_hostile_payloads_in_every_text_field_are_stored_as_text_and_shown_escaped(app, carer):
    pages = [page for section in FORM_SECTIONS for page in section.pages]
    for offset in range(len(PAYLOADS)):
        for page in pages:
            fields = text_fields(page)
            if not fields:
                continue
            form = {name: PAYLOADS[(index + offset) % len(PAYLOADS)] for index, name in enumerate(fields)}
            # Make follow-ups visible so their text fields are exercised too.
            form |= {"military_service": "yes", "wears_glasses": "yes", "bus_pass": "yes", "drives": "yes"}
            form |= {"has_mobile": "yes", "gps_tracker": "yes", "telecare": "yes", "sex": "other"}
            response = carer.client.post(page_path(carer, page), data={"csrf_token": carer.token} | form)
            assert response.status_code in (200, 302), (page.slug, response.status_code)
            assert "Set-Cookie: evil" not in str(response.headers) and "X-Injected" not in response.headers
            assert "evil.example" not in response.headers.get("Location", "")
            if response.status_code == 200:
                assert_escaped(response.text)
        for path in (carer.url("check-answers"), f"/people/{carer.person_id}", "/people"):
            response = carer.client.get(path)
            assert response.status_code == 200
            assert_escaped(response.text)
    check = carer.client.get(carer.url("check-answers")).text
    assert "&lt;script&gt;alert(" in check  # shown, as text
    assert "{{ 7*7 }}" in BeautifulSoup(check, "html.parser").get_text()  # not evaluated as a template
    with app.app_context():
        document = store.load_draft(db.session.get(Person, carer.person_id))
        # SQL in answers is only ever data: the tables are all still there and the text came back whole.
        assert "Robert'); DROP TABLE draft_sections;--" in str(document)
        assert "\u0000" not in str(document) and "\u0007" not in str(document)  # control characters dropped


@pytest.mark.parametrize(
    ("page", "field", "limit"),
    [
        (("about-the-person", "name"), "full_name", "200"),
        (("about-the-person", "home-address"), "address", "500"),
        (("communication-and-behaviour", "approaching-them"), "what_calms", "2,000"),
        (("health-and-medication", "gp"), "gp_phone", "40"),
    ],
)
def test_over_length_answers_get_a_clear_error(carer, page, field, limit):
    response = carer.post(carer.url(*page), {field: "7" * 3 + "a" * 5000})
    assert response.status_code == 200
    summary = BeautifulSoup(response.data, "html.parser").select_one(".govuk-error-summary").get_text(" ", strip=True)
    assert f"must be {limit} characters or fewer" in summary


def test_an_oversized_request_is_refused_politely(carer):
    response = carer.client.post(
        carer.url("about-the-person", "name"), data={"csrf_token": carer.token, "full_name": "a" * 3_000_000}
    )
    assert response.status_code in (200, 413)
