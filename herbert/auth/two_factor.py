"""Two-factor sign-in: TOTP secrets sealed at rest, replay-safe code checks, one-time recovery codes.

How the TOTP secret is sealed: by the record store (store.seal_account_secret), AES-256-GCM under the
keyring's active key-encryption key, with associated data binding it to its user row. The column holds
`<kek id>.<envelope>`, so after a key rotation the secret still opens with the older key (kept in the
keyring for unwrapping) and `keys rotate` moves every secret onto the active key
(store.reseal_account_secrets). A secret copied to another user's row fails to open (store.RecordUnreadable).

Recovery codes: 10 random codes of 80 bits each, shown once; only their SHA-256 is stored (a slow hash
adds nothing for values this random). Using one removes it.

Each code works exactly once, even when the same code is submitted many times in parallel: the check is
a compare-and-swap in the database, not read-check-write. A TOTP code is accepted by
`UPDATE users SET totp_last_used_step = :step WHERE id = :id AND (totp_last_used_step IS NULL OR
totp_last_used_step < :step)`, and a recovery code by writing the shortened list only `WHERE
recovery_codes = <the list as read>`. Both databases evaluate that WHERE under the row's write lock
(SQLite's single writer; PostgreSQL re-checks it after waiting for a concurrent update), so one
submission changes the row and every other sees 0 rows updated and is refused.
"""

import base64
import hashlib
import hmac
import json
import secrets
from datetime import UTC

import pyotp
import segno
from sqlalchemy import or_, update

from herbert.clock import utcnow
from herbert.extensions import db
from herbert.models import User
from herbert.records import store

ISSUER = "Herbert Protocol form"
RECOVERY_CODE_COUNT = 10
STEP_SECONDS = 30
RECOVERY_CAS_ATTEMPTS = 5  # re-reads when another recovery code was used at the same moment
VALID_WINDOW = 1  # accept the previous and next 30-second code too, for slow typing and clock drift


def new_totp_secret() -> str:
    return pyotp.random_base32(length=32)  # 160 bits, as RFC 4226 recommends


def seal_secret(user_id: int, secret: str, part: str = "totp") -> bytes:
    return store.seal_account_secret(user_id, part, secret)


def open_secret(user_id: int, sealed: bytes, part: str = "totp") -> str:
    """The secret; store.RecordUnreadable when it does not open (tampered, another row's, or its key is gone)."""
    return store.open_account_secret(user_id, part, sealed)


def seal_pending_secret(user_id: int, secret: str) -> str:
    """The not-yet-confirmed secret during set-up, sealed for the server session (text, never plain)."""
    return base64.b64encode(seal_secret(user_id, secret, "totp-pending")).decode()


def open_pending_secret(user_id: int, value: str) -> str:
    return open_secret(user_id, base64.b64decode(value), "totp-pending")


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_code_data_uri(uri: str) -> str:
    """The set-up QR code as an SVG data: URI, made here (nothing is sent to a QR service)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=4, dark="#0b0c0c", light="#ffffff")


def group_secret(secret: str) -> str:
    """The secret in groups of 4, for typing into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def normalise_code(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def matching_step(secret: str, code: str) -> int | None:
    """The 30-second time step whose code is `code` (within the window), or None."""
    code = normalise_code(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = int(utcnow().replace(tzinfo=UTC).timestamp())
    step_now = now // STEP_SECONDS
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        step = step_now + offset
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def is_enabled(user: User) -> bool:
    return user.totp_secret_sealed is not None


def verify_totp(user: User, code: str) -> bool:
    """Check a code from the app; each code works once (a replayed or older code is refused)."""
    if user.totp_secret_sealed is None:
        return False
    step = matching_step(open_secret(user.id, user.totp_secret_sealed), code)
    if step is None or (user.totp_last_used_step is not None and step <= user.totp_last_used_step):
        return False
    claimed = db.session.execute(
        update(User)
        .where(User.id == user.id, or_(User.totp_last_used_step.is_(None), User.totp_last_used_step < step))
        .values(totp_last_used_step=step)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return claimed.rowcount == 1


def new_recovery_codes() -> list[str]:
    """Ten codes like `k3vq-9x2m-p7rt-4hbn` (80 bits each, lower-case base32)."""
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
    return codes


def hash_recovery_code(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def store_recovery_codes(user: User, codes: list[str]) -> None:
    user.recovery_codes = json.dumps([hash_recovery_code(code) for code in codes])


def remaining_recovery_codes(user: User) -> int:
    return len(json.loads(user.recovery_codes or "[]"))


def use_recovery_code(user: User, code: str) -> bool:
    """True and the code is crossed off when it is one of the user's unused recovery codes."""
    if len(normalise_code(code)) != 16:
        return False
    wanted = hash_recovery_code(code)
    for _attempt in range(RECOVERY_CAS_ATTEMPTS):
        db.session.refresh(user, ["recovery_codes"])
        as_read = user.recovery_codes
        stored = json.loads(as_read or "[]")
        match = next((h for h in stored if hmac.compare_digest(h, wanted)), None)
        if match is None:
            return False
        stored.remove(match)
        crossed_off = db.session.execute(
            update(User)
            .where(User.id == user.id, User.recovery_codes == as_read)
            .values(recovery_codes=json.dumps(stored))
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        if crossed_off.rowcount == 1:
            return True
        # Another code (or this one) was used at the same moment: read the list again and re-check.
    return False


def verify_second_factor(user: User, code: str) -> bool:
    """A code from the authenticator app, or one of the recovery codes."""
    return verify_totp(user, code) or use_recovery_code(user, code)


def enable(user: User, secret: str, confirmed_step: int) -> list[str]:
    """Turn two-factor on with a confirmed secret; returns the fresh recovery codes to show once."""
    codes = new_recovery_codes()
    user.totp_secret_sealed = seal_secret(user.id, secret)
    user.totp_last_used_step = confirmed_step  # the confirmation code cannot be replayed at sign-in
    store_recovery_codes(user, codes)
    db.session.commit()
    return codes


def disable(user: User) -> None:
    user.totp_secret_sealed = None
    user.recovery_codes = None
    user.totp_last_used_step = None
    db.session.commit()
