"""The few facts the handover reads from (or writes into) the form, in one place.

Everything here is keyed on the question registry's own names (herbert/questions/sections/*): the home
address (section A) as the default "where last seen", the usual-clothing answers (section B) as one-tap
clothing picks, the previous-episodes rows (section J) that "found" can add to, and the dashboard summary
after an import. If the form's names change, this is the only handover module to follow them.
"""

import secrets
from typing import Any

from herbert.models import Person
from herbert.records import store

ABOUT = "about-the-person"
PHYSICAL = "physical-description"
EPISODES = "previous-missing-episodes"
EPISODE_ROWS = "episodes"
CLOTHING_QUESTIONS = (
    ("usual_coat", "Coat"),
    ("hat", "Hat"),
    ("usual_clothing", "Clothing"),
    ("footwear", "Footwear"),
    ("jewellery", "Jewellery"),
)
CLOTHING_PHOTO_KINDS = ("outdoor_clothes", "clothing_item", "full_length")
PICK_MAX = 200


def home_address(document: dict[str, Any]) -> str:
    """Section A's home address and postcode on one line (the default place last seen)."""
    about = document.get(ABOUT) or {}
    lines = [str(about.get("address") or "").strip(), str(about.get("postcode") or "").strip()]
    return ", ".join(part.replace("\r\n", ", ").replace("\n", ", ") for part in lines if part)


def clothing_picks(document: dict[str, Any]) -> list[str]:
    """Usual-clothing answers as short one-tap choices, e.g. "Coat: navy anorak"."""
    physical = document.get(PHYSICAL) or {}
    picks = []
    for name, label in CLOTHING_QUESTIONS:
        value = " ".join(str(physical.get(name) or "").split())
        if value:
            picks.append(f"{label}: {value}"[:PICK_MAX])
    return picks


def is_clothing_photo(photo: dict[str, Any]) -> bool:
    return photo.get("kind") in CLOTHING_PHOTO_KINDS


def display_name(document: dict[str, Any]) -> dict[str, str]:
    """The dashboard summary (name, preferred name) from section A."""
    about = document.get(ABOUT) or {}
    return {
        "name": str(about.get("full_name") or "").strip(),
        "preferred_name": str(about.get("preferred_name") or "").strip(),
    }


def after_import(person: Person, document: dict[str, Any]) -> None:
    """Refresh what the dashboard shows for a newly imported person."""
    store.save_summary(person, display_name(document))


def add_previous_episode(person: Person, episode: dict[str, str]) -> None:
    """Append an episode to section J's rows in the draft, and say they have gone missing before."""
    answers = dict(store.load_section(person, EPISODES))
    rows = list(answers.get(EPISODE_ROWS) or [])
    row = {"id": secrets.token_hex(8)}
    row.update({key: value for key, value in episode.items() if value})
    rows.append(row)
    answers[EPISODE_ROWS] = rows
    answers["has_gone_missing_before"] = "yes"
    store.save_section(person, EPISODES, answers)
