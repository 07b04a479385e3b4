"""The audit trail: an append-only table of events chained by SHA-256, so edits or deletions show.

Event text never holds personal data: an action name, ids, and short fixed details only.
"""

import hashlib

from flask import g, has_request_context

from herbert.clock import utcnow
from herbert.extensions import db
from herbert.models import AuditEvent

GENESIS = "0" * 64


def event_hash(prev_hash: str, at: str, actor: int | None, person_id: str | None, action: str, detail: str) -> str:
    material = "\x1f".join([prev_hash, at, str(actor or ""), person_id or "", action, detail])
    return hashlib.sha256(material.encode()).hexdigest()


def record_event(action: str, person_id: str | None = None, detail: str = "", actor_user_id: int | None = None) -> None:
    """Append one event and commit it. The actor defaults to the signed-in account."""
    if actor_user_id is None and has_request_context() and g.get("user") is not None:
        actor_user_id = g.user.id
    last = db.session.execute(db.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).scalar()
    prev_hash = last or GENESIS
    at = utcnow()
    event = AuditEvent(
        at=at,
        actor_user_id=actor_user_id,
        person_id=person_id,
        action=action,
        detail=detail[:200],
        prev_hash=prev_hash,
        hash=event_hash(prev_hash, at.isoformat(), actor_user_id, person_id, action, detail[:200]),
    )
    db.session.add(event)
    db.session.commit()
