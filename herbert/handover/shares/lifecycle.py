"""Police shares: unguessable tokens, short access codes, expiry, revocation and locking (security.md B15).

The token (256 random bits, URL-safe) is the capability in the link; only its SHA-256 is stored, so a copy of
the database does not hold working links. The reference (8 characters, "K7QM-42PX") is what a call handler
types at the fixed /police address instead of the link: it only finds the share, it is not a secret (stored in
clear, unique), and the code stays the second factor either way. The access code is read out over the phone: 8
characters from an alphabet without look-alikes (no 0/O, 1/I/L), stored as an HMAC keyed by the app's secret
key and bound to the share's token hash — fast to check (five wrong tries lock the share anyway) and useless
to anyone holding the database without the secret key.
"""

import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app

from herbert.clock import utcnow
from herbert.extensions import db
from herbert.models import Person, Share, ShareOpen
from herbert.records import store

TOKEN_BYTES = 32  # 256 bits from secrets.token_urlsafe: the issue asks for at least 128
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # 31 symbols: no 0, O, 1, I or L
CODE_LENGTH = 8
REFERENCE_LENGTH = 8
MAX_WRONG_CODES = 5
DEFAULT_HOURS = 72
EXPIRY_CHOICES = {24: "24 hours", 48: "2 days", 72: "3 days (recommended)", 120: "5 days", 168: "7 days"}
TABLE = "shares"
SNAPSHOT_PART = "snapshot"


class CodeCheck(enum.Enum):
    """What checking one typed access code against a share came to."""

    ACCEPTED = "accepted"
    WRONG = "wrong"  # counted towards the lock
    LOCKED_NOW = "locked now"  # the fifth wrong code: this check locked the share
    LOCKED = "locked"  # already locked: the code was not evaluated


