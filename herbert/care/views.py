"""The carers pages: "People who can see this form", inviting (a person, or a care home or other organisation),
changing roles, removing, leaving, the shared activity trail, and accepting an invitation."""

import logging
import re

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for

from herbert.access import (
    ROLE_HINTS,
    ROLE_LABELS,
    OrganisationRole,
    Permission,
    Role,
    current_access,
    current_person,
    person_required,
    role_of,
)
from herbert.audit import Action, action_label, events_for_person, record_event
from herbert.care import invitations, members, organisations
from herbert.care.forms import ButtonForm, ChooseOrganisationForm, ConfirmForm, HandOverForm, InviteForm, RoleForm
from herbert.extensions import db
from herbert.links import public_url_for
from herbert.mail.delivery import queue_email
from herbert.mail.senders import email_reaches_carers
from herbert.models import Invitation, Organisation, Person, User
from herbert.records import store

log = logging.getLogger(__name__)

bp = Blueprint("care", __name__)

ACTIVITY_LIMIT = 100
USER_REF = re.compile(r"\buser (\d+)\b")


def _carers_url(person_id: str) -> str:
    return url_for("care.carers", person_id=person_id)


def _summary_name() -> str:
    try:
        return store.load_summary(current_person()).get("name", "")
    except store.RecordUnreadable:
        return ""


# --- the carers page ------------------------------------------------------------------------------


@bp.route("/people/<person_id>/carers")
@person_required(Permission.VIEW)
def carers(person_id: str):
    person = current_person()
    access = current_access()
    residency = organisations.residency_of(person.id)
    home = organisations.organisation(residency.organisation_id) if residency else None
    return render_template(
        "care/carers.html",
        person=person,
        name=_summary_name(),
        carers=members.carers_of(person.id),
        invitations=invitations.pending(person.id),
        me_id=access.membership.id if access.membership else None,
        my_role=access.role,
        through=home if access.organisation_id else None,
        home=home,
        home_role=role_of(residency.role) if residency else None,
        role_labels=ROLE_LABELS,
        role_hints=ROLE_HINTS,
        cancel_form=ButtonForm(),
    )


@bp.route("/people/<person_id>/carers/invite", methods=["GET", "POST"])
@person_required(Permission.MANAGE)
def invite(person_id: str):
    person = current_person()
    form = InviteForm()
    if form.validate_on_submit():
        for_organisation = form.who.data == "organisation"
        try:
            invitation, token = invitations.create(
                person, form.email.data, Role(form.role.data), g.user.id, for_organisation=for_organisation
            )
        except invitations.InviteProblem as problem:
            form.email.errors.append(str(problem))
        else:
            kind = "an organisation" if for_organisation else "a person"
            record_event(Action.CARER_INVITE, person_id=person.id, detail=f"invitation {invitation.id}, {kind}, "
                         f"{invitation.role}")  # fmt: skip
            return invitation_ready(person, invitation, token)
    return render_template("care/invite.html", person=person, form=form, role_hints=ROLE_HINTS)


def invitation_ready(person: Person, invitation: Invitation, token: str):
    """Email the invitation when the service sends email (the job mints a fresh token for the link, so the one
    made here is never shown); otherwise show the link once, for the inviter to pass on themselves."""
    emailed = send_invitation_email(invitation)
    return render_template(
        "care/invitation_created.html",
        person=person,
        invitation=invitation,
        link=None if emailed else public_url_for("care.accept", token=token),
        role_label=ROLE_LABELS[role_of(invitation.role)].lower(),
        emailed=emailed,
        days=invitations.INVITATION_DAYS,
    )


