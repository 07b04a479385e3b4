"""How many police shares a carer can make: live ones per person, and new ones per account (issue 15).

Every share costs a police-lane PDF render when it is made, and another for each live share whenever the carer
adds missing-now details. So what a carer's clicks can feed into the police render lane is bounded: at most
MAX_LIVE_SHARES_PER_PERSON shares working at once for one person (the handover page says so, and says how many
there are), and at most RATELIMIT_SHARE_CREATE_PER_ACCOUNT new shares per account (10 an hour, 30 a day; only
shares actually made count). Both are far above what an emergency needs (one share, or one per police force
involved), and the refusals say what to do instead: use a share already made, or end one.
"""

import math
import time
from typing import Any

from flask import current_app
from limits import parse_many

from herbert import caps
from herbert.auth.limits import pseudonym, rate
from herbert.extensions import limiter
from herbert.handover.shares import lifecycle as shares
from herbert.models import Person

CREATE_RATE = "RATELIMIT_SHARE_CREATE_PER_ACCOUNT"
SCOPE = "share-create-account"
LIVE_FULL = (
    "This person has {count} working, the most allowed at one time. End one you no longer need on the share "
    "links page, or read out the reference and code of one you have made already."
)
CREATED_TOO_MANY = (
    "You have made as many share links as we allow for now. Use one you have made already: the share links page "
    "lists their references. You can make a new one in {wait}."
)


def live_full_message() -> str:
    limit = live_limit()
    return LIVE_FULL.format(count=f"{limit} share link{'' if limit == 1 else 's'}")


def live_limit() -> int:
    return caps.cap("MAX_LIVE_SHARES_PER_PERSON")


def live_count(person: Person) -> int:
    """Shares of this person police can still open."""
    return sum(1 for share in shares.shares_of(person) if shares.state_of(share) is shares.ShareState.ACTIVE)


def _items() -> list[Any]:
    return list(parse_many(rate(CREATE_RATE)()))


def _identifiers(user_id: int) -> tuple[str, ...]:
    return (current_app.config.get("RATELIMIT_KEY_PREFIX") or "", SCOPE, pseudonym("account", str(user_id)))


def seconds_until_creation_allowed(user_id: int) -> int:
    """0 when this account may make a share now; else how long until it may (the longest spent window)."""
    if not limiter.enabled:
        return 0
    ends = [
        limiter.limiter.get_window_stats(item, *_identifiers(user_id))[0]
        for item in _items()
        if not limiter.limiter.test(item, *_identifiers(user_id))
    ]
    return max(1, math.ceil(max(ends) - time.time())) if ends else 0


def count_creation(user_id: int) -> None:
    if limiter.enabled:
        for item in _items():
            limiter.limiter.hit(item, *_identifiers(user_id))


def wait_words(seconds: int) -> str:
    """ "about 40 minutes", "about 3 hours"."""
    if seconds < 5400:
        return f"about {max(1, math.ceil(seconds / 60))} minutes"
    return f"about {round(seconds / 3600)} hours"
