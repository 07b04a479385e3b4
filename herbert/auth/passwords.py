"""Password hashing (argon2id) and the password policy.

Hashes use argon2-cffi's current recommended argon2id parameters. When those parameters change (a
library upgrade, or an operator tuning `hasher`), check_needs_rehash() spots old hashes and sign-in
stores a new hash made with the current parameters.
"""

import re
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

hasher = PasswordHasher()  # argon2id with the library's current recommended parameters

MIN_LENGTH = 10
MAX_LENGTH = 256
MIN_SCORE = 3  # zxcvbn's 0-4 scale; 3 is "safely unguessable: moderate protection from offline attacks"
ZXCVBN_MAX_INPUT = 72  # zxcvbn refuses longer input; the first 72 characters are plenty to judge guessability
SERVICE_WORDS = ("herbert", "protocol", "herbertprotocol", "police", "dementia", "missing", "carer")

# Verified against when the email is unknown or the account is disabled, so every answer takes as long.
DUMMY_HASH = hasher.hash("not a real password, only for timing")


def hash_password(password: str) -> str:
    return hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when the password matches; always does one argon2 verification, whatever the input."""
    try:
        return hasher.verify(stored_hash or DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return hasher.check_needs_rehash(stored_hash)


def squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", text)


def password_problem(password: str, user_inputs: Iterable[str] = ()) -> str | None:
    """The GOV.UK-style error message for a password that breaks the policy, or None when it is fine."""
    if len(password) < MIN_LENGTH:
        return f"Password must be {MIN_LENGTH} characters or more"
    if len(password) > MAX_LENGTH:
        return f"Password must be {MAX_LENGTH} characters or fewer"
    words = [*SERVICE_WORDS]
    for value in user_inputs:
        if value:
            value = value.strip().lower()
            parts = [part for part in re.split(r"[@.+_-]", value) if part]
            words += [value, squash(value)] + [part for part in parts if len(part) > 2]
            words += ["".join(parts[:end]) for end in range(2, len(parts))]  # "carerexample" from carer@example.com
    # zxcvbn treats spaces and punctuation as random characters ("pass word 1234" scores 4), so judge the
    # password with them squeezed out too, and keep the weaker verdict.
    candidates = [password[:ZXCVBN_MAX_INPUT]]
    if squash(password) and squash(password) != password:
        candidates.append(squash(password)[:ZXCVBN_MAX_INPUT])
    result = min((zxcvbn(candidate, user_inputs=words) for candidate in candidates), key=lambda r: r["score"])
    if result["score"] >= MIN_SCORE:
        return None
    message = "Your password is too easy to guess. Try 3 or 4 unrelated words together, with a number or symbol"
    warning = (result.get("feedback") or {}).get("warning") or ""
    if warning:
        message += ". " + warning.rstrip(".")
    return message
