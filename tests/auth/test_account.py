"""The account page: change password, delete account, and the confirm-it-is-you step-up check."""

from datetime import timedelta

from flask import g

from herbert import clock
from herbert.auth.guard import fresh_auth_required
from herbert.extensions import db
from herbert.models import Membership, Person, User, WebSession
from herbert.records import store
from tests.support.accounts import PASSWORD, TwoFactorSetUp
from tests.support.pages import error_text, page, post

NEW_PASSWORD = "plum kettle orbit 1987"


def count(app, model, **where) -> int:
    with app.app_context():
        query = db.select(db.func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return db.session.execute(query).scalar()


def test_account_page_lists_what_a_carer_can_do(signed_in):
    account = page(signed_in.get("/account"))
    text = account.get_text(" ", strip=True)
    assert "carer@example.com" in text
    links = {a["href"] for a in account.find_all("a", href=True)}
    assert {"/account/change-password", "/account/two-factor/set-up", "/account/delete"} <= links
    assert "Two-factor sign-in Off" in text


def test_change_password_errors(signed_in):
    cases = {
        "wrong current": (
            {"current_password": "not my password at all", "new_password": NEW_PASSWORD},
            "Your current password is not correct",
        ),
        "weak new": ({"current_password": PASSWORD, "new_password": "password123"}, "too easy to guess"),
        "same again": ({"current_password": PASSWORD, "new_password": PASSWORD}, "must be different"),
        "empty": ({"current_password": "", "new_password": ""}, "Enter your current password"),
    }
    for name, (data, message) in cases.items():
        response = post(signed_in, "/account/change-password", data)
        assert response.status_code == 200, name
        assert message in error_text(response), name


def test_delete_account_erases_people_only_this_carer_looks_after(app, client, auth):
    auth.sign_up("other@example.com")
    auth.sign_out()
    auth.sign_up("carer@example.com")
    other_device = app.test_client()
    post(other_device, "/sign-in", {"email": "carer@example.com", "password": PASSWORD})
    with app.app_context():
        me = db.session.execute(db.select(User).filter_by(email="carer@example.com")).scalar_one().id
        other = db.session.execute(db.select(User).filter_by(email="other@example.com")).scalar_one().id
        mine_only = [store.create_person(me), store.create_person(me)]
        shared = store.create_person(me)
        db.session.add(Membership(user_id=other, person_id=shared, role="carer"))
        theirs = store.create_person(other)
        db.session.commit()

    wrong = post(client, "/account/delete", {"password": "not my password at all"})
    assert wrong.status_code == 200 and "The password is not correct" in error_text(wrong)
    assert count(app, User) == 2

    response = post(client, "/account/delete", {"password": PASSWORD})
    assert response.status_code == 302 and response.location == "/"
    message = page(client.get("/")).get_text(" ", strip=True)
    with app.app_context():
        remaining = set(db.session.execute(db.select(Person.id)).scalars())
    print(
        f"\nAccount deletion: people erased {2}, kept {sorted(remaining) == sorted([shared, theirs])}, "
        f"sessions left {count(app, WebSession, user_id=me)}"
    )
    assert "Your account has been deleted" in message
    assert "We erased the forms for 2 people that only you looked after" in message
    assert count(app, User, email="carer@example.com") == 0
    assert count(app, WebSession, user_id=me) == 0
    assert count(app, Membership, user_id=me) == 0
    assert remaining == {shared, theirs}
    assert not set(mine_only) & remaining
    assert other_device.get("/account").status_code == 302
    assert auth.sign_in("carer@example.com").status_code == 200  # the account is gone


def add_fresh_route(app):
    @fresh_auth_required(max_age_minutes=5)
    def sensitive():
        return f"sensitive page for user {g.user.id}"

    app.add_url_rule("/test-sensitive", "test_sensitive", sensitive, methods=["GET", "POST"])


def test_fresh_auth_required_sends_stale_sessions_to_confirm_and_back(app, client, auth):
    add_fresh_route(app)
    start = clock.utcnow()
    clock.freeze(start)
    assert client.get("/test-sensitive").location.startswith("/sign-in")  # not signed in at all
    auth.sign_up()
    assert client.get("/test-sensitive").status_code == 200  # signing in just now counts as fresh
    clock.freeze(start + timedelta(minutes=6))
    response = client.get("/test-sensitive?tab=1")
    assert response.status_code == 302
    assert response.location == "/account/confirm-it-is-you?next=/test-sensitive?tab%3D1"
    confirm = page(client.get(response.location))
    assert confirm.find("input", {"name": "password"}) and not confirm.find("input", {"name": "code"})
    wrong = post(client, response.location, {"password": "not my password at all"})
    assert "The password is not correct" in error_text(wrong)
    right = post(client, response.location, {"password": PASSWORD})
    assert right.status_code == 302 and right.location == "/test-sensitive?tab=1"
    assert client.get("/test-sensitive").status_code == 200
    clock.freeze(start + timedelta(minutes=12))
    assert (
        client.post(
            "/test-sensitive",
            data={"csrf_token": page(client.get("/account")).find("input", {"name": "csrf_token"})["value"]},
        ).status_code
        == 302
    )


def test_confirm_it_is_you_asks_for_the_code_when_two_factor_is_on(app, client, auth):
    add_fresh_route(app)
    auth.sign_up()
    helper = TwoFactorSetUp(client)
    helper.turn_on()
    helper.advance(10 * 60)
    location = client.get("/test-sensitive").location
    assert page(client.get(location)).find("input", {"name": "code"})
    no_code = post(client, location, {"password": PASSWORD, "code": ""})
    assert "Enter the security code" in error_text(no_code)
    wrong_code = post(client, location, {"password": PASSWORD, "code": "000000"})
    assert "not correct" in error_text(wrong_code)
    helper.advance()
    assert post(client, location, {"password": PASSWORD, "code": helper.code()}).location == "/test-sensitive"


def test_confirm_never_redirects_off_site(signed_in):
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        response = post(
            signed_in, f"/account/confirm-it-is-you?next={target}", {"password": PASSWORD}, token_from="/account"
        )
        assert response.status_code == 302 and response.location == "/account", target
