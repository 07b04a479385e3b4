"""B5: every route with a person_id in it — ours and any added later (photos, PDF, shares, export) —
answers another carer's person with 404 for GET and POST, and changes nothing. Extended to roles (owner,
editor, viewer, removed, invited) and organisations (the admin and staff of the organisation the person lives
with, staff and admins of another one, a leaver), and to every organisation route × post."""

import io
import re

from PIL import Image
from sqlalchemy import text

from herbert.extensions import db
from herbert.models import Person
from herbert.records import store
from tests.support.accounts import AuthActions
from tests.support.carers import Carer, add_person

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


# --- B5 extended: roles ---------------------------------------------------------------------------

VIEWER, EDITOR, OWNER = 1, 2, 3
# The least role each person route needs, written out here independently of the code, so a route that
# lands without a decision (or with the wrong one) fails this battery.
LEAST_ROLE = {
    "people.overview": VIEWER,
    "people.version": VIEWER,
    "people.compare": VIEWER,
    "photos.index": VIEWER,
    "photos.image": VIEWER,
    "documents.draft_pdf": VIEWER,
    "documents.version_pdf": VIEWER,
    "documents.poster": VIEWER,
    "care.carers": VIEWER,
    "care.leave": VIEWER,
    "care.activity": VIEWER,
    # the emergency is never blocked by a role
    "missing.start": VIEWER,
    "missing.last_seen": VIEWER,
    "missing.clothing": VIEWER,
    "missing.more_details": VIEWER,
    "shares.handover": VIEWER,
    "documents.missing_pdf": VIEWER,
    "shares.create": VIEWER,
    "shares.index": VIEWER,
    "people.check_answers": EDITOR,
    "people.publish": EDITOR,
    "questions.section_start": EDITOR,
    "questions.page": EDITOR,
    "questions.row": EDITOR,
    "questions.remove_row": EDITOR,
    "photos.add": EDITOR,
    "photos.change": EDITOR,
    "photos.make_main": EDITOR,
    "photos.remove": EDITOR,
    "shares.end": EDITOR,
    "transfer.export_package": EDITOR,
    "found.confirm": EDITOR,
    "found.after": EDITOR,
    "people.delete": OWNER,
    "care.invite": OWNER,
    "care.cancel_invitation": OWNER,
    "care.change_role": OWNER,
    "care.remove": OWNER,
    # a resident's unit (editors), their discharge or move, and export-then-erase (owners: the organisation's
    # admins, or the family when it owns the form too)
    "organisations.resident_unit": EDITOR,
    "organisations.discharge": OWNER,
    "organisations.erase_resident": OWNER,
}
RANK = {"owner": OWNER, "editor": EDITOR, "viewer": VIEWER}
HOSTILE_POST = {
    "action": "continue",
    "confirm": "yes",
    "medicine_name": "Changed",
    "full_name": "Changed",
    "role": "owner",
    "email": "intruder@example.com",
    "successor": "1",
    "found_date-day": "1",
    "found_date-month": "1",
    "found_date-year": "2026",
    "found_time": "10:00",
    "kind": "head_and_shoulders",
    "unit": "Changed",
    "destination": "end",
    "post": "admin",
    "resident_role": "editor",
    "name": "Changed",
    "address": "Changed",
}


def person_route_endpoints(app) -> list[tuple[str, str, set[str], dict]]:
    return [
        (rule.endpoint, rule.rule, rule.methods & {"GET", "POST"}, dict(rule.defaults or {}))
        for rule in app.url_map.iter_rules()
        if "person_id" in rule.arguments
    ]


def test_every_person_route_declares_its_permission(app):
    """Structural: every view with a person in its URL goes through access.person_required, with the
    permission this battery expects (a new route from another branch fails here until it is decided)."""
    from herbert.access import ROLE_PERMISSIONS, Role

    least_permissions = {
        VIEWER: ROLE_PERMISSIONS[Role.VIEWER],
        EDITOR: ROLE_PERMISSIONS[Role.EDITOR] - ROLE_PERMISSIONS[Role.VIEWER],
        OWNER: ROLE_PERMISSIONS[Role.OWNER] - ROLE_PERMISSIONS[Role.EDITOR],
    }
    undecided = []
    for endpoint, rule, _methods, _defaults in person_route_endpoints(app):
        view = app.view_functions[endpoint]
        permission = getattr(view, "permission", None)
        if endpoint not in LEAST_ROLE or permission is None:
            undecided.append((endpoint, rule))
            continue
        assert permission in least_permissions[LEAST_ROLE[endpoint]], (endpoint, permission)
    assert undecided == []


