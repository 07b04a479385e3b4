"""Dates and times as the service reads and writes them: UK wall-clock time, long UK dates, months and ages.

One module, so every page, email and PDF says "1 March 2026" and "2:30pm" the same way (and so a Welsh
version has one place to change).
"""

import calendar
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from herbert.clock import utcnow

UK = ZoneInfo("Europe/London")
UTC = ZoneInfo("UTC")


def as_date(value: Any) -> date | None:
    """A date from a date, a datetime or an ISO string (its first 10 characters); None for anything else."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def format_date(value: str | date) -> str:
    """ "1 March 1950" from a date or an ISO date string (ValueError for a string that is not one)."""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day.day} {day:%B %Y}"


def human_date(value: Any) -> str:
    """ "2 January 2025" from an ISO date or time; anything else as it is (never "2025-01-02" on a page)."""
    if not value:
        return ""
    try:
        return format_date(str(value)[:10])
    except ValueError:
        return str(value)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (31 August + 6 months = end of February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def age_on(date_of_birth: date | str, today: date) -> int:
    """Age in whole years on `today`."""
    born = date.fromisoformat(date_of_birth) if isinstance(date_of_birth, str) else date_of_birth
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def uk_now() -> datetime:
    """Now on the wall clocks of the UK (the time the carer reads and types), without a time zone."""
    return to_uk(utcnow())


def to_uk(value: datetime) -> datetime:
    """A stored time (naive UTC) as UK wall-clock time, without a time zone."""
    return value.replace(tzinfo=UTC).astimezone(UK).replace(tzinfo=None)


def parse_local(value: str | None) -> datetime | None:
    """A stored local time ("YYYY-MM-DDTHH:MM"), or None when there is none or it does not parse."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def clock_text(moment: datetime) -> str:
    """ "2:30pm" """
    hour = moment.strftime("%I").lstrip("0") or "12"
    return f"{hour}:{moment:%M}{moment.strftime('%p').lower()}"


def display_time(value: str | None) -> str:
    """ "Tuesday 4 March 2025 at 2:30pm" from a stored local time."""
    moment = parse_local(value)
    if moment is None:
        return ""
    return f"{moment:%A} {moment.day} {moment:%B %Y} at {clock_text(moment)}"


def uk_time(value: datetime | None) -> str:
    """A stored naive-UTC time as UK wall-clock text ("Tuesday 4 March 2025 at 2:30pm")."""
    if value is None:
        return ""
    return display_time(to_uk(value).isoformat(timespec="minutes"))
