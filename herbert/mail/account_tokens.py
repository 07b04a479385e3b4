"""Single-use account tokens sent by email: confirming an address (7 days) and resetting a password (1 hour).

Each token is 256 random bits, emailed once and stored only as its SHA-256 (minted in the job that emails it).
"""

from datetime import timedelta

from herbert.clock import utcnow
from herbert.extensions import db
from herbert.jobs.registry import job
from herbert.mail.delivery import hash_token, queue_email
from herbert.mail.models import AccountToken
from herbert.models import User

RESET_MINUTES = 60
CONFIRM_DAYS = 7
MAX_CODE_ATTEMPTS = 5  # security codes tried with one reset link before it is spent


def new_token_row(user: User, purpose: str, lifetime: timedelta, email: str = "", next_path: str = "") -> AccountToken:
    row = AccountToken(
        user_id=user.id,
        purpose=purpose,
        email=email or user.email,
        next_path=next_path[:200],
        expires_at=utcnow() + lifetime,
    )
    db.session.add(row)
    db.session.flush()
    return row


def live_token(token: str, purpose: tuple[str, ...]) -> AccountToken | None:
    if not token or len(token) > 64:
        return None
    row = db.session.execute(db.select(AccountToken).filter_by(token_hash=hash_token(token))).scalar_one_or_none()
    if row is None or row.purpose not in purpose or row.used_at is not None or row.expires_at <= utcnow():
        return None
    return row


def use_token(row: AccountToken) -> bool:
    """Mark the token used, atomically: of two requests racing with one link, only one wins."""
    result = db.session.execute(
        db.update(AccountToken)
        .where(AccountToken.id == row.id, AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    return result.rowcount == 1


def claim_code_attempt(row: AccountToken) -> int | None:
    """Take one of the link's security-code attempts before checking a code; None when none is left (or the link
    is used). One conditional UPDATE, so requests racing with one link can never check more than
    MAX_CODE_ATTEMPTS codes between them: each check needs a claim, and only that many claims succeed."""
    claimed = db.session.execute(
        db.update(AccountToken)
        .where(
            AccountToken.id == row.id,
            AccountToken.used_at.is_(None),
            AccountToken.code_attempts < MAX_CODE_ATTEMPTS,
        )
        .values(code_attempts=AccountToken.code_attempts + 1)
        .returning(AccountToken.code_attempts)
    ).scalar_one_or_none()
    db.session.commit()
    return claimed


def spend_token(row: AccountToken) -> None:
    """The link stops working (its last security-code attempt was wrong)."""
    unused = (AccountToken.id == row.id) & AccountToken.used_at.is_(None)
    db.session.execute(db.update(AccountToken).where(unused).values(used_at=utcnow()))
    db.session.commit()


def send_verification(user: User) -> None:
    """Queue an email asking the carer to confirm the address they signed up with (link lasts 7 days)."""
    row = new_token_row(user, "verify", timedelta(days=CONFIRM_DAYS))
    db.session.commit()
    queue_email(user, "verify-email", token_id=row.id)


@job()
def begin_password_reset(email: str, next_path: str) -> None:
    """Runs in the job runner: only here do we find out whether the address has an account."""
    user = db.session.execute(db.select(User).filter_by(email=email)).scalar_one_or_none()
    if user is None or user.disabled:
        return
    row = new_token_row(user, "reset", timedelta(minutes=RESET_MINUTES), next_path=next_path)
    db.session.commit()
    queue_email(user, "password-reset", token_id=row.id)
