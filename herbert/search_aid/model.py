"""The search aid as plain data: the places listed nearest-first, the rings, the notes, and the drawing."""

from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from herbert.questions import registry
from herbert.search_aid.geocode import ATTRIBUTION
from herbert.search_aid.places import Place
from herbert.search_aid.rings import RingSet


@dataclass
class ListedPlace:
    number: int
    place: Place
    metres: float
    degrees: float
    where: str  # "1.4 km north-east"


@dataclass
class SearchAid:
    origin: Place
    from_last_seen: bool
    home: Place | None
    last_seen: Place | None
    home_from_origin: str
    listed: list[ListedPlace]
    further: list[ListedPlace]  # located, but left off a shortened list and its map (the PDF's nearest places)
    unlocated: list[Place]
    rings: RingSet
    population_note: str
    wider_note: str
    hazards: list[str]
    hazards_details: str
    reported: bool = False  # a missing-now report was given (so "last seen" was asked for)
    attribution: str = ATTRIBUTION
    svg: str = ""
    text_equivalent: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def svg_markup(self) -> Markup:
        """The drawing for templates: built by map_svg from numbers and escaped text only."""
        # map_svg escapes every form value (tested), so this markup holds no user HTML.
        return Markup(self.svg)  # noqa: S704  # nosec B704

    @property
    def located_by_phone(self) -> bool:
        return self.last_seen is not None and bool(self.last_seen.extra.get("located_by"))

    @property
    def further_sections(self) -> str:
        """The letters of the form sections the places left off come from, in form order: "H, I and K"."""
        letters = sorted({registry.section_by_slug(item.place.section).letter for item in self.further})
        return " and ".join([", ".join(letters[:-1]), letters[-1]]) if len(letters) > 1 else "".join(letters)

    @property
    def origin_words(self) -> str:
        return "where they were last seen" if self.from_last_seen else "their home"

    @property
    def measured_from(self) -> str:
        """Which point the distances are measured from, in words, so nobody searches around the wrong one:
        the phone's location, the postcode in the place typed, or the home postcode (and why)."""
        start = "Straight-line distances from"
        if self.located_by_phone:
            accuracy = self.origin.extra.get("accuracy_metres")
            about = f" (accurate to about {accuracy} metres)" if accuracy else ""
            return f"{start} where they were last seen: the location the family's phone gave{about}."
        if self.from_last_seen:
            return f"{start} where they were last seen: the postcode {self.origin.postcode} in the place typed."
        if self.reported:
            return f"{start} their home, {self.origin.postcode}: the place last seen has no postcode we could find."
        return f"{start} their home, {self.origin.postcode}."
