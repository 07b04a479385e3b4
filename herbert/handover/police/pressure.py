"""/police reference entry when many clients guess at once: keep guessers out, never the police.

A hard service-wide limit on wrong entries (the first design) let about ten addresses keep every officer in the
country out of /police. Now the service-wide count of wrong entries (RATELIMIT_POLICE_REFERENCE_ACROSS_SERVICE)
only says the service is *under pressure*; while it is, an entry is refused only from a client that has itself
failed RATELIMIT_POLICE_REFERENCE_PER_CLIENT_UNDER_PRESSURE times recently (3 in 10 minutes). An officer typing
a reference for the first time, or after one slip, is checked as usual; a guesser, who fails every time, is
held to those few tries per client, on top of the per-client limit that always applies (10 a minute). A client
is an IPv4 address or an IPv6 /64 (herbert.auth.limits.client_key), so one IPv6 range is one client.

Why that is enough is arithmetic, not the limit: a reference and a code each have 31^8 values, the answer is
the same for an unknown reference and a wrong code, and five wrong codes lock a share (docs/design/availability.md
has the numbers). Counts live in the limiter's storage (Redis with several processes), keyed without any address
in clear, and only entries that were checked count: an empty form is not a guess.
"""

import math
import time
from typing import Any

from flask import current_app
from limits import parse_many

from herbert.auth.limits import client_key, pseudonym, rate
from herbert.extensions import limiter

ACROSS_SERVICE = "RATELIMIT_POLICE_REFERENCE_ACROSS_SERVICE"
PER_CLIENT_UNDER_PRESSURE = "RATELIMIT_POLICE_REFERENCE_PER_CLIENT_UNDER_PRESSURE"
SERVICE_SCOPE = "police-reference-service"
CLIENT_SCOPE = "police-reference-recent"


def _items(name: str) -> list[Any]:
    return list(parse_many(rate(name)()))


def _service() -> tuple[str, ...]:
    return (current_app.config.get("RATELIMIT_KEY_PREFIX") or "", SERVICE_SCOPE, "service")


def _client() -> tuple[str, ...]:
    return (current_app.config.get("RATELIMIT_KEY_PREFIX") or "", CLIENT_SCOPE, pseudonym("client", client_key()))


def under_pressure() -> bool:
    """True while the service-wide allowance of wrong entries is spent (many clients guessing)."""
    return any(not limiter.limiter.test(item, *_service()) for item in _items(ACROSS_SERVICE))


def failed_recently() -> bool:
    """True when this client has used up its own small allowance of wrong entries for times of pressure."""
    return any(not limiter.limiter.test(item, *_client()) for item in _items(PER_CLIENT_UNDER_PRESSURE))


def refused() -> bool:
    """Whether to turn this entry away unchecked: only under pressure, and only from a client that keeps failing."""
    return bool(limiter.enabled) and under_pressure() and failed_recently()


def count_failure() -> None:
    """A checked entry that did not open a share: towards the service's count and this client's."""
    if not limiter.enabled:
        return
    for item in _items(ACROSS_SERVICE):
        limiter.limiter.hit(item, *_service())
    for item in _items(PER_CLIENT_UNDER_PRESSURE):
        limiter.limiter.hit(item, *_client())


def seconds_until_allowed() -> int:
    """How long until this client may try again under pressure (for Retry-After and the page): the longest wait
    of its used-up windows, at least a minute."""
    waits = [60]
    for item in _items(PER_CLIENT_UNDER_PRESSURE):
        if not limiter.limiter.test(item, *_client()):
            reset_at, _remaining = limiter.limiter.get_window_stats(item, *_client())
            waits.append(math.ceil(reset_at - time.time()))
    return max(waits)
