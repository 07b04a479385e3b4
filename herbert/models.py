"""Database tables. Only routing metadata is plaintext; everything about a person is sealed bytes.

Sealed columns (suffix `_sealed`) hold AES-GCM envelopes made by herbert.crypto and opened only by
herbert.records.store (and, for account secrets, herbert.auth).
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from herbert.clock import utcnow
from herbert.extensions import db


class User(db.Model):
    """A carer's account. The email is the sign-in name; nothing about the people they care for lives here."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    totp_secret_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    recovery_codes: Mapped[str | None] = mapped_column(Text)  # JSON list of SHA-256 hashes, each used once
    totp_last_used_step: Mapped[int | None] = mapped_column()  # the last accepted TOTP time step (no replays)
    is_org_admin: Mapped[bool] = mapped_column(default=False)
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    email_verified_at: Mapped[datetime | None] = mapped_column()  # reminders go only to verified addresses
    muted_notices: Mapped[str] = mapped_column(String(200), default="")  # comma-separated reminder kinds turned off


class WebSession(db.Model):
    """A server-side session: the cookie holds a random token, this row holds only its SHA-256."""

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    data: Mapped[str] = mapped_column(Text, default="{}")  # JSON; never personal data (CSRF token, ids, flags)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    reauthenticated_at: Mapped[datetime | None] = mapped_column()


class Person(db.Model):
    """Someone at risk of going missing. Their data key is wrapped by the keyring; shredding it erases them."""

    __tablename__ = "people"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random hex, so URLs reveal no counts
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary)  # None once crypto-shredded
    kek_id: Mapped[str | None] = mapped_column(String(64), index=True)
    summary_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)  # name etc. for the dashboard
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft | published | missing | erased
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    next_review_on: Mapped[datetime | None] = mapped_column()
    memberships: Mapped[list["Membership"]] = relationship(back_populates="person", cascade="all, delete-orphan")


class Membership(db.Model):
    """Which accounts care for a person, and in which role (herbert.access: owner, editor, viewer).
    Every person URL checks this (404 for anyone else, 403 for a role without the permission)."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "person_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20), default="owner")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)  # "since when" on the carers page
    last_active_at: Mapped[datetime | None] = mapped_column()  # written at most once a minute
    person: Mapped[Person] = relationship(back_populates="memberships")


class Invitation(db.Model):
    """An invitation to become a co-carer: bound to one email address and role, single use, expiring.

    Only the SHA-256 of the token is kept; the link holding the token is shown (or emailed) once.
    The invited address is the invitee's sign-in name, not data about the person cared for.
    """

    __tablename__ = "invitations"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    accepted_at: Mapped[datetime | None] = mapped_column()
    accepted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    cancelled_at: Mapped[datetime | None] = mapped_column()
    # Accepted on behalf of an organisation the invitee runs (the person becomes its resident), not as themselves.
    for_organisation: Mapped[bool] = mapped_column(default=False, server_default=false())
    # A discharge or move: accepting it ends this organisation's residency in the same transaction.
    discharge_from: Mapped[str | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))


class Organisation(db.Model):
    """A care home, supported-living provider, hospital ward or day centre whose staff keep residents' forms.

    Its name, address and type are about the organisation, not about anyone it cares for, so they are plaintext.
    """

    __tablename__ = "organisations"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random hex, so URLs reveal no counts
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))  # herbert.care.organisations.KINDS
    address: Mapped[str] = mapped_column(String(500))
    postcode: Mapped[str] = mapped_column(String(12), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OrganisationMember(db.Model):
    """An account on an organisation's staff: an admin (two-factor required) or staff, who see its residents
    as editors or viewers (`resident_role`, chosen by an admin). Deleting the row ends every such access."""

    __tablename__ = "organisation_members"
    __table_args__ = (UniqueConstraint("organisation_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))  # admin | staff
    resident_role: Mapped[str] = mapped_column(String(20), default="editor")  # staff: editor | viewer
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_active_at: Mapped[datetime | None] = mapped_column()  # written at most once a minute


class OrganisationInvitation(db.Model):
    """An invitation to join an organisation's staff: bound to one address, single use, expiring; only the
    SHA-256 of its token is kept."""

    __tablename__ = "organisation_invitations"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(20))  # admin | staff
    resident_role: Mapped[str] = mapped_column(String(20), default="editor")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    accepted_at: Mapped[datetime | None] = mapped_column()
    accepted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    cancelled_at: Mapped[datetime | None] = mapped_column()


class Residency(db.Model):
    """A person cared for by an organisation (one at a time), and the role the organisation holds on their
    record: owner when it admitted them itself, or what the family granted when they invited it. The
    resident's unit or floor is personal, so it lives in their sealed summary, never here."""

    __tablename__ = "residencies"
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20), default="owner")
    admitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    admitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class DraftSection(db.Model):
    """The working draft: one sealed JSON document per form section, saved page by page."""

    __tablename__ = "draft_sections"
    __table_args__ = (UniqueConstraint("person_id", "section"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    section: Mapped[str] = mapped_column(String(64))
    answers_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    # Counts saves, so a save based on an older revision is caught (two carers editing at once).
    revision: Mapped[int] = mapped_column(default=1, server_default="1")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Revision(db.Model):
    """An immutable published version: the whole form as one sealed JSON document."""

    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("person_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()
    document_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    pdf_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)  # its police PDF, rendered once and kept
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Photo(db.Model):
    """A photo: the sealed JPEG lives in the blob folder, its sealed details (kind, date, caption) here."""

    __tablename__ = "photos"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    details_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    is_primary: Mapped[bool] = mapped_column(default=False)
    byte_size: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MissingReport(db.Model):
    """A "missing now" report (section N), sealed; open until the person is marked found."""

    __tablename__ = "missing_reports"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    report_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    found_at: Mapped[datetime | None] = mapped_column()
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class GeocodedPoints(db.Model):
    """A person's postcodes turned into points ({postcode: [lat, lon] or null}), sealed with their key: where
    someone lives and goes is personal data, so no coordinate or postcode is ever a plaintext column."""

    __tablename__ = "geocoded_points"
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    points_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Share(db.Model):
    """A time-limited police share: a sealed snapshot, reachable by token + access code (both stored hashed)."""

    __tablename__ = "shares"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    reference: Mapped[str] = mapped_column(String(8), unique=True)  # read out with the code; not a secret
    code_hash: Mapped[str] = mapped_column(String(255))
    snapshot_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    pdf_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)  # the snapshot's police PDF, rendered once
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    failed_attempts: Mapped[int] = mapped_column(default=0)
    locked_at: Mapped[datetime | None] = mapped_column()
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    end_reason: Mapped[str | None] = mapped_column(String(20))  # revoked | found (when revoked_at is set)
    source: Mapped[str] = mapped_column(String(20), default="")  # what was shared: "v3" or "draft" (no personal data)


class ShareOpen(db.Model):
    """Each time police open a share: when, and a coarse client description (never the code)."""

    __tablename__ = "share_opens"
    id: Mapped[int] = mapped_column(primary_key=True)
    share_id: Mapped[int] = mapped_column(ForeignKey("shares.id", ondelete="CASCADE"), index=True)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    client: Mapped[str] = mapped_column(String(120))


class AuditEvent(db.Model):
    """Append-only audit trail with a hash chain; event text never holds personal data."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_person_at", "person_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column()
    person_id: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(String(200), default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
