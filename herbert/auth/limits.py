"""Rate limits for everything that checks a secret: passwords, two-factor codes, share access codes.

Limits are Flask-Limiter decorators on the POST of each route (storage: RATELIMIT_STORAGE_URI, memory by
default, Redis for several app processes). Each rate can be changed in config, e.g.
HERBERT_RATELIMIT_SIGN_IN_PER_IP="20/minute". Keys never hold an email address, share token or session
token in clear: they are HMAC-SHA256'd with the secret key, because limiter keys end up in logs and Redis.

Wrong answers count; a successful sign-in (a redirect) does not use up the per-account allowance, so a
carer signing in often is never locked out by their own successes. The sign-in limit counted before the
password is checked is per client *and* account, so nobody can lock a carer out from elsewhere; the
per-account count is a back-off that a known device passes (herbert.auth.backoff).
"""

import hashlib
import hmac
import ipaddress
from collections.abc import Callable
from typing import Any

from flask import current_app, g, request, session
from flask_limiter.util import get_remote_address

from herbert.extensions import limiter

DEFAULT_RATES = {
    "RATELIMIT_SIGN_IN_PER_IP": "10/minute;100/hour",
    # Wrong passwords for one account from one client: a stranger locks out only themselves.
    "RATELIMIT_SIGN_IN_PER_CLIENT_ACCOUNT": "5/minute;30/hour",
    # ...and from anywhere: the slower global back-off (herbert.auth.backoff), which a known device passes.
    "RATELIMIT_SIGN_IN_PER_ACCOUNT": "20/hour;100/day",
    "RATELIMIT_SIGN_UP_PER_IP": "5/minute;30/hour",
    "RATELIMIT_TWO_FACTOR_PER_IP": "10/minute;100/hour",
    "RATELIMIT_TWO_FACTOR_PER_ACCOUNT": "5/minute;20/hour",
    "RATELIMIT_SHARE_CODE_PER_IP": "10/minute;60/hour",
    "RATELIMIT_SHARE_CODE_PER_LINK": "5/minute;20/hour",
    # The fixed /police page (reference + code): per client always. Across the service the count of wrong
    # entries only marks pressure; under it, a client that has failed this often recently is refused, while
    # one that has not (an officer typing a reference for the first time) is checked (police/pressure.py).
    "RATELIMIT_POLICE_REFERENCE_PER_IP": "10/minute;60/hour",
    "RATELIMIT_POLICE_REFERENCE_ACROSS_SERVICE": "60/minute;600/hour",
    "RATELIMIT_POLICE_REFERENCE_PER_CLIENT_UNDER_PRESSURE": "3/10 minutes",
    # Heavy work, per account (every request counts, success or not): PDFs and posters, exports, imports.
    "RATELIMIT_PDF_PER_ACCOUNT": "10/minute;60/hour",
    "RATELIMIT_EXPORT_PER_ACCOUNT": "5/minute;30/hour",
    "RATELIMIT_IMPORT_PER_ACCOUNT": "3/minute;10/hour",
    # New police shares per account (only shares made count): each one feeds the police render lane.
    "RATELIMIT_SHARE_CREATE_PER_ACCOUNT": "10/hour;30/day",
    # Police opening a share's PDF or export (per share link): generous, but bounded.
    "RATELIMIT_SHARE_DOWNLOAD_PER_LINK": "20/minute;200/hour",
}
# Change password, confirm it is you, delete account. Set apart from the literal above: a nosec inside a
# multi-line literal makes bandit warn once for every line of it.
DEFAULT_RATES["RATELIMIT_ACCOUNT_PASSWORD_PER_ACCOUNT"] = "5/minute;30/hour"  # noqa: S105 (a rate, not a password)


def rate(name: str) -> Callable[[], str]:
    """The configured rate for `name`, read per request so tests and operators can change it."""
    return lambda: current_app.config.get(name) or DEFAULT_RATES[name]


def pseudonym(kind: str, value: str) -> str:
    """A stable, non-reversible limiter key for a secret or personal value."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, f"{kind}\x1f{value}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"{kind}:{digest}"


def client_key() -> str:
    """The client a per-client limit counts: its IPv4 address, or its IPv6 /64 network. A household, office or
    phone gets a whole /64 (2^64 addresses), so counting IPv6 addresses one by one would give anyone holding a
    range an allowance per address; an IPv4-mapped IPv6 address counts as the IPv4 address it carries."""
    address = get_remote_address() or ""
    try:
        parsed = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


def submitted_email_key() -> str:
    return pseudonym("email", (request.form.get("email") or "").strip().lower())


def client_and_email_key() -> str:
    """The client's address and the email it is trying, together (HMAC'd)."""
    return pseudonym("client-email", f"{client_key()}\x1f{(request.form.get('email') or '').strip().lower()}")


def session_account_key() -> str:
    """The signed-in account, or the account half-way through two-factor sign-in; else the IP address."""
    user_id = session.get("user_id") or session.get("pending_user_id")
    return pseudonym("account", str(user_id)) if user_id else client_key()


def share_link_key() -> str:
    """One allowance per share link: the request path holds the link's token, so hash the path."""
    return pseudonym("share", request.path)


