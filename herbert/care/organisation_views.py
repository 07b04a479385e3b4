"""Organisation pages: setting one up, the residents dashboard, admitting residents, staff and their invitations,
removing a leaver, the organisation's audit view; and, on a resident's record, their unit and their discharge.

Every /organisations/<organisation_id>/... page goes through access.organisation_required (404 for anyone not
on the staff, 403 for staff on an admin page, two-factor for admins); every /people/<person_id>/... page through
access.person_required, as everywhere else.
"""

import logging

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from herbert import caps
from herbert.access import (
    ROLE_HINTS,
    ROLE_LABELS,
    OrganisationRole,
    Permission,
    Role,
    current_access,
    current_organisation,
    current_person,
    organisation_required,
    person_required,
    role_of,
)
from herbert.audit import (
    ORGANISATION_EVENT_KINDS,
    Action,
    action_label,
    events_for_organisation,
    organisation_marker,
    record_event,
)
from herbert.auth.guard import login_required
from herbert.auth.limits import import_limits
from herbert.care import invitations, organisations, residents
from herbert.care.forms import (
    DISCHARGE_CHOICES,
    ButtonForm,
    ConfirmForm,
    DischargeForm,
    OrganisationForm,
    StaffChangeForm,
    StaffInviteForm,
    UnitForm,
)
from herbert.care.views import ENDED, invitation_ready
from herbert.clock import utcnow
from herbert.extensions import db
from herbert.handover.transfer.forms import ImportForm
from herbert.handover.transfer.importer import import_package
from herbert.handover.transfer.unpack import MAX_PACKAGE_BYTES, PackageRejected
from herbert.links import public_url_for
from herbert.mail.delivery import queue_email
from herbert.mail.senders import email_reaches_carers
from herbert.models import OrganisationInvitation, Person, Residency, User
from herbert.questions.registry import SECTIONS
from herbert.records import erasure, store

bp = Blueprint("organisations", __name__)
log = logging.getLogger(__name__)

ADMIN, STAFF = OrganisationRole.ADMIN, OrganisationRole.STAFF


def _marker() -> str:
    return organisation_marker(current_organisation().id)


def _residents_url() -> str:
    return url_for("organisations.residents", organisation_id=current_organisation().id)


def _staff_url() -> str:
    return url_for("organisations.staff", organisation_id=current_organisation().id)


# --- your organisations, and setting one up -------------------------------------------------------


@bp.route("/organisations")
@login_required
def index():
    return render_template("organisations/index.html", posts=organisations.posts_of(g.user.id))


@bp.route("/organisations/new", methods=["GET", "POST"])
@login_required
def new():
    form = OrganisationForm()
    if form.validate_on_submit():
        organisation = organisations.create(
            g.user, form.name.data, form.kind.data, form.address.data, form.postcode.data or "", form.phone.data or ""
        )
        record_event(Action.ORGANISATION_CREATE, detail=f"{organisation_marker(organisation.id)} user {g.user.id}")
        flash("Your organisation is set up. Admins must use two-factor sign-in: turn it on to carry on.")
        return redirect(url_for("organisations.residents", organisation_id=organisation.id))
    return render_template("organisations/new.html", form=form)


@bp.route("/organisations/<organisation_id>")
@organisation_required(STAFF)
def home(organisation_id: str):
    return redirect(_residents_url())


# --- the residents dashboard ----------------------------------------------------------------------


TAG_CLASSES = {
    residents.MISSING: "govuk-tag--red",
    residents.REVIEW: "govuk-tag--orange",
    residents.PHOTO: "govuk-tag--yellow",
    residents.DRAFT: "govuk-tag--grey",
}


