"""The record store on real SQLite and PostgreSQL, with photo blobs in the folder and on s3rver: round trips,
fail-closed opening (B9), erasure, the sweep."""

import logging
import os
import time
from pathlib import Path

import pytest

from herbert.extensions import db
from herbert.models import DraftSection, Person, Photo, Revision
from herbert.records import erasure, store
from herbert.records.blobs import blob_store
from herbert.records.keys import keyring_path, load_keyring
from herbert.records.store import RecordUnreadable
from herbert.records.sweep import sweep
from tests.support.blob_backends import every_stored_object, stored_blobs
from tests.support.store import jpeg_with_exif, make_user

pytestmark = pytest.mark.blob_backends

SECRET = "Lives at 14 Canary Wharf Lane, takes warfarin"


def new_person(ctx, name: str = "Margaret Example"):
    person = store.person_for(ctx.user_id, store.create_person(ctx.user_id))
    store.save_summary(person, {"name": name, "preferred_name": "Peggy"})
    return person


def reload(person_id: str) -> Person:
    db.session.expire_all()
    store.forget_cached_keys()
    return db.session.get(Person, person_id)


def test_round_trip_of_everything(ctx):
    person = new_person(ctx)
    store.save_section(person, "health", {"medication": SECRET})
    store.save_section(person, "health", {"medication": "changed"})
    store.save_section(person, "contacts", {"rows": [{"id": "r1", "name": "Ann"}]})
    assert store.load_section(person, "health") == {"medication": "changed"}
    assert store.load_draft(person) == {
        "health": {"medication": "changed"},
        "contacts": {"rows": [{"id": "r1", "name": "Ann"}]},
    }
    assert store.load_section(person, "never-saved") == {}
    number = store.publish(person, ctx.user_id, store.load_draft(person), None)
    assert number == 1 and store.publish(person, ctx.user_id, {"a": {"b": "c"}}, None) == 2
    assert store.load_revision(person, 1)["health"] == {"medication": "changed"}
    assert [r["number"] for r in store.list_revisions(person)] == [2, 1]
    store.replace_draft(person, {"only": {"x": "y"}})
    assert store.load_draft(person) == {"only": {"x": "y"}}
    jpeg = jpeg_with_exif("photo")
    first = store.add_photo(person, jpeg, {"caption": "Front"})
    second = store.add_photo(person, jpeg, {"caption": "Side"})
    assert store.open_photo(person, first) == jpeg
    assert [p["caption"] for p in store.list_photos(person)] == ["Front", "Side"]
    store.set_primary_photo(person, second)
    store.update_photo_details(person, second, {"caption": "Side, 2024"})
    assert store.list_photos(person)[0] | {"created_at": None} == {
        "id": second, "is_primary": True, "created_at": None, "caption": "Side, 2024"
    }  # fmt: skip
    store.delete_photo(person, second)
    assert [p["id"] for p in store.list_photos(person)] == [first] and store.list_photos(person)[0]["is_primary"]
    assert sorted(stored_blobs(ctx.app)) == [first] and not blob_store().exists(second)
    sealed = store.seal_for(person, "missing_reports", 5, "report", {"last_seen": SECRET})
    assert store.open_for(person, "missing_reports", 5, "report", sealed) == {"last_seen": SECRET}
    [summary] = store.people_for(ctx.user_id)
    assert (summary.name, summary.preferred_name, summary.latest_version, summary.readable) == (
        "Margaret Example", "Peggy", 2, True
    )  # fmt: skip


def test_other_carers_get_404(ctx):
    person = new_person(ctx)
    stranger = make_user()
    with pytest.raises(store.RecordNotFound):
        store.person_for(stranger, person.id)
    assert store.people_for(stranger) == []
    other = new_person(type(ctx)(app=ctx.app, user_id=stranger))
    with pytest.raises(store.RecordNotFound):
        store.open_photo(person, store.add_photo(other, jpeg_with_exif("x"), {}))  # photo of someone else


def _assert_fails_closed(caplog, opener) -> None:
    caplog.clear()
    with caplog.at_level(logging.DEBUG), pytest.raises(RecordUnreadable) as error:
        opener()
    assert SECRET not in str(error.value) and "warfarin" not in caplog.text
    assert any(record.levelno >= logging.WARNING for record in caplog.records), "the failure was not logged"


