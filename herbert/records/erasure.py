"""Erasing a person: crypto-shredding first, then deleting, in an order that survives a crash and a restore."""

from collections.abc import Iterable

from herbert.extensions import db
from herbert.models import Membership, Person
from herbert.records import store
from herbert.records.keys import key_wrapper


def erase_person(person: Person) -> None:
    """Crypto-shred, then delete. In this order, each step durable before the next:

    1. the keyring records the person as erased, so it refuses their data key from now on, including
       the copy inside any older database backup (see docs/operations/keys-and-backups.md);
    2. the wrapped data key is destroyed in the database (SQLite overwrites the freed bytes);
    3. their rows are deleted, then their photo blobs; SQLite's write-ahead log is checkpointed so the
       old pages do not linger in the -wal file.
    A crash part-way leaves a person the keyring already refuses; the start-up sweep finishes the job.
    """
    person_id = person.id
    key_wrapper().forget(person_id)
    person.wrapped_key = None
    person.kek_id = None
    person.summary_sealed = None
    person.status = "erased"
    db.session.commit()
    store.delete_erased_person(person_id)


def erase_people_only_cared_for_by(user_id: int) -> int:
    """Before deleting an account: erase every person no other account cares for. Returns how many."""
    others = db.select(Membership.person_id).where(Membership.user_id != user_id)
    person_ids: Iterable[str] = db.session.execute(
        db.select(Membership.person_id).where(Membership.user_id == user_id, Membership.person_id.not_in(others))
    ).scalars()
    count = 0
    for person_id in list(person_ids):
        person = db.session.get(Person, person_id)
        if person is not None:
            erase_person(person)
            count += 1
    return count
