"""Check a missing-now report that arrives in an import package the way its pages check what a carer types.

The JSON Schema only says a date-time is shaped like one ("2026-13-45T25:61" passes it) and a text is at most
5,000 characters. The pages say more: a real date between 1900 and 2100, a real time of day, a last-seen time
not in the future, each box's own length, a real coordinate for "use my location", choices from the lists.
So each page's form (last seen, clothing, more details, found) is filled with the report's answers as a
browser would post them and validated by its own validators; only the answers the report holds are judged
(a report saved page by page may lack later pages). The time the report was made has no page (the service
records it), so it gets the same date-time check and may not be in the future either.

What comes back is what the pages would have stored (times to the minute, text trimmed); a refusal names the
question and never quotes the value.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from herbert.dates import uk_now
from herbert.handover.fields import combine
from herbert.handover.missing.forms import ClothingForm, FoundForm, LastSeenForm, MoreDetailsForm, phone_location

FUTURE_SLACK = timedelta(minutes=5)  # as the last-seen page allows

# Report key → the form fields it is typed into (a date-time is a date and a time box).
DATE_TIMES = {
    "last_seen_at": ("last_seen_date", "last_seen_time"),
    "police_called_at": ("police_called_date", "police_called_time"),
    "found_at": ("found_date", "found_time"),
}
PAGES: tuple[tuple[Callable[..., FlaskForm], tuple[str, ...]], ...] = (
    (
        LastSeenForm,
        ("last_seen_at", "last_seen_where", "seen_by", "direction", "said_going_to")
        + ("last_seen_lat", "last_seen_lon", "last_seen_accuracy"),
    ),
    (ClothingForm, ("clothing_today", "items_carried", "items_details")),
    (
        MoreDetailsForm,
        ("searches_done", "mood", "recent_changes", "people_contacted", "police_called_at")
        + ("police_reference", "officer_name"),
    ),
    (FoundForm, ("found_at", "found_where")),
)
LOCATION = ("last_seen_lat", "last_seen_lon", "last_seen_accuracy")


class ReportRefused(Exception):
    """An answer the missing-now pages would refuse. `where` is the question's label, never the value."""

    def __init__(self, where: str, message: str):
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


def _answered(value: Any) -> bool:
    return value not in (None, "", [])


def _date_time_parts(value: Any) -> tuple[list[str], str]:
    """The date boxes (day, month, year) and the time box a browser would post for "YYYY-MM-DDTHH:MM"."""
    day_part, _, time_part = str(value).partition("T")
    pieces = day_part.split("-")
    if len(pieces) != 3:
        return ["not", "a", "date"], "not a time"
    year, month, day = pieces
    return [day, month, year], time_part[:5]


def _posted(report: dict[str, Any], keys: tuple[str, ...]) -> MultiDict:
    data: MultiDict = MultiDict()
    for key in keys:
        value = report.get(key)
        if not _answered(value):
            continue
        if key in DATE_TIMES:
            date_field, time_field = DATE_TIMES[key]
            boxes, typed_time = _date_time_parts(value)
            for box in boxes:
                data.add(date_field, box)
            data.add(time_field, typed_time)
        elif isinstance(value, list):
            for item in value:
                data.add(key, str(item))
        else:
            data.add(key, value if isinstance(value, str) else "\x00not-text")
    return data


def _judged_fields(report: dict[str, Any], keys: tuple[str, ...]) -> set[str]:
    """The form fields whose errors count: those the report answered (a missing later page is no error)."""
    fields = set()
    for key in keys:
        if _answered(report.get(key)):
            fields.update(DATE_TIMES.get(key, (key,)))
    if fields & set(LOCATION):
        fields.add("last_seen_where")  # where the page shows a location it cannot use
    return fields


def _message(form: FlaskForm, name: str, error: str, posted: MultiDict) -> str:
    """The form's own message, unless it quotes what was sent (WTForms' "'x' is not a valid choice")."""
    if any(len(value) > 1 and value in error for value in posted.getlist(name)):
        return "not an answer the page offers"
    return error.rstrip(".")


def _stored(form: FlaskForm, keys: tuple[str, ...], report: dict[str, Any]) -> dict[str, Any]:
    """What the page would have saved for the answered keys."""
    kept: dict[str, Any] = {}
    for key in keys:
        if not _answered(report.get(key)) or key in LOCATION:
            continue
        if key in DATE_TIMES:
            date_field, time_field = DATE_TIMES[key]
            kept[key] = combine(form[date_field].data, form[time_field].data)
        else:
            kept[key] = form[key].data
    if isinstance(form, LastSeenForm) and any(_answered(report.get(key)) for key in LOCATION):
        kept |= phone_location(form) or {}
    return kept


def check_report(report: dict[str, Any]) -> dict[str, Any]:
    """The report as the pages would have stored it, or ReportRefused for the first answer they would refuse.

    Expects a report that already matches the JSON Schema (known keys, strings and lists of strings)."""
    checked = {key: value for key, value in report.items() if not _answered(value)}  # empty boxes stay as they were
    for form_class, keys in PAGES:
        posted = _posted(report, keys)
        form = form_class(formdata=posted, meta={"csrf": False})
        if isinstance(form, ClothingForm):  # one-tap picks name the person's own clothing and photos: not judged here
            form.clothing_picks.choices = form.clothing_photo_ids.choices = []
        form.validate()
        judged = _judged_fields(report, keys)
        for name, errors in form.errors.items():
            if name in judged and errors:
                raise ReportRefused(form[name].label.text, _message(form, name, str(errors[0]), posted))
        checked |= _stored(form, keys, report)
    for key in ("clothing_picks", "clothing_photo_ids"):
        if _answered(report.get(key)):
            checked[key] = list(report[key])
    if _answered(report.get("reported_at")):
        checked["reported_at"] = _reported_at(report["reported_at"])
    return checked


def _reported_at(value: Any) -> str:
    """When the report was made: set by the service, so no page checks it; a real date-time, not in the future."""
    (day, month, year), typed_time = _date_time_parts(value)
    try:
        moment = datetime.fromisoformat(f"{year}-{month}-{day}T{typed_time}")
    except ValueError:
        raise ReportRefused("Reported missing", "must be a real date and time") from None
    if not 1900 <= moment.year <= 2100:
        raise ReportRefused("Reported missing", "must be between 1900 and 2100")
    if moment > uk_now() + FUTURE_SLACK:
        raise ReportRefused("Reported missing", "must be now or in the past")
    return moment.isoformat(timespec="minutes")
