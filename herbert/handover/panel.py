"""What the person page's emergency panel shows: the open missing-now report, the shares with their opens, and
the recent activity. Read-only: expired shares' snapshots are dropped by the job runner, not by a page view."""

from typing import Any

from herbert.audit import events_for_person, grouped_activity
from herbert.extensions import db
from herbert.handover.missing import report as missing
from herbert.handover.shares import lifecycle as shares
from herbert.models import Person


def handover_panel(person: Any) -> dict[str, Any]:
    """What the person page's handover panel shows: the open report, shares with their opens, audit events."""
    row = db.session.get(Person, person.id if not isinstance(person, str) else person)
    if row is None:
        return {"report": None, "shares": [], "events": []}
    return {
        "report": missing.open_report(row),
        "shares": [
            {"share": s, "state": shares.state_of(s).value, "opens": shares.opens_of(s)} for s in shares.shares_of(row)
        ],
        "events": grouped_activity(events_for_person(row.id, limit=60))[:30],
    }


def missing_since(person: Any) -> str:
    """ "2:30pm" / "2:30pm yesterday": when an open report says they were last seen ("" when not missing)."""
    row = db.session.get(Person, person if isinstance(person, str) else person.id)
    report_row = missing.open_report(row) if row is not None else None
    if report_row is None:
        return ""
    report = missing.load_report(row, report_row)
    return missing.short_moment(report.get("last_seen_at") or report.get("reported_at"))
