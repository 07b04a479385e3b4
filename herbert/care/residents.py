"""The residents dashboard: an organisation's residents with what each one needs, filtered and sorted so what needs
doing is on top. Built for 120 residents and measured with 500 (bench/bench_residents.py).

The names and units are sealed, so filtering happens here, in memory, after store.residents_of has opened every
resident's summary in one pass (three queries whatever the number of residents). Nothing here writes.
"""

from dataclasses import dataclass, field
from datetime import datetime

from herbert.photos.cleaning import photo_freshness
from herbert.records.store import ResidentSummary, residents_of

MISSING = "missing"
REVIEW = "review"
PHOTO = "photo"
DRAFT = "draft"
# What can need doing, most urgent first (the sort order and the filter's options).
NEEDS = {
    MISSING: "Missing now",
    REVIEW: "Review due",
    PHOTO: "Photo out of date or missing",
    DRAFT: "Draft never confirmed",
}
PAGE_SIZE = 100
SEARCH_MAX = 100


@dataclass(frozen=True)
class ResidentRow:
    resident: ResidentSummary
    needs: tuple[str, ...]
    photo_status: str | None  # photo_freshness's status: ok, due, out_of_date, missing, undated


@dataclass
class Dashboard:
    rows: list[ResidentRow]
    total: int  # residents before filtering
    units: list[str]  # every unit named, for the filter
    counts: dict[str, int] = field(default_factory=dict)  # residents needing each thing (before filtering)


def needs_of(resident: ResidentSummary, now: datetime) -> tuple[tuple[str, ...], str | None]:
    """What this resident's form needs, in NEEDS order, and the state of their main photo."""
    needs = []
    if resident.status == "missing":
        needs.append(MISSING)
    if resident.next_review_on is not None and resident.next_review_on <= now:
        needs.append(REVIEW)
    photo_status = photo_freshness(list(resident.photos), now.date())["status"] if resident.readable else None
    if photo_status in ("out_of_date", "missing"):
        needs.append(PHOTO)
    if resident.latest_version is None:
        needs.append(DRAFT)
    return tuple(needs), photo_status


def _priority(row: ResidentRow) -> tuple:
    """Missing people first, then the rest by what they need (most urgent need, then how many), then by name."""
    order = list(NEEDS)
    first = min((order.index(need) for need in row.needs), default=len(order))
    name = (row.resident.name or "").casefold()
    return (first, -len(row.needs), name == "", name, row.resident.id)


def matches(row: ResidentRow, search: str, unit: str, need: str) -> bool:
    resident = row.resident
    if search and search not in resident.name.casefold() and search not in resident.preferred_name.casefold():
        return False
    if unit and resident.unit != unit:
        return False
    return not need or need in row.needs


def dashboard(organisation_id: str, now: datetime, search: str = "", unit: str = "", need: str = "") -> Dashboard:
    """Every resident of the organisation matching the filters, most in need first."""
    rows = []
    for resident in residents_of(organisation_id):
        needs, photo_status = needs_of(resident, now)
        rows.append(ResidentRow(resident, needs, photo_status))
    counts = {key: sum(1 for row in rows if key in row.needs) for key in NEEDS}
    units = sorted({row.resident.unit for row in rows if row.resident.unit}, key=str.casefold)
    search = " ".join(search.split()).casefold()[:SEARCH_MAX]
    chosen = [row for row in rows if matches(row, search, unit, need if need in NEEDS else "")]
    chosen.sort(key=_priority)
    return Dashboard(chosen, len(rows), units, counts)
