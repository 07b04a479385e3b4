"""B5: every route with a person_id in it — ours and any added later (photos, PDF, shares, export) —
answers another carer's person with 404 for GET and POST, and changes nothing."""

import io
import re

from PIL import Image
from sqlalchemy import text

from herbert.extensions import db
from herbert.models import Person
from herbert.records import store
from tests.conftest import AuthActions
from tests.questions.conftest import Carer, add_person

VARIABLE = re.compile(r"<(?:[^<>]*:)?(\w+)>")


def tiny_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "JPEG")
    return buffer.getvalue()


def table_counts() -> dict[str, int]:
    counts = {}
    for table in db.metadata.sorted_tables:
        if table.name in ("web_sessions", "audit_events"):
            continue  # sessions change on every request; audit is checked separately
        counts[table.name] = db.session.execute(text(f'SELECT COUNT(*) FROM "{table.name}"')).scalar()  # noqa: S608
    return counts


def person_routes(app) -> list[tuple[str, set[str], dict]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if "person_id" in rule.arguments:
            routes.append((rule.rule, rule.methods & {"GET", "POST"}, dict(rule.defaults or {})))
    return routes


def path_for(rule: str, values: dict[str, str]) -> str:
    return VARIABLE.sub(lambda match: str(values.get(match.group(1), "1")), rule)


def test_other_carers_people_are_404_everywhere(app, client):
    auth = AuthActions(client)
    assert auth.sign_up("victim@example.com").status_code == 302
    victim = Carer(client, add_person(client))
    victim.save("about-the-person", "name", {"full_name": "Victim Person"})
    victim.save("health-and-medication", "takes-medication", {"takes_medication": "yes"})
    victim.add_row("health-and-medication", "medication", {"medicine_name": "Donepezil"})
    victim.save("consent-and-review", "consent", {"consent_basis": "person"})
    (row_id,) = victim.row_ids("health-and-medication", "medication")
    response = client.post(victim.url("publish"), data={"csrf_token": victim.token})
    assert response.status_code == 302
    auth.sign_out()

    assert auth.sign_up("attacker@example.com").status_code == 302
    attacker = Carer(client, add_person(client))
    with app.app_context():
        victim_person = db.session.get(Person, victim.person_id)
        store.add_photo(victim_person, tiny_jpeg(), {"kind": "head_and_shoulders", "taken_on": "2025-01-01"})
        before_document = store.load_draft(victim_person)
        photo_ids = [photo["id"] for photo in store.list_photos(victim_person)]
        before_counts = table_counts()

    values = {
        "person_id": victim.person_id,
        "section_slug": "health-and-medication",
        "page_slug": "medication",
        "row_id": row_id,
        "number": "1",
        "photo_id": photo_ids[0],
    }
    routes = person_routes(app)
    assert len(routes) >= 10
    checked = []
    for rule, methods, defaults in routes:
        path = path_for(rule, values | {k: v for k, v in defaults.items() if v is not None})
        for method in sorted(methods):
            data = {
                "csrf_token": attacker.token,
                "action": "continue",
                "confirm": "yes",
                "medicine_name": "Changed",
                "full_name": "Changed",
            }
            response = client.open(path, method=method, data=data if method == "POST" else None)
            assert response.status_code == 404, (method, path, response.status_code)
            assert b"Victim Person" not in response.data and b"Donepezil" not in response.data
            checked.append((method, rule))

    # Our own person still works with the same routes (the 404s are about ownership, not broken URLs).
    assert client.get(f"/people/{attacker.person_id}").status_code == 200
    with app.app_context():
        assert table_counts() == before_counts
        assert store.load_draft(db.session.get(Person, victim.person_id)) == before_document
    assert ("POST", "/people/<person_id>/delete") in checked
    assert len(checked) >= 15