def snapshot_state(person_id: str) -> dict:
    from herbert.models import Invitation, Membership, OrganisationMember, Residency, Share

    person = db.session.get(Person, person_id)
    return {
        "counts": table_counts(),
        "draft": store.load_draft(person),
        "status": person.status,
        "memberships": sorted(
            db.session.execute(db.select(Membership.user_id, Membership.role).filter_by(person_id=person_id)).all()
        ),
        "invitations": sorted(
            db.session.execute(
                db.select(Invitation.id, Invitation.accepted_at, Invitation.cancelled_at).filter_by(person_id=person_id)
            ).all()
        ),
        "shares": sorted(
            db.session.execute(db.select(Share.id, Share.revoked_at).filter_by(person_id=person_id)).all()
        ),
        "photos": sorted((p["id"], p["is_primary"], p.get("caption", "")) for p in store.list_photos(person)),
        "revisions": len(store.list_revisions(person)),
        "summary": store.load_summary(person),
        "residency": db.session.execute(
            db.select(Residency.organisation_id, Residency.role).filter_by(person_id=person_id)
        ).all(),
        "staff": sorted(
            db.session.execute(
                db.select(
                    OrganisationMember.organisation_id,
                    OrganisationMember.user_id,
                    OrganisationMember.role,
                    OrganisationMember.resident_role,
                )
            ).all()
        ),
    }


