"""Who may do what to a person's record: roles defined once, and the one check every person route uses.

    @bp.route("/people/<person_id>/photos/add", methods=["GET", "POST"])
    @person_required(Permission.EDIT)
    def add(person_id):
        person = current_person()

`person_required` implies sign-in. It answers 404 to anyone who is not one of the person's carers (the
same as a person that never existed, so ids reveal nothing) and 403 with a page that says why to a carer
whose role lacks the permission. The emergency (report missing, share with police, the missing-now PDF)
is granted to every role: a frightened neighbour holding a key must never be stopped by a role.

Roles only ever widen upwards (viewer < editor < owner), which the access-control battery relies on.
"""

import functools
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from flask import Flask, abort, g, url_for

from herbert.auth.guard import login_required
from herbert.models import Membership, Person
from herbert.records import store


class Role(StrEnum):
    OWNER = "owner"
    EDITOR = "editor"
    VIEWER = "viewer"


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


class MissingPermission(Exception):
    """A carer of the person lacks the permission: shown as a 403 page that explains it."""

    def __init__(self, permission: Permission, membership: Membership):
        super().__init__(permission.value)
        self.permission = permission
        self.membership = membership


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
            person, membership = store.membership_for(g.user.id, person_id)
            if not allows(membership.role, permission):
                raise MissingPermission(permission, membership)
            store.touch_membership(membership)
            g.person, g.membership = person, membership
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


def current_membership() -> Membership:
    membership = g.get("membership")
    if membership is None:
        raise RuntimeError("current_membership() used on a route without person_required")
    return membership


def can(permission: Permission) -> bool:
    """For templates: whether the signed-in carer may do this to the current person (hides links they cannot use)."""
    membership = g.get("membership")
    return membership is not None and allows(membership.role, permission)


def explain_missing_permission(error: MissingPermission):
    """The 403 page: what they tried, what their role allows, and who can change it."""
    from herbert.errors import render_error

    role = role_of(error.membership.role)
    return render_error(
        403,
        "errors/forbidden.html",
        role_label=ROLE_LABELS[role].lower(),
        role_hint=ROLE_HINTS[role],
        needs=NEEDS[error.permission],
        owners=store.owner_emails(error.membership.person_id),
        person_url=url_for("people.overview", person_id=error.membership.person_id),
    )


def init_access(app: Flask) -> None:
    app.register_error_handler(MissingPermission, explain_missing_permission)
    app.add_template_global(can, "can")
    app.add_template_global(Permission, "Permission")
