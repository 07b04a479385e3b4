"""B14: the audit trail is a hash chain; tampering, deletion and reordering are detected, also by the CLI;
concurrent writers (threads with their own connections) never fork the chain; the ORM cannot change events."""

import threading

import pytest
from sqlalchemy import text

from herbert.audit import Action, AuditTrailIsAppendOnly, record_event, verify_chain
from herbert.extensions import db
from herbert.models import AuditEvent


def write_events(count: int = 6) -> list[int]:
    for number in range(count):
        record_event(Action.SECTION_EDIT, person_id="p" * 32, detail=f"section {number}")
    return list(db.session.execute(db.select(AuditEvent.id).order_by(AuditEvent.id)).scalars())


def test_intact_chain_verifies(app, runner):
    with app.app_context():
        write_events()
        assert verify_chain().ok and verify_chain().checked == 6
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "6 events checked" in result.output


def test_changed_detail_is_detected(app, runner):
    with app.app_context():
        ids = write_events()
        db.session.execute(text("UPDATE audit_events SET detail = 'edited' WHERE id = :id"), {"id": ids[2]})
        db.session.commit()
        report = verify_chain()
        assert report.broken_event_id == ids[2] and "changed" in report.reason
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and f"BROKEN at event {ids[2]}" in result.output


def test_deleted_middle_event_is_detected(app):
    with app.app_context():
        ids = write_events()
        db.session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": ids[3]})
        db.session.commit()
        report = verify_chain()
        assert report.broken_event_id == ids[4] and "removed or moved" in report.reason


def test_reordered_events_are_detected(app):
    with app.app_context():
        ids = write_events()
        a, b = ids[1], ids[2]
        # Swap two events' places (ids) through a free id.
        db.session.execute(text("UPDATE audit_events SET id = 999999 WHERE id = :a"), {"a": a})
        db.session.execute(text("UPDATE audit_events SET id = :a WHERE id = :b"), {"a": a, "b": b})
        db.session.execute(text("UPDATE audit_events SET id = :b WHERE id = 999999"), {"b": b})
        db.session.commit()
        assert verify_chain().broken_event_id == a


def test_the_orm_refuses_to_change_or_delete_events(app):
    with app.app_context():
        write_events(2)
        event = db.session.execute(db.select(AuditEvent)).scalars().first()
        event.detail = "changed"
        with pytest.raises(AuditTrailIsAppendOnly):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.execute(db.select(AuditEvent)).scalars().first())
        with pytest.raises(AuditTrailIsAppendOnly):
            db.session.flush()
        db.session.rollback()
        assert verify_chain().ok


def test_concurrent_writers_keep_one_chain(app, backend):
    threads, per_thread = 6, 15
    errors = []

    def writer(number: int) -> None:
        try:
            with app.app_context():
                for index in range(per_thread):
                    record_event(Action.SECTION_EDIT, detail=f"writer {number} event {index}")
                db.session.remove()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(repr(error))

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not errors
    with app.app_context():
        report = verify_chain()
        assert report.ok and report.checked == threads * per_thread
        prev = list(db.session.execute(db.select(AuditEvent.prev_hash)).scalars())
        assert len(set(prev)) == len(prev)  # no two events chained onto the same predecessor
    print(f"\nB14 concurrency ({backend}): {threads} writers x {per_thread} events, chain intact")


def test_sign_in_is_recorded(app, auth):
    auth.sign_up()
    auth.sign_out()
    auth.sign_in()
    with app.app_context():
        actions = list(db.session.execute(db.select(AuditEvent.action)).scalars())
    assert actions.count(Action.SIGN_IN) >= 2
