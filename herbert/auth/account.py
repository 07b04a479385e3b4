"""Account page: password change, two-factor set-up, confirm-it-is-you, keep-alive, account deletion."""

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for

from herbert.audit import Action, record_event
from herbert.auth import two_factor
from herbert.auth.forms import (
    ChangePasswordForm,
    ConfirmActionForm,
    ConfirmIdentityForm,
    DeleteAccountForm,
    TwoFactorSetUpForm,
)
from herbert.auth.guard import fresh_auth_required, login_required, mark_authenticated, safe_next
from herbert.auth.limits import account_password_limits, two_factor_limits
from herbert.auth.passwords import hash_password, verify_password
from herbert.auth.sessions import end_all_sessions, rotate_session
from herbert.auth.sign_in import KNOWN_DEVICE
from herbert.care.members import account_deletion_plan, release_account
from herbert.care.organisations import sole_admin_of
from herbert.clock import utcnow
from herbert.extensions import db
from herbert.mail import notices
from herbert.models import User
from herbert.records import store

bp = Blueprint("account", __name__, url_prefix="/account")

PENDING_SECRET = "pending_totp_secret"  # noqa: S105  # nosec B105
WRONG_PASSWORD = "The password is not correct"  # noqa: S105  # nosec B105
WRONG_CODE = "The security code is not correct, or it has been used already"


@bp.route("")
@login_required
def overview():
    user = g.user
    return render_template(
        "account/overview.html",
        two_factor_on=two_factor.is_enabled(user),
        recovery_codes_left=two_factor.remaining_recovery_codes(user),
    )


@bp.route("/change-password", methods=["GET", "POST"])
@login_required
@account_password_limits
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = g.user
        if not verify_password(user.password_hash, form.current_password.data):
            form.current_password.errors.append("Your current password is not correct")
        elif form.new_password.data == form.current_password.data:
            form.new_password.errors.append("Your new password must be different from your current password")
        else:
            user.password_hash = hash_password(form.new_password.data)
            user.password_changed_at = utcnow()
            db.session.commit()
            record_event(Action.PASSWORD_CHANGE)
            notices.account_notice(user, "password-changed")
            # Every session of this account ends, on every device; this browser gets a brand-new one (still the
            # same known device, if it was one).
            known_device = session.get(KNOWN_DEVICE)
            end_all_sessions(user.id)
            session.clear()
            session["user_id"] = user.id
            if known_device:
                session[KNOWN_DEVICE] = known_device
            mark_authenticated()
            rotate_session(session)  # type: ignore[arg-type]
            flash("Your password has been changed. You have been signed out on all your other devices.")
            return redirect(url_for("account.overview"))
    return render_template("account/change_password.html", form=form)


@bp.route("/confirm-it-is-you", methods=["GET", "POST"])
@login_required
@account_password_limits
def confirm_identity():
    """The step-up check that fresh_auth_required sends people to: password, and code when two-factor is on."""
    user = g.user
    needs_code = two_factor.is_enabled(user)
    next_path = safe_next(request.args.get("next"), "account.overview")
    form = ConfirmIdentityForm()
    if form.validate_on_submit():
        if not verify_password(user.password_hash, form.password.data):
            form.password.errors.append(WRONG_PASSWORD)
        elif needs_code and not (form.code.data or "").strip():
            form.code.errors.append("Enter the security code")
        elif needs_code and not two_factor.verify_second_factor(user, form.code.data):
            form.code.errors.append(WRONG_CODE)
        else:
            mark_authenticated()
            record_event(Action.REAUTHENTICATE)
            return redirect(next_path)
    return render_template("account/confirm_identity.html", form=form, needs_code=needs_code)


@bp.route("/keep-alive", methods=["POST"])
@login_required
def keep_alive():
    """'Stay signed in': this request itself refreshes the session's idle timer (see sessions.py)."""
    if request.headers.get("X-Requested-With") == "fetch":
        return "", 204
    return redirect(safe_next(request.form.get("next"), "account.overview"))


