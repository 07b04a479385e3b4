"""Organisations: care homes, supported-living providers, hospital wards and day centres, where one manager keeps
forms for many residents while staff come and go.

- Setting one up makes the carer its first admin. Admins must use two-factor sign-in (users.is_org_admin, kept
  in step with their posts here, makes herbert.auth.guard send them to set it up before anything else).
- Admins invite staff by email as admin or staff; staff see the residents as editors or viewers, as the admin
  chose (herbert.access.role_through_organisation), and nothing of any other organisation.
- A leaver is removed in one step: one transaction deletes their post (so every resident is a 404 to them at
  once), cancels open invitations to their address and ends every session of theirs. Their account and what
  they did (the audit trail keeps their user id) stay.
- Residents are admitted with a new form, an export package or a family's invitation, and discharged or moved
  by handing the form to a family member or another organisation as owner, ending the organisation's access
  when the family already owns it, or exporting then erasing it. Section L is filled in from the organisation.

A resident's unit or floor is personal and lives in their sealed summary (store.update_summary); only the
organisation's own name, address and type are plaintext.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from herbert.access import OrganisationRole, Role, role_of
from herbert.auth.sessions import end_all_sessions
from herbert.care.invitations import INVITATION_DAYS, State, claim, hash_token, normalise_email
from herbert.clock import utcnow
from herbert.extensions import db
from herbert.models import (
    Membership,
    Organisation,
    OrganisationInvitation,
    OrganisationMember,
    Person,
    Residency,
    User,
)
from herbert.records import store

KINDS = {
    "care_home": "Care home",
    "supported_living": "Supported-living provider",
    "hospital_ward": "Hospital ward",
    "day_centre": "Day centre",
}
POST_LABELS = {OrganisationRole.ADMIN: "Admin", OrganisationRole.STAFF: "Staff"}
RESIDENT_ROLES = (Role.EDITOR, Role.VIEWER)  # what an admin may choose for staff; staff are never owners
TOKEN_BYTES = 32  # 256 bits, as co-carer invitations

# Section L and the living situation in section A (herbert/questions/sections): the form's own names.
CARE_SETTING = "care-setting"
ABOUT = "about-the-person"
LIVING_SITUATION_FOR = {"care_home": "care_home", "supported_living": "supported_living"}


class LastAdmin(Exception):
    """The change would leave the organisation with no admin."""


class StaffProblem(Exception):
    """Why a member of staff could not be invited, in words for the error summary."""


def post_of(value: str) -> OrganisationRole:
    """An unknown post in the database counts as staff (fails towards less access)."""
    try:
        return OrganisationRole(value)
    except ValueError:
        return OrganisationRole.STAFF


# --- setting one up, and who runs it --------------------------------------------------------------


def create(user: User, name: str, kind: str, address: str, postcode: str = "", phone: str = "") -> Organisation:
    """A new organisation with this carer as its first admin (two-factor is required from their next page)."""
    if kind not in KINDS:
        raise ValueError("unknown kind of organisation")
    organisation = Organisation(
        id=secrets.token_hex(16), name=name, kind=kind, address=address, postcode=postcode, phone=phone
    )
    db.session.add(organisation)
    db.session.flush()
    db.session.add(
        OrganisationMember(organisation_id=organisation.id, user_id=user.id, role=OrganisationRole.ADMIN.value)
    )
    db.session.flush()
    sync_admin_flag(user.id)
    db.session.commit()
    return organisation


def sync_admin_flag(user_id: int) -> None:
    """users.is_org_admin says whether the account is an admin anywhere (no commit): the sign-in guard reads it
    to require two-factor, so every change to someone's posts calls this in the same transaction."""
    is_admin = (
        db.session.execute(
            db.select(OrganisationMember.id).filter_by(user_id=user_id, role=OrganisationRole.ADMIN.value).limit(1)
        ).first()
        is not None
    )
    db.session.execute(db.update(User).where(User.id == user_id).values(is_org_admin=is_admin))


def posts_of(user_id: int) -> list[tuple[Organisation, OrganisationMember]]:
    """The organisations an account works for, and its post in each (for the organisations page)."""
    rows = db.session.execute(
        db.select(Organisation, OrganisationMember)
        .join(OrganisationMember, OrganisationMember.organisation_id == Organisation.id)
        .where(OrganisationMember.user_id == user_id)
        .order_by(Organisation.name, Organisation.id)
    ).all()
    return [(organisation, member) for organisation, member in rows]


