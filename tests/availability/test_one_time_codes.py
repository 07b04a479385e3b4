"""One-time codes are accepted exactly once when the same code arrives many times at once (issue 15
point 5), on SQLite and PostgreSQL: parallel threads, each with its own database connection."""

import threading

import pyotp

from herbert.auth import two_factor as tf
from herbert.extensions import db
from herbert.models import User

PARALLEL = 12


def make_user(app) -> tuple[int, str, list[str]]:
    with app.app_context():
        user = User(email="carer@example.com", password_hash="not-used")
        db.session.add(user)
        db.session.commit()
        secret = tf.new_totp_secret()
        codes = tf.enable(user, secret, confirmed_step=0)
        return user.id, secret, codes


def at_once(app, user_id: int, check, codes: list[str]) -> list[bool]:
    """Run check(user, code) for every code in its own thread, all released together."""
    barrier = threading.Barrier(len(codes))
    results: list[bool] = [False] * len(codes)

    def run(index: int, code: str) -> None:
        with app.app_context():
            user = db.session.get(User, user_id)
            barrier.wait()
            results[index] = check(user, code)
            db.session.remove()

    threads = [threading.Thread(target=run, args=(i, code)) for i, code in enumerate(codes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_the_same_totp_code_in_parallel_is_accepted_once(app, backend):
    user_id, secret, _codes = make_user(app)
    code = pyotp.TOTP(secret).now()
    results = at_once(app, user_id, tf.verify_totp, [code] * PARALLEL)
    print(f"\n{backend}: the same TOTP code {PARALLEL} times at once: {results.count(True)} accepted")
    assert results.count(True) == 1


def test_the_same_recovery_code_in_parallel_is_accepted_once(app, backend):
    user_id, _secret, codes = make_user(app)
    results = at_once(app, user_id, tf.use_recovery_code, [codes[0]] * PARALLEL)
    print(f"\n{backend}: the same recovery code {PARALLEL} times at once: {results.count(True)} accepted")
    assert results.count(True) == 1
    with app.app_context():
        assert tf.remaining_recovery_codes(db.session.get(User, user_id)) == 9


def test_different_recovery_codes_in_parallel_are_each_accepted_and_none_comes_back(app, backend):
    user_id, _secret, codes = make_user(app)
    results = at_once(app, user_id, tf.use_recovery_code, codes[:5])
    assert results == [True] * 5
    with app.app_context():
        user = db.session.get(User, user_id)
        assert tf.remaining_recovery_codes(user) == 5
        assert not any(tf.use_recovery_code(user, code) for code in codes[:5])