@bp.route("/two-factor/set-up", methods=["GET", "POST"])
@login_required
@fresh_auth_required(max_age_minutes=15)
@two_factor_limits
def two_factor_set_up():
    user = g.user
    if two_factor.is_enabled(user):
        return redirect(url_for("account.overview"))
    secret = None
    if session.get(PENDING_SECRET):
        try:
            secret = two_factor.open_pending_secret(user.id, session[PENDING_SECRET])
        except (store.RecordUnreadable, ValueError):
            secret = None
    if secret is None:
        secret = two_factor.new_totp_secret()
        session[PENDING_SECRET] = two_factor.seal_pending_secret(user.id, secret)
    form = TwoFactorSetUpForm()
    if form.validate_on_submit():
        step = two_factor.matching_step(secret, form.code.data)
        if step is not None:
            codes = two_factor.enable(user, secret, step)
            session.pop(PENDING_SECRET, None)
            record_event(Action.TWO_FACTOR_ON)
            return render_template("account/recovery_codes.html", codes=codes, just_turned_on=True)
        form.code.errors.append("The code is not correct. Check the app shows codes for this service and try again")
    uri = two_factor.provisioning_uri(secret, user.email)
    return render_template(
        "account/two_factor_set_up.html",
        form=form,
        qr_code=two_factor.qr_code_data_uri(uri),
        otpauth_uri=uri,  # on a phone the QR code cannot be scanned by the same phone: this link opens the app
        grouped_secret=two_factor.group_secret(secret),
    )


@bp.route("/two-factor/recovery-codes", methods=["GET", "POST"])
@login_required
@fresh_auth_required(max_age_minutes=5)
def recovery_codes():
    """Replace the recovery codes (the old ones stop working); the new ones are shown once."""
    user = g.user
    if not two_factor.is_enabled(user):
        return redirect(url_for("account.overview"))
    form = ConfirmActionForm()
    if form.validate_on_submit():
        codes = two_factor.new_recovery_codes()
        two_factor.store_recovery_codes(user, codes)
        db.session.commit()
        record_event(Action.RECOVERY_CODES_REPLACE)
        return render_template("account/recovery_codes.html", codes=codes, just_turned_on=False)
    return render_template("account/new_recovery_codes.html", form=form)


@bp.route("/two-factor/turn-off", methods=["GET", "POST"])
@login_required
@fresh_auth_required(max_age_minutes=5)
def two_factor_turn_off():
    user = g.user
    if not two_factor.is_enabled(user):
        return redirect(url_for("account.overview"))
    form = ConfirmActionForm()
    if not user.is_org_admin and form.validate_on_submit():
        two_factor.disable(user)
        record_event(Action.TWO_FACTOR_OFF)
        notices.account_notice(user, "two-factor-off")
        flash("Two-factor sign-in is off. You will sign in with your password only.")
        return redirect(url_for("account.overview"))
    return render_template("account/two_factor_turn_off.html", form=form)


@bp.route("/delete", methods=["GET", "POST"])
@login_required
@account_password_limits
def delete():
    form = DeleteAccountForm()
    # An organisation must keep an admin: its residents' forms would have nobody to manage them.
    runs_alone = sole_admin_of(g.user.id)
    if form.validate_on_submit():
        user: User = g.user
        if runs_alone:
            names = ", ".join(organisation.name for organisation in runs_alone)
            form.password.errors.append(f"You are the only admin of {names}. Make someone else an admin first")
        elif not verify_password(user.password_hash, form.password.data):
            form.password.errors.append(WRONG_PASSWORD)
        else:
            user_id = user.id
            outcomes = release_account(user_id)
            erased = sum(1 for outcome in outcomes if outcome.what == "erased")
            handed = sum(1 for outcome in outcomes if outcome.what == "handed")
            record_event(
                Action.ACCOUNT_DELETE, detail=f"people erased: {erased}, handed over: {handed}", actor_user_id=user_id
            )
            end_all_sessions(user_id)
            db.session.execute(db.delete(User).filter_by(id=user_id))
            db.session.commit()
            g.user = None
            session.clear()
            rotate_session(session)  # type: ignore[arg-type]  (a new anonymous session carries the message)
            flash(deleted_message(erased, handed))
            return redirect(url_for("pages.start"))
    plan = account_deletion_plan(g.user.id)
    return render_template("account/delete.html", form=form, plan=plan, runs_alone=runs_alone)


def deleted_message(erased: int, handed: int = 0) -> str:
    if erased == 0:
        people = "No forms were erased: you had none that only you looked after."
    elif erased == 1:
        people = "We erased the form for 1 person that only you looked after. It cannot be recovered."
    else:
        people = f"We erased the forms for {erased} people that only you looked after. They cannot be recovered."
    if handed == 1:
        people += " We handed 1 form to the carer who has helped with it longest."
    elif handed > 1:
        people += f" We handed {handed} forms to the carers who have helped with them longest."
    return (
        "Your account has been deleted and you have been signed out everywhere. "
        + people
        + " Forms you shared with other carers stay with them."
    )
