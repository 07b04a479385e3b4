"""How much one account may store: the caps that bound every request's work (issue 15).

Each cap is a setting (HERBERT_<NAME>), stated in README, shown to the carer before they reach it
("You can add up to 20 medicines") and enforced where the thing is added, with a clear message and
nothing stored when it is refused. The PDF's worst case follows from these caps (docs/design/availability.md
measures it): every list is at most MAX_LIST_ROWS rows of fields that already have length caps.
"""

from flask import current_app

DEFAULTS = {
    "MAX_LIST_ROWS": 15,  # rows in each "add another" list (medicines, contacts, places, ...)
    "MAX_PHOTOS_PER_PERSON": 20,
    "MAX_PEOPLE_PER_ACCOUNT": 25,  # a family's; an organisation's residents have their own cap
    "MAX_RESIDENTS_PER_ORGANISATION": 500,  # the residents dashboard is measured with 500 (bench_residents.py)
    "IMPORT_MAX_TOTAL_PIXELS": 100_000_000,  # decoded across a whole import package (20 photos of 5 MP)
    "MAX_LIVE_SHARES_PER_PERSON": 5,  # police shares working at once (each is re-rendered when details change)
}


def cap(name: str) -> int:
    """The configured cap (read per request, so tests and operators can change it)."""
    return int(current_app.config.get(name) or DEFAULTS[name])


def plural(noun: str) -> str:
    """Plural of the form's row nouns ("medicine", "activity", "episode")."""
    return noun[:-1] + "ies" if noun.endswith("y") else noun + "s"


def rows_full_message(noun: str, limit: int) -> str:
    return f"You can add up to {limit} {plural(noun)}. Remove one before you add another."


def rows_hint(noun: str, limit: int) -> str:
    return f"You can add up to {limit} {plural(noun)}."


PHOTOS_FULL = "You can add up to {limit} photos for each person. Remove one before you add another."
PEOPLE_FULL = "You can add up to {limit} people to your account. Delete one before you add another."
RESIDENTS_FULL = "An organisation can have up to {limit} residents. Discharge one before you admit another."


def photos_held(person_id: str) -> int:
    from herbert.extensions import db
    from herbert.models import Photo

    return int(db.session.scalar(db.select(db.func.count()).select_from(Photo).filter_by(person_id=person_id)) or 0)


def people_held(user_id: int) -> int:
    """People this account cares for (a person shared by several carers counts for each of them)."""
    from herbert.extensions import db
    from herbert.models import Membership, Person

    query = (
        db.select(db.func.count())
        .select_from(Membership)
        .join(Person, Person.id == Membership.person_id)
        .where(Membership.user_id == user_id, Person.status != "erased")
    )
    return int(db.session.scalar(query) or 0)


def residents_held(organisation_id: str) -> int:
    """Residents an organisation looks after."""
    from herbert.extensions import db
    from herbert.models import Residency

    return int(
        db.session.scalar(db.select(db.func.count()).select_from(Residency).filter_by(organisation_id=organisation_id))
        or 0
    )