def counts_as_failure(response: Any) -> bool:
    """Deduct only answers that were not accepted (a form shown again, or an error), not redirects on success,
    nor a page a view marked as a success with `g.secret_accepted` (e.g. the new share link shown at once)."""
    if g.get("secret_accepted"):
        return False
    return not 300 <= response.status_code < 400


def mark_attempt_succeeded() -> None:
    """For views that answer a right password with a page (200) rather than a redirect."""
    g.secret_accepted = True


def mark_not_an_attempt() -> None:
    """For a refusal made before any secret was checked (e.g. a cap): it must not count as a wrong one."""
    g.secret_accepted = True


def _limit(
    name: str, key_func: Callable[[], str], scope: str, failures_only: bool = False, methods: tuple = ("POST",)
) -> Any:
    return limiter.limit(
        rate(name),
        key_func=key_func,
        methods=list(methods),
        scope=scope,
        deduct_when=counts_as_failure if failures_only else None,
    )


def _stack(*decorators: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def apply(view: Callable[..., Any]) -> Callable[..., Any]:
        for decorator in reversed(decorators):
            view = decorator(view)
        return view

    return apply


sign_in_limits = _stack(
    _limit("RATELIMIT_SIGN_IN_PER_IP", client_key, "sign-in-ip", failures_only=True),
    _limit("RATELIMIT_SIGN_IN_PER_CLIENT_ACCOUNT", client_and_email_key, "sign-in-client-account", failures_only=True),
)
sign_up_limits = _limit("RATELIMIT_SIGN_UP_PER_IP", client_key, "sign-up-ip")
two_factor_limits = _stack(
    _limit("RATELIMIT_TWO_FACTOR_PER_IP", client_key, "two-factor-ip", failures_only=True),
    _limit("RATELIMIT_TWO_FACTOR_PER_ACCOUNT", session_account_key, "two-factor-account", failures_only=True),
)
account_password_limits = _limit(
    "RATELIMIT_ACCOUNT_PASSWORD_PER_ACCOUNT", session_account_key, "account-password", failures_only=True
)

share_code_limits = _stack(
    _limit("RATELIMIT_SHARE_CODE_PER_IP", client_key, "share-code-ip", failures_only=True),
    _limit("RATELIMIT_SHARE_CODE_PER_LINK", share_link_key, "share-code-link", failures_only=True),
)
"""Put on the police access-code view, under @bp.route:

    @bp.route("/s/<token>", methods=["GET", "POST"])
    @share_code_limits
    def open_share(token): ...

POSTs only; wrong codes (any non-redirect answer) count, per IP and per link (the path, HMAC'd); the
11th wrong code in a minute from one IP, or the 6th on one link, gets the 429 page. This complements,
and does not replace, the share's own lock after 5 wrong codes (Share.failed_attempts).
"""

police_reference_limits = _limit(
    "RATELIMIT_POLICE_REFERENCE_PER_IP", client_key, "police-reference-ip", failures_only=True
)
"""Put on /police (reference + access code). POSTs only; answers that did not open a form count, per client (an
IPv4 address or an IPv6 /64): an unknown reference costs the same as a wrong code, so one client guesses at
most 10 a minute. There is no hard limit across the service (a flood from a few addresses would keep every
officer out): the service-wide count only turns on pressure, under which clients that keep failing are held
to a few tries while everyone else is checked as usual (herbert.handover.police.pressure).
"""


def share_download_key() -> str:
    """One allowance per share for its downloads (/police/form/<reference>/pdf and export.zip), HMAC'd.

    The reference is normalised first, by the rule /police applies to it (shares.normalise_code: any case,
    spaces and dashes do not matter), so "k7qm42px" and "K7QM-42PX" share one allowance rather than each
    spelling getting its own."""
    reference = str((request.view_args or {}).get("reference") or "")
    canonical = "".join(ch for ch in reference.upper() if ch.isascii() and ch.isalnum())
    return pseudonym("share-download", canonical)


# Put under @login_required so the key is the signed-in account.
# One allowance for every PDF route together (a shared limit), not one per route.
pdf_limits = limiter.shared_limit(
    rate("RATELIMIT_PDF_PER_ACCOUNT"), "pdf-account", key_func=session_account_key, methods=["GET"]
)
export_limits = _limit("RATELIMIT_EXPORT_PER_ACCOUNT", session_account_key, "export-account")
import_limits = _limit("RATELIMIT_IMPORT_PER_ACCOUNT", session_account_key, "import-account")
share_download_limits = _limit(
    "RATELIMIT_SHARE_DOWNLOAD_PER_LINK", share_download_key, "share-download-link", methods=("GET",)
)
