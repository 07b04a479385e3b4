"""Sign up, sign in and sign out."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for

from herbert.auth.forms import SignInForm, SignUpForm
from herbert.auth.guard import login_required
from herbert.auth.passwords import hash_password, needs_rehash, verify_password
from herbert.auth.sessions import end_all_sessions, rotate_session
from herbert.extensions import db
from herbert.models import User

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str:
    """Only ever redirect back to a path on this site (no open redirects)."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("people.dashboard")


def start_signed_in_session(user: User) -> None:
    """A fresh session token at sign-in (no fixation), holding only the account id."""
    session.clear()
    session["user_id"] = user.id
    rotate_session(session)  # type: ignore[arg-type]


@bp.route("/sign-up", methods=["GET", "POST"])
def sign_up():
    form = SignUpForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        if db.session.execute(db.select(User).filter_by(email=email)).scalar_one_or_none() is None:
            user = User(email=email, password_hash=hash_password(form.password.data))
            db.session.add(user)
            db.session.commit()
            start_signed_in_session(user)
            return redirect(url_for("people.dashboard"))
        form.email.errors.append("An account with this email address already exists. Sign in instead.")
    return render_template("auth/sign_up.html", form=form)


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    form = SignInForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.execute(db.select(User).filter_by(email=email)).scalar_one_or_none()
        stored = user.password_hash if user is not None and not user.disabled else None
        if verify_password(stored, form.password.data) and user is not None:
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(form.password.data)
                db.session.commit()
            start_signed_in_session(user)
            return redirect(safe_next(request.args.get("next")))
        form.email.errors.append("Enter the email address and password for your account")
    return render_template("auth/sign_in.html", form=form)


@bp.route("/sign-out", methods=["POST"])
@login_required
def sign_out():
    end_all_sessions(g.user.id)
    session.clear()
    flash("You have signed out.")
    return redirect(url_for("pages.start"))