def send_invitation_email(invitation: Invitation) -> bool:
    """Queue the invitation email (it names who invited and the role, never the person the form is about).
    False when email is off, or the message could not be queued: the page then shows the link instead."""
    if not email_reaches_carers(current_app):
        return False
    kind = "organisation-invitation" if invitation.for_organisation else "carer-invitation"
    role = ROLE_LABELS[role_of(invitation.role)].lower()
    try:
        queue_email(g.user, kind, to=invitation.email, invitation_id=invitation.id, inviter=g.user.email, role=role)
    except Exception as error:  # noqa: BLE001 - any failure to queue: the carer gets the link to pass on instead
        db.session.rollback()
        log.error("invitation %s not queued (%s)", invitation.id, type(error).__name__)
        return False
    return True


@bp.route("/people/<person_id>/carers/invitations/<int:invitation_id>/cancel", methods=["POST"])
@person_required(Permission.MANAGE)
def cancel_invitation(person_id: str, invitation_id: int):
    person = current_person()
    if not ButtonForm().validate_on_submit():
        abort(400)
    if invitations.cancel(person, invitation_id) is None:
        abort(404)
    record_event(Action.CARER_INVITE_CANCEL, person_id=person.id, detail=f"invitation {invitation_id}")
    flash("The invitation has been cancelled. The link no longer works.")
    return redirect(_carers_url(person.id))


def _other_carer(membership_id: int):
    row = members.membership(current_person(), membership_id)
    if row is None:
        abort(404)
    email = db.session.execute(db.select(User.email).filter_by(id=row.user_id)).scalar_one()
    return row, email


GONE = "That carer has already left or been removed."


@bp.route("/people/<person_id>/carers/<int:membership_id>/role", methods=["GET", "POST"])
@person_required(Permission.MANAGE)
def change_role(person_id: str, membership_id: int):
    person = current_person()
    row, email = _other_carer(membership_id)
    form = RoleForm(data={"role": row.role} if request.method == "GET" else None)
    if form.validate_on_submit():
        user_id = row.user_id
        try:
            old = members.change_role(row, Role(form.role.data))
        except members.CarerGone:
            flash(GONE)
            return redirect(_carers_url(person.id))
        except members.LastOwner:
            form.role.errors.append(
                "The form must always have an owner. Make someone else an owner first, then change this role"
            )
        else:
            new = Role(form.role.data)
            if old != new:
                record_event(Action.CARER_ROLE, person_id=person.id, detail=f"user {user_id}, {old} to {new}")
                flash(f"{email} is now {ROLE_LABELS[new].lower()}.")
            if user_id == g.user.id and new != Role.OWNER:
                return redirect(url_for("people.overview", person_id=person.id))
            return redirect(_carers_url(person.id))
    return render_template("care/change_role.html", person=person, form=form, email=email, role_hints=ROLE_HINTS)


@bp.route("/people/<person_id>/carers/<int:membership_id>/remove", methods=["GET", "POST"])
@person_required(Permission.MANAGE)
def remove(person_id: str, membership_id: int):
    person = current_person()
    row, email = _other_carer(membership_id)
    if row.user_id == g.user.id:
        return redirect(url_for("care.leave", person_id=person.id))
    form = ConfirmForm()
    if form.validate_on_submit():
        if form.confirm.data == "yes":
            user_id = row.user_id
            try:
                members.remove(row)
            except members.CarerGone:
                flash(GONE)
                return redirect(_carers_url(person.id))
            except members.LastOwner:
                form.confirm.errors.append("The form must always have an owner. Make someone else an owner first")
                return render_template("care/remove.html", person=person, form=form, email=email)
            record_event(Action.CARER_REMOVE, person_id=person.id, detail=f"user {user_id}")
            flash(f"{email} can no longer see this form.")
        return redirect(_carers_url(person.id))
    return render_template("care/remove.html", person=person, form=form, email=email)


