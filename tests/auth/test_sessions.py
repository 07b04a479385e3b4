"""B3 session lifecycle: no session survives sign-out or a password change, fixation is impossible,
idle (30 min) and absolute (12 h) timeouts are enforced, and cookies carry the right flags."""

import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from herbert import clock
from herbert.auth.sessions import VISITOR_COOKIE, hash_token
from herbert.crypto import Keyring
from herbert.extensions import db
from herbert.models import WebSession
from tests.support.accounts import PASSWORD
from tests.support.pages import page, post

COOKIE = "herbert_session"
NEW_PASSWORD = "plum kettle orbit 1987"


def cookie_value(client) -> str | None:
    cookie = client.get_cookie(COOKIE)
    return cookie.value if cookie else None


def signed_in_as_someone(client) -> bool:
    return client.get("/account").status_code == 200


def session_rows(app, user_id: int | None = None) -> int:
    with app.app_context():
        query = db.select(db.func.count()).select_from(WebSession)
        if user_id is not None:
            query = query.where(WebSession.user_id == user_id)
        return db.session.execute(query).scalar()


def test_b3_sign_out_ends_every_session_of_the_account(app, client, auth):
    auth.sign_up()
    other_device = app.test_client()
    assert post(other_device, "/sign-in", {"email": "carer@example.com", "password": PASSWORD}).status_code == 302
    assert signed_in_as_someone(client) and signed_in_as_someone(other_device)
    before = session_rows(app, 1)
    response = auth.sign_out()
    after = session_rows(app, 1)
    print(f"\nB3 sign-out: account sessions {before} -> {after}")
    assert response.status_code == 302
    assert not signed_in_as_someone(client)
    assert not signed_in_as_someone(other_device)
    assert after == 0
    assert "You have signed out" in client.get("/").get_data(as_text=True)


