"""Account pages that depend on email: forgotten password, reset, confirm an address, change it, email settings.

- "Forgotten your password?" answers the same page whether or not the address has an account, and does the
  same work either way (it only queues a job; the job looks the address up), so neither the answer nor its
  time tells anyone which addresses are registered. It is rate limited per IP address and per address.
- A reset link is single use, lasts 1 hour, and holds a 256-bit token stored only as its SHA-256 (minted in
  the job that emails it). Using it ends every session; with two-factor sign-in on, the same page asks for
  the security code or a recovery code (5 tries per link, then the link is spent). It signs the carer in with a
  fresh check, and lands where the carer asked for it: from the police-share page a reset goes straight back
  there, with no second password prompt (docs/design/email-and-jobs.md, "Step-up and a forgotten password").
"""

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address

from herbert.audit import Action, record_event
from herbert.auth import two_factor
from herbert.auth.guard import fresh_auth_required, login_required, safe_next
from herbert.auth.limits import pseudonym
from herbert.auth.passwords import hash_password
from herbert.auth.sessions import end_all_sessions
from herbert.auth.sign_in import start_signed_in_session
from herbert.clock import utcnow
from herbert.extensions import csrf, db, limiter
from herbert.jobs.runner import enqueue
from herbert.mail import notices
from herbert.mail.account_tokens import (
    CONFIRM_DAYS,
    MAX_CODE_ATTEMPTS,
    begin_password_reset,
    claim_code_attempt,
    live_token,
    new_token_row,
    send_verification,
    spend_token,
    use_token,
)
from herbert.mail.delivery import queue_email, read_unsubscribe_token
from herbert.mail.forms import ButtonForm, ChangeEmailForm, ForgottenPasswordForm, NotificationsForm, ResetPasswordForm
from herbert.mail.messages import REMINDER_CATEGORIES
from herbert.mail.models import AccountToken
from herbert.models import User

bp = Blueprint("mail_account", __name__)
WRONG_RESET_CODE = "The security code is not correct, or it has been used already"


def _rate(name: str, default: str):
    return lambda: current_app.config.get(name) or default


def _email_key() -> str:
    return pseudonym("reset-email", (request.form.get("email") or "").strip().lower())


reset_limits_ip = limiter.limit(
    _rate("RATELIMIT_PASSWORD_RESET_PER_IP", "5/minute;30/hour"),
    key_func=get_remote_address,
    methods=["POST"],
    scope="reset-ip",
)
reset_limits_email = limiter.limit(
    _rate("RATELIMIT_PASSWORD_RESET_PER_EMAIL", "3/hour"), key_func=_email_key, methods=["POST"], scope="reset-email"
)
reset_use_limits = limiter.limit(
    _rate("RATELIMIT_PASSWORD_RESET_USE_PER_IP", "10/minute;60/hour"),
    key_func=get_remote_address,
    methods=["POST"],
    scope="reset-use-ip",
)


# --- forgotten password and reset ------------------------------------------------------------------


@bp.route("/forgotten-password", methods=["GET", "POST"])
@reset_limits_ip
@reset_limits_email
def forgotten_password():
    form = ForgottenPasswordForm()
    next_path = request.args.get("next") or ""
    if form.validate_on_submit():
        landing = safe_next(next_path) if next_path else ""
        enqueue(begin_password_reset, form.email.data.strip().lower(), landing)
        return redirect(url_for("mail_account.check_email"))
    return render_template("mail_account/forgotten_password.html", form=form)


@bp.route("/forgotten-password/check-your-email")
def check_email():
    return render_template("mail_account/check_email.html")


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@reset_use_limits
def reset_password(token: str):
    g.referrer_policy = "no-referrer"  # the token must not leave in a Referer header
    g.personal_page = True
    row = live_token(token, ("reset",))
    user = db.session.get(User, row.user_id) if row else None
    if row is None or user is None or user.disabled:
        return render_template("mail_account/link_not_valid.html"), 410
    needs_code = two_factor.is_enabled(user)
    form = ResetPasswordForm()
    form.account_email = user.email
    if form.validate_on_submit():
        code = (form.code.data or "").strip()
        tries_left = check_reset_code(row, user, code) if needs_code and code else None
        if needs_code and not code:
            form.code.errors = ["Enter the security code from your authenticator app, or a recovery code"]
        elif tries_left == 0:
            return render_template("mail_account/reset_codes_used_up.html"), 410
        elif tries_left is not None:
            times = "1 more time" if tries_left == 1 else f"{tries_left} more times"
            form.code.errors = [f"{WRONG_RESET_CODE}. You can try {times} with this link"]
        elif use_token(row):
            finish_reset(user, form.new_password.data)
            return redirect(safe_next(row.next_path or None))
        else:
            return render_template("mail_account/link_not_valid.html"), 410
    return render_template("mail_account/reset_password.html", form=form, needs_code=needs_code)