def sole_admin_of(user_id: int) -> list[Organisation]:
    """Organisations this account is the only admin of (it cannot be deleted until someone else is one)."""
    admins = db.aliased(OrganisationMember)
    others = (
        db.select(db.func.count())
        .select_from(admins)
        .where(
            admins.organisation_id == Organisation.id,
            admins.role == OrganisationRole.ADMIN.value,
            admins.user_id != user_id,
        )
        .scalar_subquery()
    )
    return list(
        db.session.execute(
            db.select(Organisation)
            .join(OrganisationMember, OrganisationMember.organisation_id == Organisation.id)
            .where(
                OrganisationMember.user_id == user_id,
                OrganisationMember.role == OrganisationRole.ADMIN.value,
                others == 0,
            )
            .order_by(Organisation.name)
        ).scalars()
    )


@dataclass(frozen=True)
class Staff:
    member_id: int
    user_id: int
    email: str
    post: OrganisationRole
    resident_role: Role
    since: datetime
    last_active: datetime | None


def staff_of(organisation_id: str) -> list[Staff]:
    """Everyone on the staff: admins first, then staff, longest-standing first."""
    rows = db.session.execute(
        db.select(OrganisationMember, User.email)
        .join(User, User.id == OrganisationMember.user_id)
        .where(OrganisationMember.organisation_id == organisation_id)
        .order_by(OrganisationMember.created_at, OrganisationMember.id)
    ).all()
    staff = [
        Staff(m.id, m.user_id, email, post_of(m.role), role_of(m.resident_role), m.created_at, m.last_active_at)
        for m, email in rows
    ]
    return sorted(staff, key=lambda member: member.post != OrganisationRole.ADMIN)


def member_of(organisation_id: str, member_id: int) -> OrganisationMember | None:
    return db.session.execute(
        db.select(OrganisationMember).filter_by(id=member_id, organisation_id=organisation_id)
    ).scalar_one_or_none()


def lock_organisation(organisation_id: str) -> None:
    """Serialise changes to an organisation's staff until the next commit (as store.lock_person does for a
    person's carers): "is there another admin?" and the change that depends on it are one step."""
    db.session.commit()
    db.session.execute(
        db.update(Organisation)
        .where(Organisation.id == organisation_id)
        .values(name=Organisation.name)
        .execution_options(synchronize_session=False)
    )


def _other_admins(organisation_id: str, member_id: int) -> int:
    return int(
        db.session.execute(
            db.select(db.func.count())
            .select_from(OrganisationMember)
            .where(
                OrganisationMember.organisation_id == organisation_id,
                OrganisationMember.role == OrganisationRole.ADMIN.value,
                OrganisationMember.id != member_id,
            )
        ).scalar_one()
    )


def _locked_member(member: OrganisationMember) -> OrganisationMember | None:
    member_id, organisation_id = member.id, member.organisation_id
    lock_organisation(organisation_id)
    return db.session.execute(
        db.select(OrganisationMember).filter_by(id=member_id).execution_options(populate_existing=True)
    ).scalar_one_or_none()


def change_post(member: OrganisationMember, post: OrganisationRole, resident_role: Role) -> bool:
    """Make a member of staff admin or staff, and choose what staff can do with residents. Refuses to take
    the last admin's post away. False if they were removed meanwhile."""
    if resident_role not in RESIDENT_ROLES:
        raise ValueError("staff see residents as editors or viewers")
    current = _locked_member(member)
    if current is None:
        db.session.rollback()
        return False
    losing_admin = post != OrganisationRole.ADMIN and post_of(current.role) == OrganisationRole.ADMIN
    if losing_admin and _other_admins(current.organisation_id, current.id) == 0:
        db.session.rollback()
        raise LastAdmin
    current.role = post.value
    current.resident_role = resident_role.value
    db.session.flush()
    sync_admin_flag(current.user_id)
    db.session.commit()
    return True