def test_roles_on_every_person_route(app):
    """Every person route × GET/POST × (owner, editor, viewer, removed carer, invited-not-yet-accepted,
    stranger; the admin, editing staff and viewing staff of the organisation the person lives with, staff and
    an admin of another organisation, a leaver): 403 for a carer whose role lacks the permission, 404 for anyone
    with no route to the person, with nothing changed; and the roles that may use a route are let through."""
    from herbert.handover.missing import report as missing
    from herbert.handover.shares import lifecycle as shares
    from herbert.handover.shares import snapshot
    from herbert.models import Membership
    from tests.support.care import Person as Browser
    from tests.support.care import accept, admit_by_invitation, invite, join_staff, set_up_organisation, staff_member_id

    owner = Browser(app, "owner@example.com")
    carer = Carer(owner.client, add_person(owner.client))
    person_id = carer.person_id
    carer.save("about-the-person", "name", {"full_name": "Victim Person"})
    carer.save("health-and-medication", "takes-medication", {"takes_medication": "yes"})
    carer.add_row("health-and-medication", "medication", {"medicine_name": "Donepezil"})
    carer.save("consent-and-review", "consent", {"consent_basis": "person"})
    carer.save("consent-and-review", "public-appeal", {"publicity_consent": "yes"})
    (row_id,) = carer.row_ids("health-and-medication", "medication")
    assert owner.post(f"/people/{person_id}/publish").status_code == 302

    people = {"owner": owner}
    for name, role in (("editor", "editor"), ("viewer", "viewer"), ("removed", "editor")):
        people[name] = Browser(app, f"{name}@example.com")
        assert accept(people[name], invite(owner, person_id, f"{name}@example.com", role)).status_code == 302
    people["invited"] = Browser(app, "invited@example.com")
    invite(owner, person_id, "invited@example.com", "owner")
    people["stranger"] = Browser(app, "stranger@example.com")
    add_person(people["stranger"].client)
    # The family hands the form to a care home as a co-owner; its admin accepts for it.
    people["admin"] = Browser(app, "admin@example.com")
    home = set_up_organisation(people["admin"])
    admit_by_invitation(owner, person_id, people["admin"], role="owner")
    for name, resident_role in (("org_staff", "editor"), ("org_viewer", "viewer"), ("leaver", "editor")):
        people[name] = Browser(app, f"{name}@example.com")
        join_staff(people["admin"], home, people[name], "staff", resident_role)
    people["other_org_admin"] = Browser(app, "other.admin@example.com")
    elsewhere = set_up_organisation(people["other_org_admin"], "Birch Court")
    people["other_org_staff"] = Browser(app, "other.staff@example.com")
    join_staff(people["other_org_admin"], elsewhere, people["other_org_staff"], "staff", "editor")
    add_person(people["other_org_admin"].client)

    with app.app_context():
        from herbert.models import Invitation, User

        person = db.session.get(Person, person_id)
        store.add_photo(person, tiny_jpeg(), {"kind": "head_and_shoulders", "taken_on": "2025-01-01"})
        photo_id = store.list_photos(person)[0]["id"]
        owner_id = db.session.execute(db.select(User.id).filter_by(email="owner@example.com")).scalar_one()
        closed, _ = missing.save_report(person, owner_id, {"last_seen_where": "The park"})
        missing.close_report(person, closed, {"found_at": "2026-01-01T10:00", "found_where": "Home"})
        missing.save_report(person, owner_id, {"last_seen_where": "The shops"})
        share = shares.create_share(person, owner_id, snapshot.build_snapshot(person, "v1"), 24, "v1").share
        ids = dict(db.session.execute(db.select(User.email, User.id)).all())
        removed_membership = db.session.execute(
            db.select(Membership).filter_by(person_id=person_id, user_id=ids["removed@example.com"])
        ).scalar_one()
        editor_membership_id = db.session.execute(
            db.select(Membership.id).filter_by(person_id=person_id, user_id=ids["editor@example.com"])
        ).scalar_one()
        invitation_id = db.session.execute(
            db.select(Invitation.id).filter_by(person_id=person_id, email="invited@example.com")
        ).scalar_one()
        values = {
            "person_id": person_id,
            "section_slug": "health-and-medication",
            "page_slug": "medication",
            "row_id": row_id,
            "number": "1",
            "photo_id": photo_id,
            "share_id": str(share.id),
            "report_id": str(closed.id),
            "membership_id": str(editor_membership_id),
            "invitation_id": str(invitation_id),
        }
    # The removed carer was a real editor a moment ago: their session stays, their access does not.
    assert people["removed"].client.get(f"/people/{person_id}").status_code == 200
    response = owner.post(f"/people/{person_id}/carers/{removed_membership.id}/remove", {"confirm": "yes"})
    assert response.status_code == 302
    # The leaver was editing staff a moment ago: removed by the admin, their sessions end; signed in again, 404.
    assert people["leaver"].client.get(f"/people/{person_id}/about-the-person/name").status_code == 200
    leaver_post = staff_member_id(app, home, "leaver@example.com")
    response = people["admin"].post(f"/organisations/{home}/staff/{leaver_post}/remove", {"confirm": "yes"})
    assert response.status_code == 302
    signed_out = people["leaver"].client.get(f"/people/{person_id}")
    assert signed_out.status_code == 302 and signed_out.location.startswith("/sign-in")
    assert people["leaver"].auth.sign_in("leaver@example.com").status_code == 302

    routes = person_route_endpoints(app)
    assert len(routes) >= 30
    ranks = {
        "owner": OWNER,
        "editor": EDITOR,
        "viewer": VIEWER,
        "removed": 0,
        "invited": 0,
        "stranger": 0,
        "admin": OWNER,
        "org_staff": EDITOR,
        "org_viewer": VIEWER,
        "other_org_admin": 0,
        "other_org_staff": 0,
        "leaver": 0,
    }
    denied, allowed = [], []
    for endpoint, rule, methods, defaults in routes:
        path = path_for(rule, values | {k: v for k, v in defaults.items() if v is not None})
        for name, rank in ranks.items():
            for method in sorted(methods):
                case = (endpoint, method, name, path)
                (allowed if rank >= LEAST_ROLE[endpoint] else denied).append(case)

    with app.app_context():
        before = snapshot_state(person_id)
    for endpoint, method, name, path in denied:
        browser = people[name]
        data = {"csrf_token": browser.token} | HOSTILE_POST if method == "POST" else None
        response = browser.client.open(path, method=method, data=data)
        expected = 403 if ranks[name] else 404
        assert response.status_code == expected, (endpoint, method, name, response.status_code)
        assert b"Donepezil" not in response.data and b"Victim Person" not in response.data, (endpoint, name)
        if expected == 403:
            assert b"You cannot do this with your role" in response.data
            assert b"owner@example.com" in response.data  # who to ask
    with app.app_context():
        after = snapshot_state(person_id)
    assert after == before

    # Let through: every GET, then every POST with nothing but a CSRF token, for the roles allowed. A POST
    # that consumes what it acts on (remove a photo, cancel an invitation) is a 404 for the next role; its GET
    # already got in, or an earlier role's POST did.
    got_in, consumed = set(), set()
    for endpoint, method, name, path in sorted(allowed, key=lambda case: case[1]):
        browser = people[name]
        data = {"csrf_token": browser.token} if method == "POST" else None
        response = browser.client.open(path, method=method, data=data)
        if method == "GET" and response.status_code not in (403, 404):
            got_in.add((endpoint, name))
        if method == "POST" and response.status_code < 400:
            consumed.add(endpoint)
        gone_already = (
            method == "POST" and response.status_code == 404 and ((endpoint, name) in got_in or endpoint in consumed)
        )
        assert gone_already or (response.status_code not in (403, 404) and response.status_code < 500), (
            endpoint,
            method,
            name,
            response.status_code,
        )
    print(f"\nB5 roles: {len(denied)} denied cases (403/404, nothing changed), {len(allowed)} allowed cases")
    assert len(denied) > 100
    cases = {"denied": denied, "allowed": allowed}
    names = {key: {name for _endpoint, _method, name, _path in value} for key, value in cases.items()}
    assert names["denied"] == {name for name, rank in ranks.items() if rank < OWNER}
    assert names["allowed"] == {name for name, rank in ranks.items() if rank}


