"""B1 password storage and policy: argon2id, guessable passwords refused, rehash when parameters change."""

import pytest
from argon2 import PasswordHasher
from argon2.low_level import Type

from herbert.auth import passwords
from herbert.extensions import db
from herbert.models import User
from tests.support.accounts import PASSWORD, user_row
from tests.support.pages import error_text, post

GUESSABLE = [
    "password123",
    "Password123!",
    "qwertyuiop",
    "1234567890",
    "iloveyou2024",
    "carer@example.com",
    "carerexample1",
    "herbertprotocol",
    "Herbert Protocol",
    "aaaaaaaaaaaaaaaaaaaa",
    "Tr0ub4dour&3",
    "pass word 1234",
    "letmein12345",
]
STRONG = [PASSWORD, "plum kettle orbit 1987", "Marigold-Tandem-Quasar", "ilovemymum1954 at the seaside"]


def test_b1_policy_refuses_guessable_and_accepts_strong_passwords():
    refused = [p for p in GUESSABLE if passwords.password_problem(p, ["carer@example.com"])]
    accepted = [p for p in STRONG if not passwords.password_problem(p, ["carer@example.com"])]
    print(f"\nB1 policy: refused {len(refused)}/{len(GUESSABLE)} guessable, accepted {len(accepted)}/{len(STRONG)}")
    assert refused == GUESSABLE
    assert accepted == STRONG


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("", "Enter a password"),
        ("short1!", "Password must be 10 characters or more"),
        ("x" * 257, "Password must be 256 characters or fewer"),
        ("password123", "Your password is too easy to guess"),
        ("carer@example.com", "Your password is too easy to guess"),
    ],
)
def test_sign_up_explains_what_is_wrong_with_a_password(client, password, message):
    response = post(client, "/sign-up", {"email": "carer@example.com", "password": password})
    assert response.status_code == 200
    assert message in error_text(response)
    assert page_title(response).startswith("Error: ")


def page_title(response) -> str:
    from tests.support.pages import page

    return page(response).title.get_text(strip=True)


def test_a_long_password_is_judged_without_error(client):
    long_password = "plum kettle orbit 1987 " * 11  # 253 characters: zxcvbn only sees the first 72
    response = post(client, "/sign-up", {"email": "long@example.com", "password": long_password[:256]})
    assert response.status_code == 302


def test_b1_passwords_are_stored_as_argon2id(real_hashing, app, signed_in):
    stored = user_row(app).password_hash
    assert f"m={real_hashing.memory_cost},t={real_hashing.time_cost},p={real_hashing.parallelism}" in stored
    assert real_hashing.memory_cost >= 19 * 1024 and real_hashing.type is Type.ID  # OWASP's argon2id floor
    print(f"\nB1 storage: {stored.split('$')[1]} params {stored.split('$')[3]}")
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_b1_rehash_on_sign_in_when_parameters_change(app, client, auth, monkeypatch):
    auth.sign_up()
    auth.sign_out()
    old = user_row(app).password_hash
    stronger = PasswordHasher(
        time_cost=passwords.hasher.time_cost + 1,
        memory_cost=passwords.hasher.memory_cost,
        parallelism=passwords.hasher.parallelism,
        type=Type.ID,
    )
    monkeypatch.setattr(passwords, "hasher", stronger)
    assert auth.sign_in().status_code == 302
    new = user_row(app).password_hash
    print(f"\nB1 rehash: {old.split('$')[3]} -> {new.split('$')[3]}")
    assert new != old
    assert f"t={stronger.time_cost}" in new
    assert not stronger.check_needs_rehash(new)
    auth.sign_out()
    assert auth.sign_in().status_code == 302  # the new hash works
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(User)).scalar() == 1


def test_no_rehash_when_parameters_are_current(app, client, auth):
    auth.sign_up()
    auth.sign_out()
    before = user_row(app).password_hash
    auth.sign_in()
    assert user_row(app).password_hash == before
