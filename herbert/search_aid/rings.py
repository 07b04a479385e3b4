"""Lost-person-behaviour distance rings for people with dementia, with where each figure comes from.

These are population figures: of many people with dementia who went missing, how far from where they were
last seen they were found. They are not a prediction for this person. Which set applies is read from
section F (how they get about): the on-foot figures only when the form says they travel only on foot.
"""

from dataclasses import dataclass
from typing import Any

MOBILITY = "mobility-and-transport"
POPULATION_NOTE = (
    "These rings are population figures from past searches for people with dementia, not a prediction for this person."
)
WIDER_NOTE = "They can drive or use a bus pass, public transport or a taxi, so the area to search is wider."
UNKNOWN_TRAVEL_NOTE = "A car, bus pass or public transport widens the area to search."
VEHICLE_MODES = {"bus", "train", "taxi", "bicycle", "drives"}


@dataclass(frozen=True)
class Ring:
    percent: int
    km: float

    @property
    def label(self) -> str:
        return f"{self.percent}% within {self.km:g} km"


@dataclass(frozen=True)
class RingSet:
    name: str
    source: str
    rings: tuple[Ring, ...]

    @property
    def outer_km(self) -> float:
        return self.rings[-1].km


MISPER_UK = RingSet(
    name="People with dementia (UK)",
    source="UK data set of 279 missing people with dementia, published by misper.uk",
    rings=(Ring(50, 1.2), Ring(70, 2.9), Ring(80, 5.0), Ring(90, 9.5)),
)
GRAMPIAN_ON_FOOT = RingSet(
    name="People with dementia on foot",
    source="Grampian Police figures for missing people with dementia travelling on foot",
    rings=(Ring(50, 0.7), Ring(80, 2.0), Ring(90, 3.7), Ring(95, 5.8)),
)


def _travel(document: dict[str, Any]) -> dict[str, Any]:
    return document.get(MOBILITY) or {}


def travels_only_on_foot(document: dict[str, Any]) -> bool:
    """Walking is their only usual way of travelling, they have no bus pass and no car keys."""
    travel = _travel(document)
    modes = set(travel.get("travel_modes") or [])
    return modes == {"walk"} and travel.get("bus_pass") != "yes" and travel.get("drives") != "yes"


def choose_rings(document: dict[str, Any]) -> RingSet:
    return GRAMPIAN_ON_FOOT if travels_only_on_foot(document) else MISPER_UK


def wider_area_note(document: dict[str, Any]) -> str:
    """What to say about transport widening the area: firm when the form says so, general otherwise."""
    travel = _travel(document)
    modes = set(travel.get("travel_modes") or [])
    if modes & VEHICLE_MODES or travel.get("bus_pass") == "yes" or travel.get("drives") == "yes":
        return WIDER_NOTE
    return UNKNOWN_TRAVEL_NOTE
