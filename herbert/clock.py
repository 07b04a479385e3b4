"""One place that says what time it is, so tests can move the clock (session timeouts, share expiry)."""

from datetime import UTC, datetime

_frozen: datetime | None = None


def utcnow() -> datetime:
    """Naive UTC now (the database stores naive UTC on both SQLite and PostgreSQL)."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC).replace(tzinfo=None)


def freeze(moment: datetime | None) -> None:
    """Tests only: pin the clock to `moment`, or release it with None."""
    global _frozen
    _frozen = moment
