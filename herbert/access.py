"""Who may do what to a person's record: roles defined once, and the one check every person route uses.

    @bp.route("/people/<person_id>/photos/add", methods=["GET", "POST"])
    @person_required(Permission.EDIT)
    def add(person_id):
        person = current_person()

`person_required` implies sign-in. It answers 404 to anyone who is not one of the person's carers (the
same as a person that never existed, so ids reveal nothing) and 403 with a page that says why to a carer
whose role lacks the permission. The emergency (report missing, share with police, the missing-now PDF)
is granted to every role: a frightened neighbour holding a key must never be stopped by a role.

A carer's role comes from their own carer row, or from the organisation the person lives with (a care home):
its admins hold the organisation's role on the resident (owner when it admitted them), its staff the role an
admin chose for them (editor or viewer), never more than the organisation holds. Someone with both gets the
higher. Staff of another organisation, and a leaver whose post has ended, have no route: 404.

Roles only ever widen upwards (viewer < editor < owner), which the access-control battery relies on.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from flask import Flask, abort, g, redirect, url_for

from herbert.auth.guard import login_required
from herbert.models import Membership, Organisation, Person
from herbert.records import store


class Role(StrEnum):
    OWNER = "owner"
    EDITOR = "editor"
    VIEWER = "viewer"


class OrganisationRole(StrEnum):
    """A post on an organisation's staff (herbert.care.organisations)."""

    ADMIN = "admin"  # runs the organisation: staff, admissions, discharges, its audit view; two-factor required
    STAFF = "staff"  # sees the residents as editor or viewer, as an admin chose


class Permission(StrEnum):
    VIEW = "view"  # read the form, versions, photos, the audit trail; download the PDF; see the carers
    EMERGENCY = "emergency"  # report missing, change the missing-now details, share with police
    EDIT = "edit"  # answers, photos, confirming versions, ending shares, found, export
    MANAGE = "manage"  # invite, change roles, remove carers, hand over ownership, erase the person


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset({Permission.VIEW, Permission.EMERGENCY}),
    Role.EDITOR: frozenset({Permission.VIEW, Permission.EMERGENCY, Permission.EDIT}),
    Role.OWNER: frozenset(Permission),
}

ROLE_LABELS = {Role.OWNER: "Owner", Role.EDITOR: "Editor", Role.VIEWER: "Viewer"}
ROLE_HINTS = {
    Role.OWNER: "Can do everything, including inviting and removing people and deleting the record",
    Role.EDITOR: "Can fill in and change the form and photos, confirm versions and share with police",
    Role.VIEWER: "Can read the form and print the PDF. In an emergency they can report them missing "
    "and share the form with police",
}
# What a carer without the permission is told on the 403 page (plain English, no personal data).
NEEDS = {
    Permission.VIEW: "read this form",
    Permission.EMERGENCY: "report them missing or share the form with police",
    Permission.EDIT: "change this form",
    Permission.MANAGE: "do this: only an owner of the form can",
}


def role_of(value: str) -> Role:
    """An unknown role in the database grants nothing beyond viewing (fails towards less access)."""
    try:
        return Role(value)
    except ValueError:
        return Role.VIEWER


def allows(role: str, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role_of(role)]


ROLE_RANK = {Role.VIEWER: 0, Role.EDITOR: 1, Role.OWNER: 2}


def higher(first: Role, second: Role) -> Role:
    return first if ROLE_RANK[first] >= ROLE_RANK[second] else second


def lower(first: Role, second: Role) -> Role:
    return first if ROLE_RANK[first] <= ROLE_RANK[second] else second


def role_through_organisation(held: str, post: str, resident_role: str) -> Role:
    """The role a member of an organisation's staff has on one of its residents.

    `held` is the organisation's role on the resident's record; an admin has exactly that. Staff have what
    an admin chose for them (`resident_role`: editor or viewer; never owner), capped by what is held.
    Unknown post names count as staff: they fail towards less access.
    """
    organisation_role = role_of(held)
    if post == OrganisationRole.ADMIN.value:
        return organisation_role
    chosen = role_of(resident_role)
    return lower(organisation_role, lower(chosen, Role.EDITOR))


@dataclass(frozen=True)
class CarerAccess:
    """What the signed-in account may do with the current person, and how it got there."""

    person_id: str
    role: Role
    membership: Membership | None  # their own carer row, if any
    organisation_id: str | None  # the organisation whose staff they reach the person through, if any


