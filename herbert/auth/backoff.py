"""Sign-in attempts against one account, without letting a stranger lock the carer out (issue 15 point 4).

Two counts of wrong passwords, both failures only:
- per client and account (herbert.auth.limits, RATELIMIT_SIGN_IN_PER_CLIENT_ACCOUNT, 5/minute): a
  stranger guessing at a carer's email locks out only themselves;
- per account from anywhere (RATELIMIT_SIGN_IN_PER_ACCOUNT, 20/hour and 100/day): the slower, global
  back-off against guessing spread over many addresses. While it is in force, a password is checked
  only from a browser that has signed in to that account before (it holds a signed "known device"
  cookie, set whenever a signed-in session starts: sign-up, sign-in, the two-factor step and a password
  reset, which proves the carer holds the mailbox); any other browser gets the "too many attempts" page
  without its password being checked. So the carer on their own phone or computer still signs in with
  their correct password, a carer on a new browser gets in at once by resetting the password by email
  (the page says so, and says truthfully when this browser may try again), and a distributed guesser
  gets no more than the global allowance of guesses.

This is OWASP's "device cookie" defence. The cookie holds only HMACs of the accounts' email addresses
(never an address), signed with the secret key, and is a strictly necessary security cookie.
"""

import math
import time
from typing import Any

from flask import after_this_request, current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import parse_many

from herbert.auth.limits import pseudonym, rate
from herbert.extensions import limiter

DEVICE_COOKIE = "herbert_known_device"
DEVICE_DAYS = 400  # the longest a browser keeps a cookie; refreshed at each sign-in
DEVICE_ACCOUNTS = 5  # accounts one browser remembers (a shared family computer)
SCOPE = "sign-in-account-backoff"


def _account(email: str) -> str:
    return pseudonym("email", email.strip().lower())


def _items() -> list[Any]:
    return list(parse_many(rate("RATELIMIT_SIGN_IN_PER_ACCOUNT")()))


def _identifiers(email: str) -> tuple[str, ...]:
    return (current_app.config.get("RATELIMIT_KEY_PREFIX") or "", SCOPE, _account(email))


def backing_off(email: str) -> bool:
    """True while the account's global allowance of wrong passwords is used up."""
    if not limiter.enabled:
        return False
    return any(not limiter.limiter.test(item, *_identifiers(email)) for item in _items())


def seconds_until_allowed(email: str) -> int:
    """How long until this account's back-off ends: the latest end of its used-up windows, so with the daily
    cap spent it is up to a day, not an hour. 0 when it is not in force."""
    if not limiter.enabled:
        return 0
    ends = [
        limiter.limiter.get_window_stats(item, *_identifiers(email))[0]
        for item in _items()
        if not limiter.limiter.test(item, *_identifiers(email))
    ]
    return max(0, math.ceil(max(ends) - time.time())) if ends else 0


def count_failure(email: str) -> None:
    if limiter.enabled:
        for item in _items():
            limiter.limiter.hit(item, *_identifiers(email))


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(str(current_app.config["SECRET_KEY"]), salt="herbert-known-device")


def _known_accounts() -> list[str]:
    value = request.cookies.get(DEVICE_COOKIE)
    if not value or len(value) > 2000:
        return []
    try:
        accounts = _serializer().loads(value, max_age=DEVICE_DAYS * 86400)
    except BadSignature:
        return []
    return [a for a in accounts if isinstance(a, str)][:DEVICE_ACCOUNTS] if isinstance(accounts, list) else []


def known_device(email: str) -> bool:
    """True when this browser has signed in to the account before."""
    return _account(email) in _known_accounts()


def remember_this_device(email: str) -> None:
    """A signed-in session has started in this browser (herbert.auth.sign_in): it becomes one of the account's
    known devices, on the response this request sends."""

    @after_this_request
    def remember(response: Any) -> Any:
        remember_device(response, email)
        return response


def remember_device(response: Any, email: str) -> None:
    """This browser is one of the account's known devices (at most DEVICE_ACCOUNTS accounts per browser)."""
    accounts = [_account(email)] + [a for a in _known_accounts() if a != _account(email)]
    response.set_cookie(
        DEVICE_COOKIE,
        _serializer().dumps(accounts[:DEVICE_ACCOUNTS]),
        max_age=DEVICE_DAYS * 86400,
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        samesite="Lax",
        path="/sign-in",
    )