def remove_leaver(member: OrganisationMember) -> bool:
    """A member of staff leaves, in one step (one transaction): their post goes, so every resident is a 404 to
    them at once; open invitations to their address end; every session of theirs ends, wherever they are
    signed in. The audit trail keeps what they did under their user id. False if already removed."""
    current = _locked_member(member)
    if current is None:
        db.session.rollback()
        return False
    if post_of(current.role) == OrganisationRole.ADMIN and _other_admins(current.organisation_id, current.id) == 0:
        db.session.rollback()
        raise LastAdmin
    user_id, organisation_id = current.user_id, current.organisation_id
    email = db.session.execute(db.select(User.email).filter_by(id=user_id)).scalar_one()
    db.session.execute(
        db.update(OrganisationInvitation)
        .where(
            OrganisationInvitation.organisation_id == organisation_id,
            OrganisationInvitation.email == email,
            OrganisationInvitation.accepted_at.is_(None),
            OrganisationInvitation.cancelled_at.is_(None),
        )
        .values(cancelled_at=utcnow())
    )
    db.session.delete(current)
    db.session.flush()
    sync_admin_flag(user_id)
    end_all_sessions(user_id)  # deletes their sessions and commits everything above with it
    return True


# --- staff invitations ----------------------------------------------------------------------------


