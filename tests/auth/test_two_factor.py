"""Two-factor sign-in: set-up with an offline QR code, sealed secret, two-step sign-in, one-time codes."""

import base64
from datetime import timedelta

import pytest

from herbert import clock
from herbert.auth import two_factor as tf
from herbert.extensions import db
from herbert.models import User
from herbert.records import store
from tests.support.accounts import PASSWORD, TwoFactorSetUp, code_at, user_row
from tests.support.pages import csrf_token, error_text, page, post


def password_step(client, email: str = "carer@example.com", next_path: str | None = None):
    path = "/sign-in" + (f"?next={next_path}" if next_path else "")
    return post(client, path, {"email": email, "password": PASSWORD}, token_from="/sign-in")


def code_step(client, code: str):
    return post(client, "/sign-in/security-code", {"code": code}, token_from="/sign-in")


def test_set_up_page_shows_an_offline_qr_code_and_needs_a_confirming_code(signed_in):
    helper = TwoFactorSetUp(signed_in)
    set_up = page(signed_in.get("/account/two-factor/set-up"))
    image = set_up.find("img", class_="app-qr-code")
    assert image["src"].startswith("data:image/svg+xml")
    assert image["alt"]
    helper.secret = "".join(set_up.find(id="secret-key").get_text().split())
    assert len(helper.secret) == 32
    wrong = post(signed_in, "/account/two-factor/set-up", {"code": "000000"})
    assert wrong.status_code == 200 and "The code is not correct" in error_text(wrong)
    # the same secret is offered again until it is confirmed
    again = page(signed_in.get("/account/two-factor/set-up"))
    assert "".join(again.find(id="secret-key").get_text().split()) == helper.secret
    confirmed = page(post(signed_in, "/account/two-factor/set-up", {"code": helper.code()}))
    codes = [code.get_text() for code in confirmed.select(".app-recovery-codes code")]
    assert [h1.get_text(strip=True) for h1 in confirmed.find_all("h1")] == ["Two-factor sign-in is on"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert "On. 10 recovery codes left." in signed_in.get("/account").get_data(as_text=True)


def test_secret_and_recovery_codes_are_not_stored_in_clear(app, two_factor):
    user = user_row(app)
    sealed = user.totp_secret_sealed
    kek_id = sealed.partition(b".")[0].decode()
    print(f"\n2FA at rest: sealed secret {len(sealed)} bytes under key {kek_id}; recovery codes as SHA-256")
    for form in (two_factor.secret.encode(), base64.b32decode(two_factor.secret)):
        assert form not in sealed
    for code in two_factor.recovery_codes:
        assert code not in user.recovery_codes and code.replace("-", "") not in user.recovery_codes
    with app.app_context():
        assert tf.open_secret(user.id, sealed) == two_factor.secret
        with pytest.raises(store.RecordUnreadable):
            tf.open_secret(user.id + 1, sealed)  # bound to its own row: copied elsewhere, it will not open
        session_data = " ".join(row for (row,) in db.session.execute(db.text("SELECT data FROM web_sessions")))
    assert two_factor.secret not in session_data


def test_sign_in_is_two_steps_and_the_session_is_renewed_at_the_end(app, client, two_factor):
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/account")})
    two_factor.advance()
    response = password_step(client, next_path="/account")
    assert response.status_code == 302 and response.location == "/sign-in/security-code"
    halfway_cookie = client.get_cookie("herbert_session").value
    assert client.get("/account").status_code == 302  # not signed in between the steps
    with app.app_context():
        data = db.session.execute(db.text("SELECT data FROM web_sessions")).scalars().all()
    assert any('"pending_user_id"' in row for row in data) and not any('"user_id"' in row for row in data)
    form = page(client.get("/sign-in/security-code"))
    assert form.find("input", {"name": "code"})["autocomplete"] == "one-time-code"
    response = code_step(client, two_factor.code())
    assert response.status_code == 302 and response.location == "/account"
    assert client.get_cookie("herbert_session").value != halfway_cookie
    assert client.get("/account").status_code == 200


def test_a_code_cannot_be_replayed(app, client, two_factor):
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/account")})
    two_factor.advance()
    used = two_factor.code()
    password_step(client)
    assert code_step(client, used).status_code == 302
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/account")})
    password_step(client)
    replay = code_step(client, used)
    assert replay.status_code == 200
    assert "not correct, or it has been used already" in error_text(replay)
    two_factor.advance()
    assert code_step(client, two_factor.code()).status_code == 302


def test_wrong_code_and_too_many_wrong_codes(client, two_factor):
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/account")})
    password_step(client)
    statuses = [code_step(client, "123456").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 302]  # the fifth sends them back to the password
    assert client.get("/sign-in/security-code").status_code == 302
    assert "too many security codes" in client.get("/sign-in").get_data(as_text=True)


def test_two_factor_code_entry_is_rate_limited_per_account(client, two_factor):
    """Starting sign-in again does not give a fresh allowance of code guesses."""
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/account")})
    password_step(client)
    first = [code_step(client, "123456").status_code for _ in range(5)]
    password_step(client)
    second = [code_step(client, "123456").status_code for _ in range(2)]
    print(f"\nB2 two-factor limit: first sign-in {first}, after entering the password again {second}")
    assert first == [200, 200, 200, 200, 302]
    assert second == [200, 429]


def test_the_code_step_expires(client, two_factor):
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/account")})
    password_step(client)
    two_factor.advance(6 * 60)
    response = code_step(client, two_factor.code())
    assert response.status_code == 302 and response.location == "/sign-in"
    assert client.get("/account").status_code == 302


def test_each_recovery_code_works_once(client, two_factor):
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/account")})
    code = two_factor.recovery_codes[3]
    password_step(client)
    assert code_step(client, code.upper().replace("-", " ")).status_code == 302  # typed loosely: still fine
    assert "9 recovery codes left" in client.get("/account").get_data(as_text=True)
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/account")})
    password_step(client)
    assert code_step(client, code).status_code == 200


def test_new_recovery_codes_replace_the_old(client, two_factor):
    old = two_factor.recovery_codes
    response = post(client, "/account/two-factor/recovery-codes", {})
    new = [c.get_text() for c in page(response).select(".app-recovery-codes code")]
    assert len(new) == 10 and not set(new) & set(old)
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/account")})
    password_step(client)
    assert code_step(client, old[0]).status_code == 200
    assert code_step(client, new[0]).status_code == 302


def test_turning_two_factor_off(app, client, two_factor):
    response = post(client, "/account/two-factor/turn-off", {})
    assert response.status_code == 302
    user = user_row(app)
    assert user.totp_secret_sealed is None and user.recovery_codes is None
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/account")})
    assert password_step(client).location == "/people"


def test_org_admins_must_set_up_two_factor_first(app, client, auth):
    auth.sign_up("admin@example.com")
    with app.app_context():
        db.session.execute(db.update(User).values(is_org_admin=True))
        db.session.commit()
    for path in ("/people", "/account", "/account/change-password"):
        response = client.get(path)
        assert response.status_code == 302 and response.location == "/account/two-factor/set-up", path
    set_up = page(client.get("/account/two-factor/set-up"))
    assert "need two-factor sign-in before you can carry on" in set_up.get_text()
    helper = TwoFactorSetUp(client)
    helper.turn_on()
    assert client.get("/people").status_code == 200
    # and they cannot turn it off again
    turn_off = post(client, "/account/two-factor/turn-off", {})
    assert turn_off.status_code == 200
    assert user_row(app, "admin@example.com").totp_secret_sealed is not None
    clock.freeze(None)


def test_reseal_moves_secrets_to_the_active_key(app, two_factor):
    from herbert.records.keys import load_keyring

    with app.app_context():
        keyring = load_keyring()
        old = keyring.active_id
        keyring.add_key()
        moved = store.reseal_account_secrets()
        user = db.session.execute(db.select(User)).scalar_one()
        assert moved == 1
        assert user.totp_secret_sealed.startswith(keyring.active_id.encode() + b".")
        assert keyring.active_id != old
        assert tf.open_secret(user.id, user.totp_secret_sealed) == two_factor.secret


def test_totp_window_accepts_neighbouring_codes_only(app, two_factor):
    with app.app_context():
        now = two_factor.now
        assert tf.matching_step(two_factor.secret, code_at(two_factor.secret, now + timedelta(seconds=30)))
        assert tf.matching_step(two_factor.secret, code_at(two_factor.secret, now - timedelta(seconds=30)))
        assert tf.matching_step(two_factor.secret, code_at(two_factor.secret, now + timedelta(seconds=95))) is None
        assert tf.matching_step(two_factor.secret, "abcdef") is None


def test_set_up_offers_an_otpauth_link_beside_the_qr_code(signed_in):
    """On a phone the QR code cannot be scanned by the phone showing it: the link opens the app instead."""
    set_up = page(signed_in.get("/account/two-factor/set-up"))
    link = set_up.find("a", string="Open in authenticator app")
    secret = "".join(set_up.find(id="secret-key").get_text().split())
    assert link["href"].startswith("otpauth://totp/") and f"secret={secret}" in link["href"]
    assert link.find_previous("img", class_="app-qr-code")  # next to the QR code