class ShareState(enum.Enum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"  # ended by the carer, or automatically when the person was found
    LOCKED = "locked"


@dataclass(frozen=True)
class IssuedShare:
    """A new share with its secrets in clear: shown to the carer once, never stored."""

    share: Share
    token: str
    code: str

    @property
    def display_code(self) -> str:
        return format_code(self.code)

    @property
    def display_reference(self) -> str:
        return format_code(self.share.reference)


# --- secrets --------------------------------------------------------------------------------------


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """ABCD-EFGH: two groups of four are easier to read out and type."""
    return f"{code[:4]}-{code[4:]}"


def normalise_code(typed: str) -> str:
    """Accept what people type: any case, with spaces or dashes (the same for codes and references)."""
    return "".join(ch for ch in (typed or "").upper() if ch.isascii() and ch.isalnum())[: CODE_LENGTH * 2]


def new_reference() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def _unused_reference() -> str:
    """A reference no share has yet (31^8 ≈ 8.5e11 of them, so the loop almost never turns twice; the unique
    constraint is the backstop)."""
    while True:
        reference = new_reference()
        taken = db.session.execute(db.select(Share.id).filter_by(reference=reference)).first()
        if taken is None:
            return reference


def find_by_reference(typed: str) -> Share | None:
    """The share with this reference, however it was typed; None for anything not shaped like one."""
    reference = normalise_code(typed)
    if len(reference) != REFERENCE_LENGTH or not set(reference) <= set(CODE_ALPHABET):
        return None
    return db.session.execute(db.select(Share).filter_by(reference=reference)).scalar_one_or_none()


def _code_key() -> bytes:
    return hmac.new(current_app.config["SECRET_KEY"].encode(), b"herbert/share-code/v1", hashlib.sha256).digest()


def hash_code(token_hash: str, code: str) -> str:
    digest = hmac.new(_code_key(), f"{token_hash}:{code}".encode(), hashlib.sha256).hexdigest()
    return f"hmac-sha256${digest}"


def code_matches(share: Share, typed: str) -> bool:
    return hmac.compare_digest(share.code_hash, hash_code(share.token_hash, normalise_code(typed)))


# --- lifecycle ------------------------------------------------------------------------------------


def create_share(
    person: Person, user_id: int | None, snapshot: dict[str, Any], hours: int, source: str = ""
) -> IssuedShare:
    """Store a sealed snapshot reachable by a fresh token and code; returns them in clear, once."""
    if hours not in EXPIRY_CHOICES:
        hours = DEFAULT_HOURS
    token, code = new_token(), new_code()
    token_hash = hash_token(token)
    now = utcnow()
    share = Share(
        person_id=person.id,
        token_hash=token_hash,
        reference=_unused_reference(),
        code_hash=hash_code(token_hash, code),
        snapshot_sealed=b"",
        created_at=now,
        expires_at=now + timedelta(hours=hours),
        created_by=user_id,
        source=source[:20],
    )
    db.session.add(share)
    db.session.flush()  # the id binds the sealed snapshot to this row
    share.snapshot_sealed = store.seal_for(person, TABLE, share.id, SNAPSHOT_PART, snapshot)
    db.session.commit()
    return IssuedShare(share, token, code)


def find_share(token: str) -> Share | None:
    """The share a link points at, or None. Anything not shaped like our tokens is not looked up."""
    if not token or len(token) > 64:
        return None
    return db.session.execute(db.select(Share).filter_by(token_hash=hash_token(token))).scalar_one_or_none()


def state_of(share: Share, now: datetime | None = None) -> ShareState:
    now = now or utcnow()
    if share.revoked_at is not None:
        return ShareState.REVOKED
    if share.locked_at is not None:
        return ShareState.LOCKED
    if now >= share.expires_at:
        return ShareState.EXPIRED
    return ShareState.ACTIVE


def open_snapshot(share: Share) -> dict[str, Any]:
    person = db.session.get(Person, share.person_id)
    if person is None or not share.snapshot_sealed:
        raise store.RecordUnreadable("the share's snapshot is gone")
    return store.open_for(person, TABLE, share.id, SNAPSHOT_PART, share.snapshot_sealed)


def refresh_missing_report(person: Person, report: dict[str, Any]) -> int:
    """Put the latest missing-now details into every live share, so police see what the carer adds later.

    The form version and photos stay as shared; only the report (the same episode) is updated."""
    count = 0
    for share in shares_of(person):
        if state_of(share) is not ShareState.ACTIVE or not share.snapshot_sealed:
            continue
        snapshot = store.open_for(person, TABLE, share.id, SNAPSHOT_PART, share.snapshot_sealed)
        snapshot["missing_report"] = report
        share.snapshot_sealed = store.seal_for(person, TABLE, share.id, SNAPSHOT_PART, snapshot)
        # The kept PDF stays until its replacement is rendered (shares.pdfs): police downloads never wait for it.
        count += 1
    if count:
        db.session.commit()
    return count


def check_code(share: Share, typed: str) -> CodeCheck:
    """Check a typed code against the share's lock, race-free (security.md B19).

    Every check runs inside one short transaction that first takes the share row's write lock with a
    conditional UPDATE (... WHERE failed_attempts < 5 AND locked_at IS NULL): PostgreSQL holds the row lock
    until commit and re-checks the WHERE after waiting for it; SQLite takes its database write lock. So checks
    of one share run one after another, each seeing the count the previous one left: however many requests
    arrive at once, at most five wrong codes are ever evaluated, the fifth locks the share (and drops the
    sealed copies), and no code is evaluated, right or wrong, once it is locked. The check itself is one HMAC,
    so the lock is held for microseconds.
    """
    share_id = share.id
    db.session.commit()  # end any read transaction, so SQLite's write lock is waited for, not refused
    claimed = db.session.execute(
        db.update(Share)
        .where(Share.id == share_id, Share.failed_attempts < MAX_WRONG_CODES, Share.locked_at.is_(None))
        .values(failed_attempts=Share.failed_attempts)  # changes nothing; takes the row's lock
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        db.session.commit()
        db.session.refresh(share)
        return CodeCheck.LOCKED
    db.session.refresh(share)  # the count as the previous check left it (we hold the lock now)
    if code_matches(share, typed):
        db.session.commit()
        return CodeCheck.ACCEPTED
    share.failed_attempts += 1
    locks_it = share.failed_attempts >= MAX_WRONG_CODES
    if locks_it:
        share.locked_at = utcnow()
        share.snapshot_sealed = b""  # a locked share never opens again: keep no copy of the record
        share.pdf_sealed = None
    db.session.commit()
    # Decided under the lock, not read back after the commit (another check may have locked it since).
    return CodeCheck.LOCKED_NOW if locks_it else CodeCheck.WRONG


def tries_left(share: Share) -> int:
    return max(0, MAX_WRONG_CODES - share.failed_attempts)


def end_share(share: Share, reason: str = "revoked") -> None:
    """Revoke now (carer's choice, or because the person was found) and drop the sealed copy."""
    if share.revoked_at is None:
        share.revoked_at = utcnow()
        share.end_reason = reason
    share.snapshot_sealed = b""
    share.pdf_sealed = None
    db.session.commit()


def end_all_shares(person: Person, reason: str) -> int:
    """End every share of this person that could still open; returns how many were live."""
    count = 0
    for share in shares_of(person):
        if state_of(share) is ShareState.ACTIVE:
            count += 1
        if share.revoked_at is None:
            share.revoked_at = utcnow()
            share.end_reason = reason
        share.snapshot_sealed = b""
        share.pdf_sealed = None
    db.session.commit()
    return count


def shares_of(person: Person) -> list[Share]:
    return list(
        db.session.execute(
            db.select(Share).filter_by(person_id=person.id).order_by(Share.created_at.desc(), Share.id.desc())
        ).scalars()
    )


def share_of(person: Person, share_id: int) -> Share | None:
    return db.session.execute(db.select(Share).filter_by(id=share_id, person_id=person.id)).scalar_one_or_none()


def opens_of(share: Share) -> list[ShareOpen]:
    return list(
        db.session.execute(
            db.select(ShareOpen).filter_by(share_id=share.id).order_by(ShareOpen.opened_at.desc())
        ).scalars()
    )


def record_open(share: Share, client: str) -> None:
    db.session.add(ShareOpen(share_id=share.id, opened_at=utcnow(), client=client[:120]))
    db.session.commit()