def access_from(person: Person, routes: store.Routes) -> CarerAccess:
    """One role from every route an account has to a person: the higher of its own and its organisation's."""
    roles = []
    if routes.membership is not None:
        roles.append(role_of(routes.membership.role))
    organisation_id = None
    if routes.residency is not None and routes.staff is not None:
        organisation_id = routes.residency.organisation_id
        roles.append(role_through_organisation(routes.residency.role, routes.staff.role, routes.staff.resident_role))
    if not roles:  # routes_to never returns a person without a route; fail closed all the same
        raise store.RecordNotFound("no such record")
    role = roles[0] if len(roles) == 1 else higher(roles[0], roles[1])
    return CarerAccess(person.id, role, routes.membership, organisation_id)


class MissingPermission(Exception):
    """A carer of the person lacks the permission: shown as a 403 page that explains it."""

    def __init__(self, permission: Permission, access: CarerAccess):
        super().__init__(permission.value)
        self.permission = permission
        self.access = access


def person_required(permission: Permission) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Sign-in, then membership (404 otherwise), then the role's permission (403 otherwise).

    The decorated view finds the person with current_person() and the carer's row with current_membership().
    The view function is marked with the permission, so the access-control battery can check every route.
    """

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            person_id = kwargs.get("person_id")
            if not isinstance(person_id, str):
                abort(404)
            person, routes = store.routes_to(g.user.id, person_id)
            access = access_from(person, routes)
            if not allows(access.role, permission):
                raise MissingPermission(permission, access)
            for row in (routes.membership, routes.staff):
                if row is not None:
                    store.touch_membership(row)
            g.person, g.access = person, access
            return view(*args, **kwargs)

        guarded = login_required(wrapped)
        guarded.permission = permission  # type: ignore[attr-defined]
        return guarded

    return decorator


def current_person() -> Person:
    """The person the current request's person_required check loaded. Fails closed without that check."""
    person = g.get("person")
    if person is None:
        raise RuntimeError("current_person() used on a route without person_required")
    return person


def current_access() -> CarerAccess:
    """The signed-in account's role on the current person (and its own carer row, None for staff who reach
    the person only through their organisation)."""
    access = g.get("access")
    if access is None:
        raise RuntimeError("current_access() used on a route without person_required")
    return access


def can(permission: Permission) -> bool:
    """For templates: whether the signed-in carer may do this to the current person (hides links they cannot use)."""
    access = g.get("access")
    return access is not None and allows(access.role, permission)


class NotAnAdmin(Exception):
    """A member of an organisation's staff asked for a page only its admins may use: a 403 page that says so."""

    def __init__(self, organisation: Organisation):
        super().__init__("admin only")
        self.organisation = organisation


def organisation_required(post: OrganisationRole) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Sign-in, then a post on the organisation in the URL (404 for anyone else, the same as an organisation
    that does not exist), then for admin pages an admin post (403 otherwise) with two-factor sign-in on.

    The view finds them with current_organisation() and current_post(). The view function is marked with the
    post it needs, so the organisation battery can check every route.
    """

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            organisation_id = kwargs.get("organisation_id")
            if not isinstance(organisation_id, str):
                abort(404)
            organisation, member = store.post_for(g.user.id, organisation_id)
            if post == OrganisationRole.ADMIN:
                if member.role != OrganisationRole.ADMIN.value:
                    raise NotAnAdmin(organisation)
                if g.user.totp_secret_sealed is None:  # the sign-in guard sends admins there too; never skip it
                    return redirect(url_for("account.two_factor_set_up"))
            store.touch_membership(member)
            g.organisation, g.post = organisation, member
            return view(*args, **kwargs)

        guarded = login_required(wrapped)
        guarded.post = post  # type: ignore[attr-defined]
        return guarded

    return decorator


def current_organisation() -> Organisation:
    organisation = g.get("organisation")
    if organisation is None:
        raise RuntimeError("current_organisation() used on a route without organisation_required")
    return organisation


def explain_not_an_admin(error: NotAnAdmin):
    from herbert.errors import render_error

    return render_error(
        403,
        "errors/not_an_admin.html",
        organisation_name=error.organisation.name,
        residents_url=url_for("organisations.residents", organisation_id=error.organisation.id),
    )


def explain_missing_permission(error: MissingPermission):
    """The 403 page: what they tried, what their role allows, and who can change it."""
    from herbert.errors import render_error

    role = error.access.role
    return render_error(
        403,
        "errors/forbidden.html",
        role_label=ROLE_LABELS[role].lower(),
        role_hint=ROLE_HINTS[role],
        needs=NEEDS[error.permission],
        owners=store.owner_emails(error.access.person_id),
        person_url=url_for("people.overview", person_id=error.access.person_id),
    )


def init_access(app: Flask) -> None:
    app.register_error_handler(MissingPermission, explain_missing_permission)
    app.register_error_handler(NotAnAdmin, explain_not_an_admin)
    app.add_template_global(can, "can")
    app.add_template_global(Permission, "Permission")
