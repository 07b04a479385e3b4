"""Sign up, sign in (password, then a two-factor code when it is on) and sign out."""


from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for

from herbert.audit import Action, record_event
from herbert.auth import backoff, two_factor
from herbert.auth.forms import SignInForm, SignUpForm, TwoFactorCodeForm
from herbert.auth.guard import login_required, safe_next
from herbert.auth.limits import sign_in_limits, sign_up_limits, two_factor_limits
from herbert.auth.passwords import hash_password, needs_rehash, verify_password
from herbert.auth.sessions import TIMED_OUT, end_all_sessions, rotate_session
from herbert.auth.sign_in import (
    PENDING_MAX_ATTEMPTS,
    clear_pending,
    find_user,
    normalise_email,
    pending_user,
    start_pending_sign_in,
    start_signed_in_session,
)
from herbert.extensions import db
from herbert.mail.account_tokens import send_verification
from herbert.models import User

bp = Blueprint("auth", __name__)

SIGN_IN_FAILED = "Enter the email address and password for your account"


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
            record_event(Action.ACCOUNT_CREATE, actor_user_id=user.id)
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
    record_event(Action.SIGN_OUT)
    end_all_sessions(g.user.id)
    session.clear()
    rotate_session(session)  # type: ignore[arg-type]  (a new anonymous session carries the message)
    flash("You have signed out on all your devices.")
    return redirect(url_for("pages.start"))
