"""Strangers' page views cannot grow the database: no session row for anonymous visitors, and repeated
views are summarised in the audit trail (one per carer, person and hour) with plain-English labels."""

import re
from datetime import timedelta
from pathlib import Path

from bs4 import BeautifulSoup

from herbert import audit, clock
from herbert.extensions import db
from herbert.models import AuditEvent, WebSession

ROOT = Path(__file__).resolve().parents[2]


def session_rows(app) -> int:
    with app.app_context():
        return db.session.execute(db.select(db.func.count()).select_from(WebSession)).scalar()


def test_100_anonymous_requests_make_no_session_rows(app, client):
    paths = ["/", "/sign-in", "/sign-up", "/police", "/accessibility", "/no-such-page"]
    for n in range(80):  # fresh visitors, as a crawler or attacker would come
        app.test_client().get(paths[n % len(paths)])
    for n in range(20):  # one visitor with a cookie, posting forms too (the CSRF token lives in a signed cookie)
        if n % 2:
            token = BeautifulSoup(client.get("/sign-in").data, "html.parser").find("input", {"name": "csrf_token"})
            response = client.post(
                "/sign-in", data={"csrf_token": token["value"], "email": f"x{n}@example.com", "password": "wrong"}
            )
            assert response.status_code == 200 and "Enter the email address and password" in response.text
        else:
            client.get(paths[n % len(paths)])
    rows = session_rows(app)
    print(f"\nsession rows after 100 anonymous requests: {rows}")
    assert rows == 0


def test_a_signed_in_carer_has_exactly_one_session_row(app, auth):
    auth.sign_up()
    assert session_rows(app) == 1
    auth.sign_out()
    assert session_rows(app) == 0


def view_events(app, person_id: str) -> int:
    with app.app_context():
        query = db.select(db.func.count()).select_from(AuditEvent).filter_by(person_id=person_id, action="person.view")
        return db.session.execute(query).scalar()


def test_repeated_views_are_one_event_per_hour_and_the_chain_still_verifies(carer):
    for _ in range(50):
        assert carer.client.get(f"/people/{carer.person_id}").status_code == 200
    assert view_events(carer.app, carer.person_id) == 1
    start = clock.utcnow()
    try:
        for minutes in (20, 40, 59, 61):  # keep the session alive (30 minutes idle) while the hour passes
            clock.freeze(start + timedelta(minutes=minutes))
            assert carer.client.get(f"/people/{carer.person_id}").status_code == 200
    finally:
        clock.freeze(None)
    assert view_events(carer.app, carer.person_id) == 2
    with carer.app.app_context():
        assert audit.verify_chain().ok


def test_the_activity_log_uses_plain_english_and_groups_repeats(carer):
    for _ in range(3):
        assert carer.client.get(f"/people/{carer.person_id}/pdf/draft").status_code == 200
    page = BeautifulSoup(carer.client.get(f"/people/{carer.person_id}").data, "html.parser")
    table = page.find("table", class_="govuk-table", attrs=None)
    log = " ".join(cell.get_text(" ", strip=True) for cell in page.select("caption") + page.select("td"))
    assert "PDF downloaded (3 times)" in log, log
    assert "Form viewed" in log
    assert not re.search(r"\b(Pdf|Person|Section|Share|Photo|Version): ", log), log
    assert table is not None


def test_every_action_has_a_plain_english_label_and_old_names_keep_theirs():
    recorded = set()
    for path in (ROOT / "herbert").rglob("*.py"):
        recorded |= set(re.findall(r"\bAction\.([A-Z_]+)\b", path.read_text()))
    print(f"\n{len(audit.Action)} audit actions, {len(recorded)} of them recorded by name in the code")
    assert recorded <= {action.name for action in audit.Action}
    assert set(audit.ACTION_LABELS) == set(audit.Action)
    for label in audit.ACTION_LABELS.values():
        assert label[0].isupper() and ":" not in label and "." not in label and label != label.lower()
    # Rows recorded before the actions were one enumeration still read in plain English.
    assert audit.action_label("sign-in") == "Signed in" and audit.action_label("edit") == "Form changed"
    assert audit.action_label("no-such-action") == "Other activity"
    assert all("." in action.value and action.value == action.value.lower() for action in audit.Action)
