"""The "missing now" report (form section N): one open report per person, sealed with the person's key.

The report is a small JSON dict saved page by page; only when it was opened and closed (found_at) are
plaintext columns. Opening a report marks the person "missing"; closing it puts their status back.
"""

from datetime import date, datetime, timedelta
from typing import Any

from herbert.clock import utcnow
from herbert.dates import clock_text, display_time, parse_local, uk_now
from herbert.extensions import db
from herbert.models import MissingReport, Person, Revision
from herbert.records import store

TABLE = "missing_reports"
PART = "report"

# The keys a report may hold (anything else is dropped), in the order police read them.
REPORT_KEYS = (
    "last_seen_at",  # "YYYY-MM-DDTHH:MM", UK local time: what the carer says, never a button press
    "reported_at",  # "YYYY-MM-DDTHH:MM", UK local time: when the report was made (set by the service)
    "last_seen_where",
    "last_seen_lat",  # "use my location": the carer's phone's location, sealed with the report (search aid)
    "last_seen_lon",
    "last_seen_accuracy",  # metres, as the browser reported it
    "seen_by",
    "direction",
    "said_going_to",
    "clothing_picks",  # list of usual-clothing answers picked with one tap
    "clothing_photo_ids",  # list of clothing photo ids picked with one tap
    "clothing_today",
    "items_carried",  # list of ITEMS keys
    "items_details",
    "searches_done",  # list of SEARCHES keys
    "mood",
    "recent_changes",
    "people_contacted",
    "police_called_at",  # "YYYY-MM-DDTHH:MM", UK local time
    "police_reference",
    "officer_name",
    "found_at",  # set when they are found: "YYYY-MM-DDTHH:MM", UK local time
    "found_where",
)

ITEMS = {
    "bag": "Bag",
    "walking_aid": "Walking aid",
    "phone": "Mobile phone",
    "cash": "Cash",
    "cards": "Bank cards",
    "bus_pass": "Bus pass or travel card",
    "keys": "Keys",
    "medication": "Medication",
}
SEARCHES = {
    "house": "The house, every room",
    "garden": "Garden",
    "outbuildings": "Sheds, garage and outbuildings",
    "car": "Car",
    "neighbours": "Neighbours",
    "usual_places": "Their usual places",
}
LABELS = {
    "last_seen_at": "Last seen",
    "reported_at": "Reported missing",
    "last_seen_where": "Where they were last seen",
    "last_seen_lat": "Location from the family's phone",
    "seen_by": "Who saw them last",
    "direction": "Direction of travel",
    "said_going_to": "What they said they were going to do",
    "clothing_picks": "Clothing (from the usual clothing on record)",
    "clothing_photo_ids": "Clothing shown in photos",
    "clothing_today": "Clothing today",
    "items_carried": "Items they have with them",
    "items_details": "More about the items",
    "searches_done": "Searches already done",
    "mood": "Mood and state of mind",
    "recent_changes": "Recent changes",
    "people_contacted": "People already contacted",
    "police_called_at": "Time police were called",
    "police_reference": "Police reference",
    "officer_name": "Officer's name",
    "found_at": "Found",
    "found_where": "Where they were found",
}


def open_report(person: Person) -> MissingReport | None:
    """The person's report that has not been closed by "found", if any."""
    return (
        db.session.execute(
            db.select(MissingReport)
            .filter_by(person_id=person.id, found_at=None)
            .order_by(MissingReport.opened_at.desc(), MissingReport.id.desc())
        )
        .scalars()
        .first()
    )


def load_report(person: Person, report: MissingReport | None) -> dict[str, Any]:
    if report is None or not report.report_sealed:
        return {}
    return store.open_for(person, TABLE, report.id, PART, report.report_sealed)


def _clean(answers: dict[str, Any]) -> dict[str, Any]:
    """The report's own keys; never the time it was made, which only save_report sets."""
    return {key: answers[key] for key in REPORT_KEYS if key in answers and key != "reported_at"}


def save_report(
    person: Person, user_id: int | None, answers: dict[str, Any], *, reported_at: str | None = None
) -> tuple[MissingReport, bool]:
    """Merge one page's answers into the open report (opening one if needed). Returns (report, newly opened).

    The time the report was made is recorded when it opens: now, or, for an imported report, the time it was
    made in the first place (already checked by report_check), so police read when the family first reported."""
    report = open_report(person)
    opened = report is None
    if report is None:
        report = MissingReport(person_id=person.id, report_sealed=b"", opened_at=utcnow(), created_by=user_id)
        db.session.add(report)
        db.session.flush()  # the id binds the sealed report to this row
        current: dict[str, Any] = {}
    else:
        current = load_report(person, report)
    current.update(_clean(answers))
    if opened:
        current["reported_at"] = reported_at or uk_now().isoformat(timespec="minutes")  # recorded once
    report.report_sealed = store.seal_for(person, TABLE, report.id, PART, current)
    person.status = "missing"
    person.updated_at = utcnow()
    store.forget_kept_version_pdfs(person)  # they show the open report: made again with the new details
    db.session.commit()
    return report, opened