@bp.route("/people/<person_id>/carers/leave", methods=["GET", "POST"])
@person_required(Permission.VIEW)
def leave(person_id: str):
    """Leave the form. The last owner must hand ownership to another carer (or delete the record). Staff who see
    the form only through their organisation are told who can change that."""
    person = current_person()
    access = current_access()
    me = access.membership
    if me is None:
        home = organisations.organisation(access.organisation_id or "")
        return render_template("care/leave_through_organisation.html", person=person, home=home)
    others = [carer for carer in members.carers_of(person.id) if carer.membership_id != me.id]
    last_owner = role_of(me.role) == Role.OWNER and store.owner_count(person.id, except_membership=me.id) == 0
    if last_owner:
        form = HandOverForm()
        form.successor.choices = {
            str(carer.membership_id): f"{carer.email} ({ROLE_LABELS[carer.role].lower()})" for carer in others
        }
        if others and form.validate_on_submit():
            successor = members.membership(person, int(form.successor.data))
            if successor is None:
                abort(400)
            successor_user = successor.user_id
            try:
                members.hand_over_and_leave(me, successor)
            except members.CarerGone:
                flash(GONE)
                return redirect(_carers_url(person.id))
            record_event(Action.CARER_HANDOVER, person_id=person.id, detail=f"user {successor_user} became owner")
            record_event(Action.CARER_LEAVE, person_id=person.id)
            flash("You have left the form and handed it over. You can no longer see it.")
            return redirect(url_for("people.dashboard"))
        return render_template("care/leave_last_owner.html", person=person, form=form, others=others)
    form = ConfirmForm()
    if form.validate_on_submit():
        if form.confirm.data != "yes":
            return redirect(_carers_url(person.id))
        try:
            members.leave(me)
        except members.CarerGone:
            return redirect(url_for("people.dashboard"))
        except members.LastOwner:  # the other owner left or was demoted meanwhile: hand over first
            return redirect(url_for("care.leave", person_id=person.id))
        record_event(Action.CARER_LEAVE, person_id=person.id)
        flash("You have left the form. You can no longer see it.")
        return redirect(url_for("people.dashboard"))
    return render_template("care/leave.html", person=person, form=form)


# --- the shared activity trail --------------------------------------------------------------------


def activity_rows(person_id: str, limit: int = ACTIVITY_LIMIT) -> list[dict]:
    """Every carer sees the same trail: when, who (their email, "Police" for share opens) and what.
    Event text holds ids only; user ids are shown as the carer's email address."""
    events = events_for_person(person_id, limit=limit)
    ids = {e.actor_user_id for e in events if e.actor_user_id}
    for event in events:
        ids.update(int(number) for number in USER_REF.findall(event.detail or ""))
    emails = dict(db.session.execute(db.select(User.id, User.email).where(User.id.in_(ids))).all()) if ids else {}

    def who(user_id: int | None, action: str) -> str:
        if user_id is None:
            return "Police (share link)" if action.startswith("share.") else "The service"
        return emails.get(user_id, "A former carer")

    def detail(text: str) -> str:
        return USER_REF.sub(lambda match: emails.get(int(match.group(1)), "a former carer"), text or "")

    return [
        {"at": e.at, "who": who(e.actor_user_id, e.action), "what": action_label(e.action), "detail": detail(e.detail)}
        for e in events
    ]


@bp.route("/people/<person_id>/activity")
@person_required(Permission.VIEW)
def activity(person_id: str):
    person = current_person()
    return render_template("care/activity.html", person=person, rows=activity_rows(person.id))


# --- accepting an invitation ----------------------------------------------------------------------