# --- B5 extended: organisation routes × posts -----------------------------------------------------------

STAFF, ADMIN = 1, 2
# The least post each organisation route needs, written out here independently of the code.
LEAST_POST = {
    "organisations.home": STAFF,
    "organisations.residents": STAFF,
    "organisations.admit_resident": ADMIN,
    "organisations.import_resident": ADMIN,
    "organisations.staff": ADMIN,
    "organisations.invite_staff": ADMIN,
    "organisations.cancel_staff_invitation": ADMIN,
    "organisations.change_staff": ADMIN,
    "organisations.remove_staff": ADMIN,
    "organisations.activity": ADMIN,
}


def organisation_route_endpoints(app) -> list[tuple[str, str, set[str]]]:
    return [
        (rule.endpoint, rule.rule, rule.methods & {"GET", "POST"})
        for rule in app.url_map.iter_rules()
        if "organisation_id" in rule.arguments
    ]


def test_every_organisation_route_declares_its_post(app):
    """Structural: every view with an organisation in its URL goes through access.organisation_required, with the
    post this battery expects."""
    from herbert.access import OrganisationRole

    expected = {STAFF: OrganisationRole.STAFF, ADMIN: OrganisationRole.ADMIN}
    undecided = []
    for endpoint, rule, _methods in organisation_route_endpoints(app):
        post = getattr(app.view_functions[endpoint], "post", None)
        if endpoint not in LEAST_POST or post is None:
            undecided.append((endpoint, rule))
            continue
        assert post == expected[LEAST_POST[endpoint]], (endpoint, post)
    assert undecided == []
    assert len(organisation_route_endpoints(app)) == len(LEAST_POST)


def organisation_state(organisation_id: str) -> dict:
    from herbert.models import Organisation, OrganisationInvitation, OrganisationMember, Residency, User

    return {
        "counts": table_counts(),
        "organisation": db.session.execute(
            db.select(Organisation.name, Organisation.address, Organisation.kind).filter_by(id=organisation_id)
        ).one(),
        "staff": sorted(
            db.session.execute(
                db.select(OrganisationMember.user_id, OrganisationMember.role, OrganisationMember.resident_role)
            ).all()
        ),
        "invitations": sorted(
            (row.id, row.accepted_at, row.cancelled_at)
            for row in db.session.execute(db.select(OrganisationInvitation)).scalars()
        ),
        "residents": sorted(db.session.execute(db.select(Residency.person_id, Residency.organisation_id)).all()),
        "admins": sorted(db.session.execute(db.select(User.email).filter_by(is_org_admin=True)).scalars()),
    }