@bp.route("/organisations/<organisation_id>/residents", methods=["GET", "POST"], endpoint="residents")
@organisation_required(STAFF)
def residents_dashboard(organisation_id: str):
    """Every resident with what their form needs, most urgent on top; search by name, filter by unit and need.

    The search and unit filters come by POST (names and units are personal: never in a URL); the "needs" filter
    is not personal, so the counts link to it with ?needs=. Nothing here writes.
    """
    organisation = current_organisation()
    source = request.form if request.method == "POST" else request.args
    if request.method == "POST" and not FlaskForm().validate_on_submit():
        abort(400)
    search = (source.get("name", "") if request.method == "POST" else "")[: residents.SEARCH_MAX]
    unit = (source.get("unit", "") if request.method == "POST" else "")[:60]
    need = source.get("needs", "")
    board = residents.dashboard(organisation.id, utcnow(), search, unit, need)
    page = _page_number(source.get("page", "1"), len(board.rows))
    start = (page - 1) * residents.PAGE_SIZE
    is_admin = g.post.role == ADMIN.value
    return render_template(
        "organisations/residents.html",
        organisation=organisation,
        is_admin=is_admin,
        can_edit=is_admin or g.post.resident_role == Role.EDITOR.value,
        board=board,
        rows=board.rows[start : start + residents.PAGE_SIZE],
        page=page,
        pages=max(1, -(-len(board.rows) // residents.PAGE_SIZE)),
        search=search,
        unit=unit,
        need=need if need in residents.NEEDS else "",
        needs=residents.NEEDS,
        tag_classes=TAG_CLASSES,
    )


def _page_number(text: str, count: int) -> int:
    pages = max(1, -(-count // residents.PAGE_SIZE))
    return int(text) if text.isdigit() and 1 <= int(text) <= pages else 1


# --- admitting a resident -------------------------------------------------------------------------


def _room_for_another() -> str | None:
    limit = caps.cap("MAX_RESIDENTS_PER_ORGANISATION")
    if caps.residents_held(current_organisation().id) >= limit:
        return caps.RESIDENTS_FULL.format(limit=limit)
    return None


@bp.route("/organisations/<organisation_id>/residents/new", methods=["GET", "POST"])
@organisation_required(ADMIN)
def admit_resident(organisation_id: str):
    """Admit with a new, empty form (section L already filled in from the organisation)."""
    organisation = current_organisation()
    form = FlaskForm()
    full = _room_for_another()
    if form.validate_on_submit():
        if full:
            page = render_template(
                "organisations/admit.html", organisation=organisation, form=form, full=full, cap_error=full
            )
            return page, 400
        person_id = organisations.admit_new(organisation, g.user.id)
        record_event(Action.RESIDENT_ADMIT, person_id=person_id, detail=f"{_marker()} new form")
        first = SECTIONS[0]
        return redirect(
            url_for("questions.page", person_id=person_id, section_slug=first.slug, page_slug=first.pages[0].slug)
        )
    return render_template("organisations/admit.html", organisation=organisation, form=form, full=full)


@bp.route("/organisations/<organisation_id>/residents/import", methods=["GET", "POST"])
@organisation_required(ADMIN)
@import_limits
def import_resident(organisation_id: str):
    """Admit with a family's export package (checked whole first; nothing is stored if any of it is refused)."""
    organisation = current_organisation()
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.package.data
        if upload is None or not getattr(upload, "filename", ""):
            form.package.errors = ["Select the export package (.zip) to import"]
        else:
            try:
                person_id = import_package(upload.read(MAX_PACKAGE_BYTES + 1), g.user.id, organisation.id)
            except PackageRejected as rejected:
                form.package.errors = [rejected.message]
            else:
                person = db.session.get(Person, person_id)
                assert person is not None
                organisations.fill_in_care_setting(person, organisation)
                record_event(Action.RESIDENT_ADMIT, person_id=person_id, detail=f"{_marker()} export package")
                flash("The form was imported. They are now one of your residents.")
                return redirect(url_for("people.overview", person_id=person_id))
    return render_template("organisations/import.html", organisation=organisation, form=form)


# --- staff ----------------------------------------------------------------------------------------


@bp.route("/organisations/<organisation_id>/staff")
@organisation_required(ADMIN)
def staff(organisation_id: str):
    organisation = current_organisation()
    return render_template(
        "organisations/staff.html",
        organisation=organisation,
        staff=organisations.staff_of(organisation.id),
        invitations=organisations.pending_staff_invitations(organisation.id),
        me_id=g.post.id,
        post_labels=organisations.POST_LABELS,
        role_labels=ROLE_LABELS,
        cancel_form=ButtonForm(),
    )


@bp.route("/organisations/<organisation_id>/staff/invite", methods=["GET", "POST"])
@organisation_required(ADMIN)
def invite_staff(organisation_id: str):
    organisation = current_organisation()
    form = StaffInviteForm()
    if form.validate_on_submit():
        post, resident_role = OrganisationRole(form.post.data), Role(form.resident_role.data)
        try:
            invitation, token = organisations.invite_staff(
                organisation, form.email.data, post, resident_role, g.user.id
            )
        except organisations.StaffProblem as problem:
            form.email.errors.append(str(problem))
        else:
            record_event(Action.STAFF_INVITE, detail=f"{_marker()} invitation {invitation.id}, {post}, {resident_role}")
            emailed = _email_staff_invitation(invitation, organisation.name)
            return render_template(
                "organisations/invitation_created.html",
                organisation=organisation,
                invitation=invitation,
                link=None if emailed else public_url_for("organisations.accept_invitation", token=token),
                post_label=organisations.POST_LABELS[post].lower(),
                emailed=emailed,
                days=invitations.INVITATION_DAYS,
            )
    return render_template("organisations/invite.html", organisation=organisation, form=form, role_hints=ROLE_HINTS)


def _email_staff_invitation(invitation: OrganisationInvitation, organisation_name: str) -> bool:
    """Email a staff invitation when the service sends email (the job mints the link's token); otherwise the
    admin passes the link on. The email names the organisation and who invited them, nobody cared for."""
    if not email_reaches_carers(current_app):
        return False
    post = organisations.POST_LABELS[organisations.post_of(invitation.role)].lower()
    try:
        queue_email(
            g.user,
            "staff-invitation",
            to=invitation.email,
            staff_invitation_id=invitation.id,
            inviter=g.user.email,
            organisation=organisation_name,
            post=post,
        )
    except Exception as error:  # noqa: BLE001 - any failure to queue: the admin gets the link instead
        db.session.rollback()
        log.error("staff invitation %s not queued (%s)", invitation.id, type(error).__name__)
        return False
    return True


@bp.route("/organisations/<organisation_id>/staff/invitations/<int:invitation_id>/cancel", methods=["POST"])
@organisation_required(ADMIN)
def cancel_staff_invitation(organisation_id: str, invitation_id: int):
    if not ButtonForm().validate_on_submit():
        abort(400)
    if not organisations.cancel_staff_invitation(current_organisation().id, invitation_id):
        abort(404)
    record_event(Action.STAFF_INVITE_CANCEL, detail=f"{_marker()} invitation {invitation_id}")
    flash("The invitation has been cancelled. The link no longer works.")
    return redirect(_staff_url())


def _member(member_id: int) -> tuple:
    member = organisations.member_of(current_organisation().id, member_id)
    if member is None:
        abort(404)
    email = db.session.execute(db.select(User.email).filter_by(id=member.user_id)).scalar_one()
    return member, email


LAST_ADMIN = "The organisation must always have an admin. Make someone else an admin first"


@bp.route("/organisations/<organisation_id>/staff/<int:member_id>", methods=["GET", "POST"])
@organisation_required(ADMIN)
def change_staff(organisation_id: str, member_id: int):
    organisation = current_organisation()
    member, email = _member(member_id)
    data = {"post": member.role, "resident_role": member.resident_role} if request.method == "GET" else None
    form = StaffChangeForm(data=data)
    if form.validate_on_submit():
        post, resident_role = OrganisationRole(form.post.data), Role(form.resident_role.data)
        user_id, before = member.user_id, (member.role, member.resident_role)
        try:
            changed = organisations.change_post(member, post, resident_role)
        except organisations.LastAdmin:
            form.post.errors.append(LAST_ADMIN)
        else:
            if not changed:
                flash("They are no longer on the staff.")
            elif before != (post.value, resident_role.value):
                record_event(
                    Action.STAFF_CHANGE, detail=f"{_marker()} user {user_id}, {before[0]} to {post}, {resident_role}"
                )
                flash(f"{email} is now {organisations.POST_LABELS[post].lower()}.")
            return redirect(_staff_url())
    return render_template(
        "organisations/change_staff.html", organisation=organisation, form=form, email=email, role_hints=ROLE_HINTS
    )


@bp.route("/organisations/<organisation_id>/staff/<int:member_id>/remove", methods=["GET", "POST"])
@organisation_required(ADMIN)
def remove_staff(organisation_id: str, member_id: int):
    """A leaver: removed in one step, every resident closed to them and every session of theirs ended."""
    organisation = current_organisation()
    member, email = _member(member_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        if form.confirm.data != "yes":
            return redirect(_staff_url())
        user_id, yourself = member.user_id, member.user_id == g.user.id
        try:
            removed = organisations.remove_leaver(member)
        except organisations.LastAdmin:
            form.confirm.errors.append(LAST_ADMIN)
        else:
            if removed:
                # The actor is named: after removing yourself there is no signed-in account left to default to.
                actor = g.user.id
                record_event(Action.STAFF_REMOVE, detail=f"{_marker()} user {user_id}", actor_user_id=actor)
            if yourself:
                return redirect(url_for("auth.sign_in"))
            flash(f"{email} has been removed. They can no longer see any resident, and they have been signed out.")
            return redirect(_staff_url())
    return render_template(
        "organisations/remove_staff.html",
        organisation=organisation,
        form=form,
        email=email,
        yourself=member.user_id == g.user.id,
    )


# --- the organisation's audit view ----------------------------------------------------------------


@bp.route("/organisations/<organisation_id>/activity")
@organisation_required(ADMIN)
def activity(organisation_id: str):
    """Who viewed, edited, printed and shared residents' forms, and who changed the staff."""
    organisation = current_organisation()
    kind = request.args.get("kind", "")
    kind = kind if kind in ORGANISATION_EVENT_KINDS else ""
    resident_ids = list(
        db.session.execute(db.select(Residency.person_id).filter_by(organisation_id=organisation.id)).scalars()
    )
    events = events_for_organisation(organisation.id, resident_ids, kind)
    user_ids = {event.actor_user_id for event in events if event.actor_user_id}
    emails = (
        dict(db.session.execute(db.select(User.id, User.email).where(User.id.in_(user_ids))).all()) if user_ids else {}
    )
    names = store.names_of(event.person_id for event in events if event.person_id)
    marker = _marker()

    def who(event) -> str:
        if event.actor_user_id is None:
            return "Police (share link)" if event.action.startswith("share.") else "The service"
        return emails.get(event.actor_user_id, "A former carer")

    def about(event) -> str:
        if event.person_id:
            return names.get(event.person_id) or "A former resident"
        return "Staff" if event.detail.startswith(marker) else ""

    rows = [{"at": e.at, "who": who(e), "what": action_label(e.action), "about": about(e)} for e in events]
    return render_template(
        "organisations/activity.html",
        organisation=organisation,
        rows=rows,
        kind=kind,
        kinds={key: label for key, (label, _actions) in ORGANISATION_EVENT_KINDS.items()},
    )


# --- joining the staff ----------------------------------------------------------------------------


@bp.route("/staff-invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    g.personal_page = True
    g.referrer_policy = "no-referrer"
    state, invitation = organisations.look_up_staff_invitation(token)
    if state != invitations.State.OPEN or invitation is None:
        return render_template("care/invitation_ended.html", message=ENDED[state]), 410
    organisation = organisations.organisation(invitation.organisation_id)
    inviter = db.session.get(User, invitation.invited_by) if invitation.invited_by else None
    post = organisations.post_of(invitation.role)
    context = {
        "organisation": organisation,
        "inviter": inviter.email if inviter else "An admin",
        "post_label": organisations.POST_LABELS[post].lower(),
        "is_admin": post == ADMIN,
        "resident_label": ROLE_LABELS[role_of(invitation.resident_role)].lower(),
        "next_path": request.path,
    }
    user = g.get("user")
    if user is None:
        return render_template("organisations/accept_signed_out.html", **context)
    if invitations.normalise_email(user.email) != invitation.email:
        record_event(
            Action.STAFF_INVITE_REFUSE,
            detail=f"{organisation_marker(invitation.organisation_id)} invitation {invitation.id}",
        )
        return render_template("care/accept_wrong_account.html", signed_in_as=user.email, **context), 403
    if user.email_verified_at is None:
        return render_template("care/confirm_address_first.html", address=user.email, next_path=request.path), 403
    form = ButtonForm()
    if form.validate_on_submit():
        member = organisations.accept_staff_invitation(token, user)
        if member is None:
            return render_template("care/invitation_ended.html", message=ENDED[invitations.State.USED]), 410
        record_event(
            Action.STAFF_JOIN,
            detail=f"{organisation_marker(invitation.organisation_id)} user {user.id}, invitation {invitation.id}",
        )
        flash(f"You have joined {organisation.name if organisation else 'the organisation'}.")
        return redirect(url_for("organisations.residents", organisation_id=invitation.organisation_id))
    return render_template("organisations/accept.html", form=form, **context)


# --- a resident's unit, and their discharge -------------------------------------------------------


def _residency() -> Residency:
    """The residency of the current person: these pages are only for someone an organisation looks after."""
    residency = organisations.residency_of(current_person().id)
    if residency is None:
        abort(404)
    return residency


@bp.route("/people/<person_id>/unit", methods=["GET", "POST"])
@person_required(Permission.EDIT)
def resident_unit(person_id: str):
    person = current_person()
    residency = _residency()
    summary = store.load_summary(person)
    form = UnitForm(data={"unit": summary.get("unit", "")} if request.method == "GET" else None)
    if form.validate_on_submit():
        organisations.set_unit(person, form.unit.data or "")
        record_event(Action.RESIDENT_UNIT, person_id=person.id, detail=organisation_marker(residency.organisation_id))
        flash("Unit, floor or wing saved.")
        back = request.args.get("from") == "residents" and current_access().organisation_id
        if back:
            return redirect(url_for("organisations.residents", organisation_id=residency.organisation_id))
        return redirect(url_for("people.overview", person_id=person.id))
    return render_template("organisations/unit.html", person=person, form=form, name=summary.get("name", ""))


def _discharge_choices(person: Person, residency: Residency) -> dict[str, str]:
    """What applies: the organisation's admins hand the form on, end their access (when the family owns it too)
    or erase it (when nobody else has it); an owner from the family can end the organisation's access."""
    through_organisation = current_access().organisation_id == residency.organisation_id
    others_own = store.owner_count(person.id, except_residency=True) > 0
    choices = {}
    if through_organisation:
        choices["family"] = DISCHARGE_CHOICES["family"]
        choices["organisation"] = DISCHARGE_CHOICES["organisation"]
    if others_own or role_of(residency.role) != Role.OWNER:
        choices["end"] = DISCHARGE_CHOICES["end"]
    if through_organisation and organisations.carers_outside(person.id) == 0:
        choices["erase"] = DISCHARGE_CHOICES["erase"]
    return choices


@bp.route("/people/<person_id>/discharge", methods=["GET", "POST"])
@person_required(Permission.MANAGE)
def discharge(person_id: str):
    """A resident leaves: hand the form to their family or another organisation as owner (the organisation's
    access ends when they accept), end the organisation's access, or export then erase it."""
    person = current_person()
    residency = _residency()
    home = organisations.organisation(residency.organisation_id)
    form = DischargeForm()
    form.destination.choices = _discharge_choices(person, residency)
    if form.validate_on_submit():
        destination = form.destination.data
        marker = organisation_marker(residency.organisation_id)
        if destination == "erase":
            return redirect(url_for("organisations.erase_resident", person_id=person.id))
        if destination == "end":
            try:
                ended = organisations.end_residency(person, residency.organisation_id)
            except organisations.FamilyNeedsAnOwner:
                form.destination.errors = ["Their family must own the form first: hand it to them instead"]
            else:
                if ended:
                    record_event(Action.RESIDENT_DISCHARGE, person_id=person.id, detail=f"{marker} access ended")
                flash(f"{home.name if home else 'The organisation'} no longer looks after this form.")
                if current_access().organisation_id:
                    return redirect(url_for("organisations.residents", organisation_id=residency.organisation_id))
                return redirect(url_for("people.overview", person_id=person.id))
        elif not form.email.data:
            form.email.errors = ["Enter their email address"]
        elif destination == "family" and (carer := organisations.existing_carer(person.id, form.email.data)):
            user_id = carer.user_id
            if organisations.hand_to_existing_carer(person, residency.organisation_id, carer):
                record_event(
                    Action.RESIDENT_DISCHARGE, person_id=person.id, detail=f"{marker} handed to user {user_id}"
                )
                flash(f"{form.email.data} now owns the form. Your organisation no longer looks after it.")
            return redirect(url_for("organisations.residents", organisation_id=residency.organisation_id))
        else:
            to_organisation = destination == "organisation"
            try:
                invitation, token = invitations.create(
                    person,
                    form.email.data,
                    Role.OWNER,
                    g.user.id,
                    for_organisation=to_organisation,
                    discharge_from=residency.organisation_id,
                )
            except invitations.InviteProblem as problem:
                form.email.errors = [str(problem)]
            else:
                to = "another organisation" if to_organisation else "a carer"
                detail = f"{marker} invitation {invitation.id} to {to}"
                record_event(Action.RESIDENT_DISCHARGE_START, person_id=person.id, detail=detail)
                return invitation_ready(person, invitation, token)
    return render_template(
        "organisations/discharge.html",
        person=person,
        form=form,
        home=home,
        name=store.load_summary(person).get("name", ""),
    )


@bp.route("/people/<person_id>/discharge/erase", methods=["GET", "POST"])
@person_required(Permission.MANAGE)
def erase_resident(person_id: str):
    """Export then erase: for a resident nobody else keeps a form for. The page offers the export first."""
    person = current_person()
    residency = _residency()
    organisation_id = residency.organisation_id
    if "erase" not in _discharge_choices(person, residency):
        flash("Others keep this form too, so it cannot be erased. Hand it over or end your access instead.")
        return redirect(url_for("organisations.discharge", person_id=person.id))
    form = ConfirmForm()
    if form.validate_on_submit():
        if form.confirm.data != "yes":
            return redirect(url_for("organisations.discharge", person_id=person.id))
        record_event(
            Action.RESIDENT_DISCHARGE, person_id=person.id, detail=f"{organisation_marker(organisation_id)} erased"
        )
        record_event(Action.PERSON_ERASE, person_id=person.id)
        erasure.erase_person(person)
        flash("The form has been erased. It cannot be recovered.")
        return redirect(url_for("organisations.residents", organisation_id=organisation_id))
    return render_template(
        "organisations/erase.html", person=person, form=form, name=store.load_summary(person).get("name", "")
    )