def invite_staff(
    organisation: Organisation, email: str, post: OrganisationRole, resident_role: Role, invited_by: int
) -> tuple[OrganisationInvitation, str]:
    """A new staff invitation and its token (the only time the token exists outside the link)."""
    if resident_role not in RESIDENT_ROLES:
        raise ValueError("staff see residents as editors or viewers")
    email = normalise_email(email)
    already = db.session.execute(
        db.select(OrganisationMember.id)
        .join(User, User.id == OrganisationMember.user_id)
        .where(OrganisationMember.organisation_id == organisation.id, User.email == email)
    ).first()
    if already is not None:
        raise StaffProblem("That person is already on the staff")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = utcnow()
    invitation = OrganisationInvitation(
        organisation_id=organisation.id,
        email=email,
        role=post.value,
        resident_role=resident_role.value,
        token_hash=hash_token(token),
        invited_by=invited_by,
        created_at=now,
        expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    db.session.add(invitation)
    db.session.commit()
    return invitation, token


def look_up_staff_invitation(token: str) -> tuple[State, OrganisationInvitation | None]:
    if not token or len(token) > 128:
        return State.UNKNOWN, None
    invitation = db.session.execute(
        db.select(OrganisationInvitation).filter_by(token_hash=hash_token(token))
    ).scalar_one_or_none()
    if invitation is None:
        return State.UNKNOWN, None
    if invitation.accepted_at is not None:
        return State.USED, invitation
    if invitation.cancelled_at is not None:
        return State.CANCELLED, invitation
    if invitation.expires_at <= utcnow():
        return State.EXPIRED, invitation
    return State.OPEN, invitation


def accept_staff_invitation(token: str, user: User) -> OrganisationMember | None:
    """Join the staff (one compare-and-swap, as co-carer invitations); None if the invitation is not open or is
    for another address. Someone already on the staff keeps their post. Raises NotVerified before the address
    is confirmed."""
    invitation = claim(OrganisationInvitation, token, user)
    if invitation is None:
        return None
    member = db.session.execute(
        db.select(OrganisationMember).filter_by(organisation_id=invitation.organisation_id, user_id=user.id)
    ).scalar_one_or_none()
    if member is None:
        member = OrganisationMember(
            organisation_id=invitation.organisation_id,
            user_id=user.id,
            role=invitation.role,
            resident_role=invitation.resident_role,
            created_at=invitation.accepted_at,
        )
        db.session.add(member)
    db.session.flush()
    sync_admin_flag(user.id)
    db.session.commit()
    return member


def cancel_staff_invitation(organisation_id: str, invitation_id: int) -> bool:
    result = db.session.execute(
        db.update(OrganisationInvitation)
        .where(
            OrganisationInvitation.id == invitation_id,
            OrganisationInvitation.organisation_id == organisation_id,
            OrganisationInvitation.accepted_at.is_(None),
            OrganisationInvitation.cancelled_at.is_(None),
        )
        .values(cancelled_at=utcnow())
    )
    db.session.commit()
    return result.rowcount == 1


def pending_staff_invitations(organisation_id: str) -> list[OrganisationInvitation]:
    return list(
        db.session.execute(
            db.select(OrganisationInvitation)
            .where(
                OrganisationInvitation.organisation_id == organisation_id,
                OrganisationInvitation.accepted_at.is_(None),
                OrganisationInvitation.cancelled_at.is_(None),
                OrganisationInvitation.expires_at > utcnow(),
            )
            .order_by(OrganisationInvitation.created_at)
        ).scalars()
    )


# --- residents ------------------------------------------------------------------------------------


def residency_of(person_id: str) -> Residency | None:
    return db.session.get(Residency, person_id)


def organisation(organisation_id: str) -> Organisation | None:
    return db.session.get(Organisation, organisation_id)


def care_setting_answers(organisation: Organisation) -> dict[str, str]:
    """Section L's "the care home" page as the organisation describes itself (empty details left out)."""
    answers = {
        "home_name": organisation.name,
        "home_address": organisation.address,
        "home_postcode": organisation.postcode,
        "home_phone": organisation.phone,
    }
    return {name: value for name, value in answers.items() if value}


def fill_in_care_setting(person: Person, organisation: Organisation) -> None:
    """On admission: section L's home details become the organisation's (they now live there; the family's
    other answers in L stay), and a care home or supported-living provider sets the living situation in
    section A when it does not already say so, so section L applies."""
    answers = dict(store.load_section(person, CARE_SETTING)) | care_setting_answers(organisation)
    store.save_section(person, CARE_SETTING, answers)
    living = LIVING_SITUATION_FOR.get(organisation.kind)
    about = dict(store.load_section(person, ABOUT))
    if living and about.get("living_situation") not in LIVING_SITUATION_FOR.values():
        store.save_section(person, ABOUT, about | {"living_situation": living})


def admit_new(organisation: Organisation, user_id: int) -> str:
    """A new, empty form for a new resident, owned by the organisation, section L already filled in."""
    person_id = store.create_person(user_id, organisation.id)
    person = db.session.get(Person, person_id)
    assert person is not None
    fill_in_care_setting(person, organisation)
    return person_id


def set_unit(person: Person, unit: str) -> None:
    """The resident's unit, floor or wing, sealed in their summary (it says where someone lives)."""
    store.update_summary(person, unit=unit)


def carers_outside(person_id: str) -> int:
    """How many carers have a form through their own carer row (the family, friends)."""
    return int(
        db.session.execute(
            db.select(db.func.count()).select_from(Membership).filter_by(person_id=person_id)
        ).scalar_one()
    )


class FamilyNeedsAnOwner(Exception):
    """Ending the organisation's access would leave the form with no owner."""


def end_residency(person: Person, organisation_id: str) -> bool:
    """The organisation stops looking after the person; their other carers keep the form. Refused (under the
    person's lock) when the organisation is its only owner. False if they were not its resident any more."""
    person_id = person.id
    store.lock_person(person_id)
    residency = db.session.execute(
        db.select(Residency)
        .filter_by(person_id=person_id, organisation_id=organisation_id)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if residency is None:
        db.session.rollback()
        return False
    if role_of(residency.role) == Role.OWNER and store.owner_count(person_id, except_residency=True) == 0:
        db.session.rollback()
        raise FamilyNeedsAnOwner
    db.session.delete(residency)
    db.session.commit()
    return True


def existing_carer(person_id: str, email: str) -> Membership | None:
    """The carer row of an address that already helps with the form (a discharge to them needs no link)."""
    return db.session.execute(
        db.select(Membership)
        .join(User, User.id == Membership.user_id)
        .where(Membership.person_id == person_id, User.email == normalise_email(email))
    ).scalar_one_or_none()


def hand_to_existing_carer(person: Person, organisation_id: str, row: Membership) -> bool:
    """Discharge to a family member who already helps with the form: they become owner and the organisation's
    access ends, in one transaction under the person's lock. False if either changed meanwhile."""
    person_id, row_id = person.id, row.id
    store.lock_person(person_id)
    residency = db.session.execute(
        db.select(Residency)
        .filter_by(person_id=person_id, organisation_id=organisation_id)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    carer = db.session.execute(
        db.select(Membership).filter_by(id=row_id).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if residency is None or carer is None:
        db.session.rollback()
        return False
    carer.role = Role.OWNER.value
    db.session.delete(residency)
    db.session.commit()
    return True

