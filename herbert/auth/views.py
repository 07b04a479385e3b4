"""Sign up, sign in (password, then a two-factor code when it is on) and sign out."""

from datetime import datetime, timedelta

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for

from herbert.audit import record_event
from herbert.auth import backoff, two_factor
from herbert.auth.forms import SignInForm, SignUpForm, TwoFactorCodeForm
from herbert.auth.guard import login_required, mark_authenticated, safe_next
from herbert.auth.limits import sign_in_limits, sign_up_limits, two_factor_limits
from herbert.auth.passwords import hash_password, needs_rehash, verify_password
from herbert.auth.sessions import TIMED_OUT, end_all_sessions, rotate_session
from herbert.clock import utcnow
from herbert.extensions import db
from herbert.mail import notices
from herbert.mail.account_views import send_verification
from herbert.models import User

bp = Blueprint("auth", __name__)

SIGN_IN_FAILED = "Enter the email address and password for your account"
PENDING_MINUTES = 5  # time allowed between the password and the two-factor code
PENDING_MAX_ATTEMPTS = 5  # wrong codes before the password must be entered again

# Server-session keys during two-factor sign-in: ids and times only, never the email or password.
PENDING_KEYS = ("pending_user_id", "pending_until", "pending_next", "pending_attempts")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    return db.session.execute(db.select(User).filter_by(email=normalise_email(email))).scalar_one_or_none()


def start_signed_in_session(user: User) -> None:
    """A fresh session token at sign-in (no fixation), holding only the account id and when it signed in."""
    session.clear()
    session["user_id"] = user.id
    mark_authenticated()
    rotate_session(session)  # type: ignore[arg-type]
    record_event("sign-in", actor_user_id=user.id)
    notices.signed_in(user)  # remembers this browser; emails the carer when it is a new one


def start_pending_sign_in(user: User, next_path: str) -> None:
    """Password accepted, code still to come: remember who, until when, and where to go; not signed in yet."""
    session.clear()
    session["pending_user_id"] = user.id
    session["pending_until"] = (utcnow() + timedelta(minutes=PENDING_MINUTES)).isoformat()
    session["pending_next"] = next_path
    session["pending_attempts"] = 0
    rotate_session(session)  # type: ignore[arg-type]


def pending_user() -> User | None:
    """The account half-way through two-factor sign-in, if that step has not expired."""
    user_id, until = session.get("pending_user_id"), session.get("pending_until")
    if not user_id or not until or utcnow() > datetime.fromisoformat(until):
        return None
    user = db.session.get(User, user_id)
    if user is None or user.disabled or not two_factor.is_enabled(user):
        return None
    return user


def clear_pending() -> None:
    for key in PENDING_KEYS:
        session.pop(key, None)


@bp.route("/sign-up", methods=["GET", "POST"])
@sign_up_limits
def sign_up():
    form = SignUpForm()
    if form.validate_on_submit():
        email = normalise_email(form.email.data)
        if find_user(email) is None:
            user = User(email=email, password_hash=hash_password(form.password.data))
            db.session.add(user)
            db.session.commit()
            record_event("account-created", actor_user_id=user.id)
            send_verification(user)  # the carer can start at once; reminders wait for the confirmed address
            start_signed_in_session(user)
            return redirect(safe_next(request.args.get("next")))  # e.g. back to the invitation they came from
        form.email.errors.append("An account with this email address already exists. Sign in instead.")
    return render_template("auth/sign_up.html", form=form)


@bp.route("/sign-in", methods=["GET", "POST"])
@sign_in_limits
def sign_in():
    form = SignInForm()
    timed_out = bool(session.pop(TIMED_OUT, False))
    if form.validate_on_submit():
        email = normalise_email(form.email.data)
        if backoff.backing_off(email) and not backoff.known_device(email):
            # Guessing from many places: only browsers that have signed in to this account before may try now.
            return render_template("auth/sign_in_backoff.html", title="Too many attempts"), 429
        user = find_user(email)
        # Unknown, disabled and known accounts all cost one argon2 verification and get the same answer.
        stored = user.password_hash if user is not None and not user.disabled else None
        if verify_password(stored, form.password.data) and user is not None:
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(form.password.data)
                db.session.commit()
            next_path = safe_next(request.args.get("next"))
            if two_factor.is_enabled(user):
                start_pending_sign_in(user, next_path)
                return redirect(url_for("auth.security_code"))
            start_signed_in_session(user)
            response = redirect(next_path)
            backoff.remember_device(response, email)
            return response
        backoff.count_failure(email)
        form.email.errors.append(SIGN_IN_FAILED)
    return render_template("auth/sign_in.html", form=form, timed_out=timed_out)


@bp.route("/sign-in/security-code", methods=["GET", "POST"])
@two_factor_limits
def security_code():
    user = pending_user()
    if user is None:
        if session.get("pending_user_id"):
            flash("Sign in again: the time allowed to enter your security code ran out.")
        clear_pending()
        return redirect(url_for("auth.sign_in"))
    form = TwoFactorCodeForm()
    if form.validate_on_submit():
        if two_factor.verify_second_factor(user, form.code.data):
            next_path = safe_next(session.get("pending_next"))
            start_signed_in_session(user)
            response = redirect(next_path)
            backoff.remember_device(response, user.email)
            return response
        session["pending_attempts"] = int(session.get("pending_attempts", 0)) + 1
        if session["pending_attempts"] >= PENDING_MAX_ATTEMPTS:
            clear_pending()
            flash("Sign in again: too many security codes were not correct.")
            return redirect(url_for("auth.sign_in"))
        form.code.errors.append("The security code is not correct, or it has been used already")
    return render_template("auth/two_factor.html", form=form)


@bp.route("/sign-out", methods=["POST"])
@login_required
def sign_out():
    record_event("sign-out")
    end_all_sessions(g.user.id)
    session.clear()
    rotate_session(session)  # type: ignore[arg-type]  (a new anonymous session carries the message)
    flash("You have signed out on all your devices.")
    return redirect(url_for("pages.start"))