def check_reset_code(row: AccountToken, user: User, code: str) -> int | None:
    """None when the code is right; otherwise the tries left with this link (0: it is spent now, or already was).

    Each check first takes one of the link's MAX_CODE_ATTEMPTS (claim_code_attempt), so parallel requests cannot
    check more codes than that between them; the last wrong one spends the link."""
    attempt = claim_code_attempt(row)
    if attempt is None:
        return 0
    if two_factor.verify_second_factor(user, code):
        return None
    left = MAX_CODE_ATTEMPTS - attempt
    if left == 0:
        spend_token(row)
    return left


def finish_reset(user: User, password: str) -> None:
    now = utcnow()
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    if user.email_verified_at is None:
        user.email_verified_at = now  # the link reached this address: it is the carer's
    db.session.execute(  # every other reset link of this account stops working too
        db.update(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.purpose == "reset", AccountToken.used_at.is_(None))
        .values(used_at=now)
    )
    db.session.commit()
    record_event(Action.PASSWORD_RESET, actor_user_id=user.id)
    end_all_sessions(user.id)
    start_signed_in_session(user)  # a fresh session and a fresh check: step-up pages do not ask again
    notices.account_notice(user, "password-changed")
    flash("Your password has been changed. You have been signed out on all your other devices.")


# --- confirming and changing the email address ---------------------------------------------------


@bp.route("/confirm-email/<token>")
def confirm_email(token: str):
    g.referrer_policy = "no-referrer"
    row = live_token(token, ("verify", "change-email"))
    user = db.session.get(User, row.user_id) if row else None
    if row is None or user is None:
        return render_template("mail_account/link_not_valid.html"), 410
    if row.purpose == "verify":
        if row.email != user.email or not use_token(row):
            return render_template("mail_account/link_not_valid.html"), 410
        user.email_verified_at = utcnow()
        db.session.commit()
        return render_template("mail_account/email_confirmed.html", changed=False)
    taken = db.session.execute(db.select(User.id).filter_by(email=row.email)).scalar_one_or_none()
    if taken is not None and taken != user.id:
        return render_template("mail_account/email_taken.html"), 409
    if not use_token(row):
        return render_template("mail_account/link_not_valid.html"), 410
    old_address = user.email
    user.email = row.email
    user.email_verified_at = utcnow()
    db.session.commit()
    record_event(Action.EMAIL_CHANGE, actor_user_id=user.id)
    notices.account_notice(user, "email-changed", to=old_address)
    return render_template("mail_account/email_confirmed.html", changed=True)


@bp.route("/account/email", methods=["GET", "POST"])
@login_required
@fresh_auth_required(max_age_minutes=15)
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        if email == g.user.email:
            form.email.errors.append("This is already your email address")
        else:
            row = new_token_row(g.user, "change-email", timedelta(days=CONFIRM_DAYS), email=email)
            db.session.commit()
            queue_email(g.user, "change-email", to=email, token_id=row.id)
            flash("We have sent a link to your new email address. Open it to finish the change.")
            return redirect(url_for("account.overview"))
    return render_template("mail_account/change_email.html", form=form)


@bp.route("/account/email/confirm-again", methods=["POST"])
@login_required
def resend_verification():
    form = ButtonForm()
    if form.validate_on_submit() and g.user.email_verified_at is None:
        send_verification(g.user)
        flash("We have sent the link again. It can take a few minutes to arrive.")
    # Back where they asked from (an invitation waiting for the confirmed address), or the account page.
    return redirect(safe_next(request.args.get("next"), "account.overview"))


# --- which emails a carer gets -------------------------------------------------------------------


def muted(user: User) -> set[str]:
    return {kind for kind in (user.muted_notices or "").split(",") if kind}


def set_muted(user: User, kinds: set[str]) -> None:
    user.muted_notices = ",".join(sorted(kinds & set(REMINDER_CATEGORIES)))
    db.session.commit()


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def notifications():
    form = NotificationsForm()
    if request.method == "GET":
        form.reminders.data = [kind for kind in REMINDER_CATEGORIES if kind not in muted(g.user)]
    if form.validate_on_submit():
        set_muted(g.user, set(REMINDER_CATEGORIES) - set(form.reminders.data or []))
        flash("Your email settings have been saved.")
        return redirect(url_for("mail_account.notifications"))
    return render_template(
        "mail_account/notifications.html",
        form=form,
        verified=g.user.email_verified_at is not None,
        resend_form=ButtonForm(),
    )


@bp.route("/email/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # checked below: RFC 8058's one-click POST comes from the mail provider, with no cookie or CSRF token
def unsubscribe(token: str):
    g.referrer_policy = "no-referrer"
    if request.method == "POST" and request.form.get("List-Unsubscribe") != "One-Click":
        csrf.protect()  # any other POST is an ordinary form and needs its token (400 without)
    found = read_unsubscribe_token(token)
    if found is None:
        abort(404)
    user_id, category = found
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if request.method == "POST":
        set_muted(user, muted(user) | {category})
        return render_template("mail_account/unsubscribed.html", what=REMINDER_CATEGORIES[category])
    return render_template("mail_account/unsubscribe.html", what=REMINDER_CATEGORIES[category])