def close_report(person: Person, report: MissingReport, found: dict[str, Any]) -> dict[str, Any]:
    """Record when and where they were found, close the report and put the person's status back."""
    current = load_report(person, report)
    current.update(_clean(found))
    report.report_sealed = store.seal_for(person, TABLE, report.id, PART, current)
    report.found_at = utcnow()
    person.status = status_when_not_missing(person)
    person.updated_at = utcnow()
    store.forget_kept_version_pdfs(person)  # a closed report must not live on inside a kept version PDF
    db.session.commit()
    return current


def status_when_not_missing(person: Person) -> str:
    has_version = db.session.execute(db.select(Revision.id).filter_by(person_id=person.id).limit(1)).first()
    return "published" if has_version else "draft"


def describe_duration(start: datetime | None, end: datetime | None) -> str:
    """ "3 hours 20 minutes", "2 days 4 hours": how long someone was missing, for section J."""
    if start is None or end is None or end < start:
        return ""
    minutes = int((end - start).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    for number, unit in ((days, "day"), (hours, "hour"), (minutes, "minute")):
        if number:
            parts.append(f"{number} {unit}{'' if number == 1 else 's'}")
    if days:
        parts = parts[:2]
    return " ".join(parts) or "less than a minute"


# Quick picks on the last-seen page: they fill the date and time boxes for the carer to check; nothing is saved
# until the carer saves the page, so a button press is never recorded as the time they were last seen.
QUICK_PICKS = {"0": "Now", "30": "About 30 minutes ago", "60": "About an hour ago", "120": "About 2 hours ago"}


def quick_pick_time(minutes_ago: str) -> datetime | None:
    """UK wall-clock time for a quick pick ("60" → about an hour ago, to the 5 minutes), None if unknown."""
    if minutes_ago not in QUICK_PICKS:
        return None
    moment = uk_now().replace(second=0, microsecond=0) - timedelta(minutes=int(minutes_ago))
    if minutes_ago != "0":
        moment -= timedelta(minutes=moment.minute % 5)
    return moment


def short_moment(value: str | None, today: date | None = None) -> str:
    """ "2:30pm" today, "2:30pm yesterday", else "2:30pm on Tuesday 4 March 2025" (from a stored local time)."""
    moment = parse_local(value)
    if moment is None:
        return ""
    today = today or uk_now().date()
    if moment.date() == today:
        return clock_text(moment)
    if moment.date() == today - timedelta(days=1):
        return f"{clock_text(moment)} yesterday"
    return f"{clock_text(moment)} on {moment:%A} {moment.day} {moment:%B %Y}"


def seen_and_reported(report: dict[str, Any], today: date | None = None) -> str:
    """ "Last seen 2:30pm · reported 8:21pm" (either half left out when it is not known)."""
    parts = []
    if report.get("last_seen_at"):
        parts.append(f"Last seen {short_moment(report['last_seen_at'], today)}")
    if report.get("reported_at"):
        parts.append(
            f"reported {short_moment(report['reported_at'], today)}"
            if parts
            else f"Reported {short_moment(report['reported_at'], today)}"
        )
    return " · ".join(parts)


def phone_location_text(report: dict[str, Any]) -> str:
    """ "51.48000, -0.00600 (accurate to about 20 metres)": latitude, longitude, as police systems take them."""
    text = f"{report.get('last_seen_lat')}, {report.get('last_seen_lon')}"
    accuracy = str(report.get("last_seen_accuracy") or "")
    return f"{text} (accurate to about {accuracy} metres)" if accuracy.isdigit() else text


def report_rows(report: dict[str, Any], photo_captions: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(label, text) rows of everything answered, in reading order, for pages, the PDF and exports."""
    rows = []
    for key in REPORT_KEYS:
        value = report.get(key)
        if value in (None, "", []):
            continue
        if key in ("last_seen_lon", "last_seen_accuracy"):
            continue  # shown with last_seen_lat
        if key == "last_seen_lat":
            text = phone_location_text(report)
        elif key in ("last_seen_at", "reported_at", "police_called_at", "found_at"):
            text = display_time(value)
        elif key == "items_carried":
            text = ", ".join(ITEMS.get(item, item) for item in value)
        elif key == "searches_done":
            text = ", ".join(SEARCHES.get(item, item) for item in value)
        elif key == "clothing_photo_ids":
            captions = photo_captions or {}
            text = ", ".join(captions.get(photo_id) or "Clothing photo" for photo_id in value)
        elif isinstance(value, list):
            text = ", ".join(str(item) for item in value)
        else:
            text = str(value)
        rows.append((LABELS[key], text))
    return rows