def test_b3_password_change_ends_other_sessions_and_renews_this_one(app, client, auth):
    auth.sign_up()
    other_device = app.test_client()
    post(other_device, "/sign-in", {"email": "carer@example.com", "password": PASSWORD})
    old_cookie = cookie_value(client)
    response = post(client, "/account/change-password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert response.status_code == 302
    assert "Your password has been changed" in client.get(response.location).get_data(as_text=True)
    new_cookie = cookie_value(client)
    print(
        f"\nB3 password change: other device signed in {signed_in_as_someone(other_device)}, cookie renewed "
        f"{old_cookie != new_cookie}, account sessions {session_rows(app, 1)}"
    )
    assert signed_in_as_someone(client)
    assert not signed_in_as_someone(other_device)
    assert new_cookie != old_cookie
    replay = app.test_client()
    replay.set_cookie(COOKIE, old_cookie)
    assert not signed_in_as_someone(replay)
    assert session_rows(app, 1) == 1
    # and the new password is the one that works
    auth.sign_out()
    assert auth.sign_in(password=PASSWORD).status_code == 200
    assert auth.sign_in(password=NEW_PASSWORD).status_code == 302


def test_b3_fixation_impossible(app, client, auth):
    auth.sign_up()
    auth.sign_out()
    client.get("/sign-in")
    assert cookie_value(client) is None, "an anonymous visitor has no server-side session token to plant"
    planted = client.get_cookie(VISITOR_COOKIE).value  # what an anonymous session holds (the CSRF token)
    attacker = app.test_client()
    attacker.set_cookie(VISITOR_COOKIE, planted)
    assert auth.sign_in().status_code == 302
    after = cookie_value(client)
    print(f"\nB3 fixation: a fresh token at sign-in {after is not None}, visitor cookie dropped")
    assert after and after != planted
    assert client.get_cookie(VISITOR_COOKIE) is None
    assert not signed_in_as_someone(attacker)
    assert signed_in_as_someone(client)


def test_b3_session_tokens_are_stored_hashed(app, signed_in):
    token = cookie_value(signed_in)
    with app.app_context():
        stored = [row.token_hash for row in db.session.execute(db.select(WebSession)).scalars()]
        data = [row.data for row in db.session.execute(db.select(WebSession)).scalars()]
    assert len(token) >= 43  # 256 bits, base64url
    assert token not in stored and hash_token(token) in stored
    assert not any("carer@example.com" in text for text in data)


def test_b3_idle_timeout(app, client, auth):
    start = clock.utcnow()
    clock.freeze(start)
    auth.sign_up()
    clock.freeze(start + timedelta(minutes=29))
    assert signed_in_as_someone(client)  # activity at 29 minutes resets the idle timer
    clock.freeze(start + timedelta(minutes=58))
    still_in = signed_in_as_someone(client)
    clock.freeze(start + timedelta(minutes=89, seconds=1))
    response = client.get("/people")
    print(
        f"\nB3 idle: signed in after 29 idle minutes {still_in}; after 31 idle minutes -> {response.status_code} "
        f"{response.location}"
    )
    assert still_in
    assert response.status_code == 302 and response.location.startswith("/sign-in")
    sign_in_page = client.get(response.location).get_data(as_text=True)
    assert "You were signed out to protect your information" in sign_in_page
    assert "carer@example.com" not in sign_in_page
    assert "You were signed out" not in client.get("/sign-in").get_data(as_text=True)  # said once only
    assert session_rows(app, 1) == 0


def test_b3_absolute_timeout(app, client, auth):
    start = clock.utcnow()
    clock.freeze(start)
    auth.sign_up()
    minutes = 0
    while minutes < 11 * 60 + 40:  # busy all day: a request every 20 minutes
        minutes += 20
        clock.freeze(start + timedelta(minutes=minutes))
        assert signed_in_as_someone(client), minutes
    clock.freeze(start + timedelta(hours=12, minutes=1))
    response = client.get("/account")
    print(
        f"\nB3 absolute: active every 20 min for {minutes / 60:.1f} h stayed signed in; at 12 h 1 min -> "
        f"{response.status_code}"
    )
    assert response.status_code == 302
    assert "You were signed out to protect your information" in client.get(response.location).get_data(as_text=True)


def test_keep_alive_resets_the_idle_timer(app, client, auth):
    start = clock.utcnow()
    clock.freeze(start)
    auth.sign_up()
    clock.freeze(start + timedelta(minutes=26))
    token = page(client.get("/account")).find("input", {"name": "csrf_token"})["value"]
    clock.freeze(start + timedelta(minutes=27))
    response = client.post("/account/keep-alive", data={"csrf_token": token}, headers={"X-Requested-With": "fetch"})
    assert response.status_code == 204
    clock.freeze(start + timedelta(minutes=27 + 29))
    assert signed_in_as_someone(client)
    # without JavaScript, the same form posts and comes back to the page
    token = page(client.get("/account")).find("input", {"name": "csrf_token"})["value"]
    response = client.post("/account/keep-alive", data={"csrf_token": token, "next": "/people"})
    assert response.status_code == 302 and response.location == "/people"
    response = client.post("/account/keep-alive", data={"csrf_token": token, "next": "https://evil.example/"})
    assert response.location == "/account"


def test_keep_alive_needs_csrf(signed_in):
    response = signed_in.post("/account/keep-alive", headers={"X-Requested-With": "fetch"})
    assert response.status_code == 400


def test_timeout_warning_on_signed_in_pages_only(client, auth):
    signed_out = page(client.get("/"))
    assert signed_out.find(id="session-timeout") is None
    assert not signed_out.find("script", src=re.compile("session-timeout"))
    auth.sign_up()
    response = client.get("/people")
    signed_in = page(response)
    warning = signed_in.find(id="session-timeout")
    assert warning is not None and warning.has_attr("hidden")  # shown by JavaScript only
    assert warning["data-idle-seconds"] == "1800" and warning["data-warn-seconds"] == "300"
    form = warning.find("form")
    assert form["action"] == "/account/keep-alive" and form.find("input", {"name": "csrf_token"})
    assert "Stay signed in" in form.get_text()
    script = signed_in.find("script", src=re.compile("session-timeout"))
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    assert script["nonce"] == nonce and script["type"] == "module"
    assert not signed_in.find(attrs={"onclick": True}) and not signed_in.find(attrs={"onsubmit": True})


def test_timeout_script_is_valid_javascript(app):
    script = app.static_folder + "/js/session-timeout.mjs"
    try:
        result = subprocess.run(["node", "--check", script], capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        pytest.skip("node is not installed")
    assert result.returncode == 0, result.stderr
    source = Path(script).read_text(encoding="utf-8")
    assert "X-CSRFToken" in source and "innerHTML" not in source and "eval(" not in source


@pytest.mark.parametrize(("config", "secure"), [({}, False), ({"ENV": "production", "MAIL_DISABLED": True}, True)])
def test_b3_cookie_flags(build_app, config, secure):
    extra = (
        {"SECRET_KEY": "x" * 48, "KEYRING": Keyring.generate().to_json(), "PUBLIC_URL": "https://localhost"}
        if config
        else {}
    )
    app = build_app("cookies", **config, **extra)
    response = app.test_client().get("/sign-in")
    # An anonymous visitor's session is the signed visitor cookie (no row); it is set with the same flags
    # as the server-side session cookie (herbert.auth.sessions builds both from one dict).
    header = response.headers["Set-Cookie"]
    shown = re.sub(VISITOR_COOKIE + "=[^;]+", VISITOR_COOKIE + "=…", header)
    print(f"\nB3 cookie ({'production' if secure else 'development'}): {shown}")
    assert header.startswith(VISITOR_COOKIE + "=")
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    assert ("Secure" in header) is secure
    assert "Expires" not in header and "Max-Age" not in header  # gone when the browser closes