def test_b9_swapped_and_tampered_ciphertexts_fail_closed(ctx, caplog):
    alice, bob = new_person(ctx, "Alice"), new_person(ctx, "Bob")
    for person in (alice, bob):
        store.save_section(person, "health", {"medication": SECRET})
        store.save_section(person, "contacts", {"next_of_kin": SECRET})
        store.publish(person, ctx.user_id, {"health": {"medication": SECRET}}, None)
        store.publish(person, ctx.user_id, {"health": {"medication": "v2"}}, None)
    photo_a = store.add_photo(alice, jpeg_with_exif(SECRET), {"caption": SECRET})
    photo_b = store.add_photo(bob, jpeg_with_exif(SECRET), {"caption": SECRET})

    def section_row(person_id, section):
        return db.session.execute(db.select(DraftSection).filter_by(person_id=person_id, section=section)).scalar_one()

    def revision_row(person_id, number):
        return db.session.execute(db.select(Revision).filter_by(person_id=person_id, number=number)).scalar_one()

    # swapped between sections of one person
    health, contacts = section_row(alice.id, "health"), section_row(alice.id, "contacts")
    health.answers_sealed, contacts.answers_sealed = contacts.answers_sealed, health.answers_sealed
    db.session.commit()
    _assert_fails_closed(caplog, lambda: store.load_section(reload(alice.id), "health"))
    _assert_fails_closed(caplog, lambda: store.load_draft(reload(alice.id)))
    health.answers_sealed, contacts.answers_sealed = contacts.answers_sealed, health.answers_sealed
    db.session.commit()
    assert store.load_section(reload(alice.id), "health") == {"medication": SECRET}

    # swapped between people (same section)
    theirs = section_row(bob.id, "health").answers_sealed
    section_row(alice.id, "health").answers_sealed = theirs
    db.session.commit()
    _assert_fails_closed(caplog, lambda: store.load_section(reload(alice.id), "health"))

    # swapped between rows of one table (revision 1 into revision 2)
    revision_row(bob.id, 2).document_sealed = revision_row(bob.id, 1).document_sealed
    db.session.commit()
    _assert_fails_closed(caplog, lambda: store.load_revision(reload(bob.id), 2))
    assert store.load_revision(reload(bob.id), 1) == {"health": {"medication": SECRET}}

    # tampered (one bit) and truncated
    row = revision_row(bob.id, 1)
    original = bytes(row.document_sealed)
    for damaged in (
        original[:-1],
        original[: len(original) // 2],
        b"",
        original[:20] + bytes([original[20] ^ 1]) + original[21:],
    ):
        row.document_sealed = damaged
        db.session.commit()
        _assert_fails_closed(caplog, lambda: store.load_revision(reload(bob.id), 1))
    row.document_sealed = original
    db.session.commit()

    # photo details and photo blobs swapped between people
    a_row, b_row = db.session.get(Photo, photo_a), db.session.get(Photo, photo_b)
    a_row.details_sealed = b_row.details_sealed
    db.session.commit()
    _assert_fails_closed(caplog, lambda: store.list_photos(reload(alice.id)))
    blobs = blob_store()
    blobs.put(photo_a, blobs.get(photo_b))
    _assert_fails_closed(caplog, lambda: store.open_photo(reload(alice.id), photo_a))
    blobs.put(photo_b, blobs.get(photo_b)[:-5])
    _assert_fails_closed(caplog, lambda: store.open_photo(reload(bob.id), photo_b))
    blobs.delete(photo_b)
    _assert_fails_closed(caplog, lambda: store.open_photo(reload(bob.id), photo_b))

    # summary swapped between people, then wrapped keys swapped, tampered and truncated
    a_person, b_person = reload(alice.id), reload(bob.id)
    a_person.summary_sealed = b_person.summary_sealed
    db.session.commit()
    _assert_fails_closed(caplog, lambda: store.load_summary(reload(alice.id)))
    a_person, b_person = reload(alice.id), reload(bob.id)
    a_person.wrapped_key = b_person.wrapped_key
    db.session.commit()
    _assert_fails_closed(caplog, lambda: store.load_section(reload(alice.id), "contacts"))
    good = bytes(reload(bob.id).wrapped_key)
    for damaged in (good[:-1], good[:13], good[:5] + bytes([good[5] ^ 0x80]) + good[6:]):
        reload(bob.id).wrapped_key = damaged
        db.session.commit()
        _assert_fails_closed(caplog, lambda: store.load_section(reload(bob.id), "contacts"))
    reload(bob.id).wrapped_key, reload(bob.id).kek_id = good, "k-not-in-keyring"
    db.session.commit()
    _assert_fails_closed(caplog, lambda: store.load_section(reload(bob.id), "contacts"))

    # one unreadable person does not take the dashboard down, and shows no name
    summaries = {s.id: s for s in store.people_for(ctx.user_id)}
    assert summaries[alice.id].readable is False and summaries[alice.id].name == ""


def test_erase_shreds_the_key_first_and_removes_everything(ctx):
    person = new_person(ctx)
    store.save_section(person, "health", {"medication": SECRET})
    store.publish(person, ctx.user_id, {"health": {}}, None)
    photo = store.add_photo(person, jpeg_with_exif("x"), {"caption": "c"})
    keep = new_person(ctx, "Someone else")
    person_id = person.id
    erasure.erase_person(person)
    assert person_id in load_keyring().erased
    assert person_id in keyring_path(ctx.app).read_text()  # durable in the keyring file
    for model, column in ((Person, Person.id), (DraftSection, DraftSection.person_id), (Revision, Revision.person_id)):
        assert db.session.execute(db.select(model).where(column == person_id)).first() is None
    assert db.session.get(Photo, photo) is None
    assert not blob_store().exists(photo) and every_stored_object(ctx.app) == {}
    assert [s.id for s in store.people_for(ctx.user_id)] == [keep.id]
    with pytest.raises(store.RecordNotFound):
        store.person_for(ctx.user_id, person_id)


def test_erase_people_only_cared_for_by_an_account(ctx):
    mine_only = new_person(ctx).id
    shared = new_person(ctx).id
    other = make_user()
    from herbert.models import Membership

    db.session.add(Membership(user_id=other, person_id=shared))
    db.session.commit()
    assert erasure.erase_people_only_cared_for_by(ctx.user_id) == 1
    assert db.session.get(Person, mine_only) is None and db.session.get(Person, shared) is not None


def test_sweep_removes_temp_files_orphans_and_finishes_interrupted_erasures(ctx):
    person = new_person(ctx)
    kept = store.add_photo(person, jpeg_with_exif("x"), {})
    blobs = blob_store()
    orphan = b"\x01" + os.urandom(40)  # sealed-looking bytes with no photos row
    blobs.put("f" * 32, orphan)
    blobs.put("pdf-" + "a" * 32, orphan)  # another kind of blob (its owner sweeps it): never a photo orphan
    folder = Path(ctx.app.config["BLOB_PATH"])
    if not ctx.app.config.get("S3_BUCKET"):  # a photo write killed before its rename (object storage has none)
        (folder / "0123456789abcdef0123456789abcdef.bin.1a2b3c4d.tmp").write_bytes(b"half")
    else:  # objects that are not ours: outside the prefix, and under it with a name that is no key of ours
        server = ctx.app.extensions["tests.s3_server"]
        for name in ("someone-else/" + "f" * 32, "herbert/notes/" + "f" * 32):
            server.client().put_object(Bucket=ctx.app.config["S3_BUCKET"], Key=name, Body=b"not ours")
    time.sleep(3)  # everything so far is older than the grace period below (S3 dates have 1 s resolution)
    fresh_written = time.time()
    blobs.put("e" * 32, orphan)  # being written by another worker right now: its row is not committed yet
    # a person erased half-way: key destroyed and committed, rows not yet deleted (a crash in between)
    half = new_person(ctx)
    store.save_section(half, "health", {"medication": SECRET})
    half_id = half.id
    half.wrapped_key = None
    db.session.commit()
    before = set(every_stored_object(ctx.app))
    result = sweep(ctx.app, grace_seconds=time.time() - fresh_written + 1.0)  # the fresh blob is inside the grace
    temp_files = 0 if ctx.app.config.get("S3_BUCKET") else 1
    assert (result.temp_files, result.orphan_blobs, result.erasures_finished) == (temp_files, 1, 1)
    assert sorted(stored_blobs(ctx.app)) == sorted([kept, "e" * 32, "pdf-" + "a" * 32])
    removed = before - set(every_stored_object(ctx.app))
    assert len(removed) == 1 + temp_files  # nothing else in the folder or bucket was touched
    assert db.session.execute(db.select(DraftSection).filter_by(person_id=half_id)).first() is None
    assert store.open_photo(reload(person.id), kept)


def test_start_up_sweep_tolerates_a_database_without_tables(tmp_path, monkeypatch):
    from herbert import create_app

    monkeypatch.setenv("HERBERT_INSTANCE_PATH", str(tmp_path / "instance"))
    blobs = tmp_path / "instance" / "blobs"
    blobs.mkdir(parents=True)
    (blobs / "x.bin.1234.tmp").write_bytes(b"")
    app = create_app({"TESTING": True, "BLOB_SWEEP_GRACE_SECONDS": 0})  # no database file yet: not created
    assert not (tmp_path / "instance" / "herbert.db").exists()
    assert not (blobs / "x.bin.1234.tmp").exists()
    (tmp_path / "instance" / "herbert.db").touch()  # a database with no tables yet
    create_app({"TESTING": True, "BLOB_SWEEP_GRACE_SECONDS": 0})
    with app.app_context():
        db.engine.dispose()


def test_data_keys_are_cached_per_app_context_only(ctx):
    person = new_person(ctx)
    store.save_section(person, "health", {"a": 1})
    assert store._cached_keys()
    with ctx.app.app_context():  # a new request: nothing cached yet
        assert not store._cached_keys()