def test_posts_on_every_organisation_route(app):
    """Every organisation route × GET/POST × (its admin, its editing and viewing staff, an admin and staff of
    another organisation, a leaver signed in again, a family carer of one of its residents, a stranger): 403 for
    staff on an admin page, 404 for anyone not on its staff, nothing changed; its staff and admin get in."""
    from tests.support.care import Person as Browser
    from tests.support.care import admit_by_invitation, invite_staff, join_staff, set_up_organisation, staff_member_id

    people = {"admin": Browser(app, "admin@example.com")}
    home = set_up_organisation(people["admin"])
    for name, resident_role in (("staff", "editor"), ("viewer", "viewer"), ("leaver", "editor")):
        people[name] = Browser(app, f"{name}@example.com")
        join_staff(people["admin"], home, people[name], "staff", resident_role)
    people["other_org_admin"] = Browser(app, "other.admin@example.com")
    elsewhere = set_up_organisation(people["other_org_admin"], "Birch Court")
    people["other_org_staff"] = Browser(app, "other.staff@example.com")
    join_staff(people["other_org_admin"], elsewhere, people["other_org_staff"])
    people["family"] = Browser(app, "family@example.com")
    person_id = add_person(people["family"].client)
    admit_by_invitation(people["family"], person_id, people["admin"], role="owner")
    people["stranger"] = Browser(app, "stranger@example.com")
    leaver_post = staff_member_id(app, home, "leaver@example.com")
    removed = people["admin"].post(f"/organisations/{home}/staff/{leaver_post}/remove", {"confirm": "yes"})
    assert removed.status_code == 302
    assert people["leaver"].auth.sign_in("leaver@example.com").status_code == 302
    invite_staff(people["admin"], home, "newcomer@example.com")
    with app.app_context():
        from herbert.models import OrganisationInvitation

        invitation_id = db.session.execute(
            db.select(OrganisationInvitation.id).filter_by(email="newcomer@example.com")
        ).scalar_one()
    values = {
        "organisation_id": home,
        "member_id": str(staff_member_id(app, home, "staff@example.com")),
        "invitation_id": str(invitation_id),
    }
    posts = {"admin": ADMIN, "staff": STAFF, "viewer": STAFF}  # everyone else: no post here
    routes = organisation_route_endpoints(app)
    denied, allowed = [], []
    for endpoint, rule, methods in routes:
        path = path_for(rule, values)
        for name in people:
            for method in sorted(methods):
                case = (endpoint, method, name, path)
                (allowed if posts.get(name, 0) >= LEAST_POST[endpoint] else denied).append(case)

    with app.app_context():
        before = organisation_state(home)
    for endpoint, method, name, path in denied:
        browser = people[name]
        data = {"csrf_token": browser.token} | HOSTILE_POST if method == "POST" else None
        response = browser.client.open(path, method=method, data=data)
        expected = 403 if name in posts else 404
        assert response.status_code == expected, (endpoint, method, name, response.status_code)
        assert b"Rowan House" not in response.data or name in posts, (endpoint, name)  # not even its name
        if expected == 403:
            assert b"Only an admin can do this" in response.data
    with app.app_context():
        assert organisation_state(home) == before

    consumed = set()
    for endpoint, method, name, path in sorted(allowed, key=lambda case: case[1]):
        browser = people[name]
        data = {"csrf_token": browser.token} if method == "POST" else None
        response = browser.client.open(path, method=method, data=data)
        if method == "POST" and response.status_code < 400:
            consumed.add(endpoint)
        gone_already = method == "POST" and response.status_code == 404 and endpoint in consumed
        assert gone_already or (response.status_code not in (403, 404) and response.status_code < 500), (
            endpoint,
            method,
            name,
            response.status_code,
        )
    print(f"\nB5 organisations: {len(denied)} denied cases (403/404, nothing changed), {len(allowed)} allowed cases")
    assert {name for _e, _m, name, _p in denied} == set(people) - {"admin"}