ENDED = {
    invitations.State.USED: "This invitation has already been used. Each invitation link works once.",
    invitations.State.EXPIRED: "This invitation has ended: invitations last 7 days. Ask for a new one.",
    invitations.State.CANCELLED: "This invitation was cancelled. Ask for a new one if you still need it.",
    invitations.State.UNKNOWN: "This invitation link is not right. Check you copied all of it, or ask for a new one.",
}


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept(token: str):
    """Anyone with the link sees only what it is; the invited address signs in (or up), confirms the address,
    and accepts (for an invitation to an organisation: an admin of it, choosing which of theirs)."""
    g.personal_page = True
    g.referrer_policy = "no-referrer"
    state, invitation = invitations.look_up(token)
    if state != invitations.State.OPEN or invitation is None:
        return render_template("care/invitation_ended.html", message=ENDED[state]), 410
    inviter = db.session.get(User, invitation.invited_by) if invitation.invited_by else None
    role = role_of(invitation.role)
    context = {
        "inviter": inviter.email if inviter else "A carer",
        "role_label": ROLE_LABELS[role].lower(),
        "role_hint": ROLE_HINTS[role],
        "next_path": request.path,
        "for_organisation": invitation.for_organisation,
    }
    user = g.get("user")
    if user is None:
        return render_template("care/accept_signed_out.html", **context)
    if invitations.normalise_email(user.email) != invitation.email:
        # At most once per invitation and account: reloading the page must not flood the carers' activity log.
        record_event(Action.CARER_INVITE_REFUSE, person_id=invitation.person_id, detail=f"invitation {invitation.id}")
        return render_template("care/accept_wrong_account.html", signed_in_as=user.email, **context), 403
    if user.email_verified_at is None:
        return render_template("care/confirm_address_first.html", address=user.email, next_path=request.path), 403
    if invitation.for_organisation:
        return _accept_for_organisation(token, invitation, user, context)
    form = ButtonForm()
    if form.validate_on_submit():
        accepted = invitations.accept(token, user)
        if accepted is None:
            return render_template("care/invitation_ended.html", message=ENDED[invitations.State.USED]), 410
        record_event(
            Action.CARER_JOIN,
            person_id=accepted.person_id,
            detail=f"user {user.id}, {accepted.role}, invitation {invitation.id}",
        )
        _record_discharge(accepted, "handed to a carer")
        flash(f"You can now see this form as {ROLE_LABELS[accepted.role].lower()}.")
        return redirect(url_for("people.overview", person_id=accepted.person_id))
    return render_template("care/accept.html", form=form, **context)


def _record_discharge(accepted: invitations.Accepted, how: str) -> None:
    if accepted.discharged_from:
        detail = f"organisation {accepted.discharged_from}, {how}, invitation {accepted.invitation_id}"
        record_event(Action.RESIDENT_DISCHARGE, person_id=accepted.person_id, detail=detail)


def _accept_for_organisation(token: str, invitation: Invitation, user: User, context: dict):
    """The form is to be kept by an organisation: an admin of one accepts, choosing which of theirs."""
    runs = [
        organisation
        for organisation, post in organisations.posts_of(user.id)
        if post.role == OrganisationRole.ADMIN.value and organisation.id != invitation.discharge_from
    ]
    if not runs:
        return render_template("care/accept_needs_organisation.html", **context), 403
    form = ChooseOrganisationForm()
    form.organisation.choices = {organisation.id: organisation.name for organisation in runs}
    if form.validate_on_submit():
        try:
            accepted = invitations.accept_for_organisation(token, user, form.organisation.data)
        except invitations.AlreadyResident:
            form.organisation.errors = ["They already live with another organisation. It must discharge them first"]
        else:
            if accepted is None:
                return render_template("care/invitation_ended.html", message=ENDED[invitations.State.USED]), 410
            record_event(
                Action.RESIDENT_ADMIT,
                person_id=accepted.person_id,
                detail=f"organisation {accepted.organisation_id}, invitation {invitation.id}, {accepted.role}",
            )
            _record_discharge(accepted, "moved to another organisation")
            home = db.session.get(Organisation, accepted.organisation_id)
            person = db.session.get(Person, accepted.person_id)
            if home is not None and person is not None:
                organisations.fill_in_care_setting(person, home)
            flash(f"{home.name if home else 'Your organisation'} now looks after this form.")
            return redirect(url_for("people.overview", person_id=accepted.person_id))
    return render_template("care/accept_for_organisation.html", form=form, runs=runs, **context)
