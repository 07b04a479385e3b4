"""Police PDFs rendered once and kept (issue 9): a share's PDF is made in the background when the share is
made, sealed with the person's key, and the police download only unseals it; new missing-now details make
it again; it goes when the share ends, locks or the person is erased. A published version's PDF is kept
until its photos, report or date printed change."""

import io
from datetime import datetime, timedelta

from pypdf import PdfReader

from herbert.documents import kept
from herbert.extensions import db
from herbert.models import Person, Revision, Share
from herbert.photos import cleaning
from herbert.records import erasure, store
from tests.support.journey import create_share, page, police_open, report_missing
from tests.support.photos import jpeg


def first_page_text(data: bytes) -> str:
    return " ".join(PdfReader(io.BytesIO(data)).pages[0].extract_text().split())


def share_row(app) -> Share:
    with app.app_context():
        row = db.session.execute(db.select(Share)).scalar_one()
        db.session.expunge(row)
        return row


def test_share_pdf_is_made_when_the_share_is_and_the_police_download_never_renders(preparing, renders):
    carer = preparing
    report_missing(carer, direction="Towards the canal")
    link, code, _ = create_share(carer)
    kept.wait_for_pending()
    assert len(renders) == 1  # made once, in the background, as the share was made
    row = share_row(carer.app)
    assert row.pdf_sealed and not row.pdf_sealed.startswith(b"%PDF") and b"Ada" not in row.pdf_sealed
    police = carer.app.test_client()
    form_path = police_open(police, link, code).location
    downloads = [police.get(form_path + "/pdf") for _ in range(3)]
    export = police.get(form_path + "/export.zip")
    assert len(renders) == 1  # three downloads and an export: not one render while police wait
    assert all(d.status_code == 200 and d.data == downloads[0].data for d in downloads)
    assert "Towards the canal" in first_page_text(downloads[0].data)
    assert export.status_code == 200


def test_new_missing_now_details_make_the_share_pdf_again(preparing, renders):
    carer = preparing
    report_missing(carer)
    link, code, _ = create_share(carer)
    kept.wait_for_pending()
    carer.post(f"/people/{carer.person_id}/missing/clothing", {"clothing_today": "Blue cardigan"})
    kept.wait_for_pending()
    assert len(renders) == 2
    police = carer.app.test_client()
    pdf_bytes = police.get(police_open(police, link, code).location + "/pdf").data
    assert "Blue cardigan" in first_page_text(pdf_bytes) and len(renders) == 2


def test_without_a_kept_pdf_the_first_download_renders_and_keeps_it(carer, renders):
    report_missing(carer)
    link, code, _ = create_share(carer)  # PREPARE_POLICE_PDFS is off in the test suite
    police = carer.app.test_client()
    form_path = police_open(police, link, code).location
    assert police.get(form_path + "/pdf").status_code == 200 and len(renders) == 1
    assert police.get(form_path + "/pdf").status_code == 200 and len(renders) == 1
    assert share_row(carer.app).pdf_sealed


def test_kept_share_pdf_goes_when_the_share_ends_or_locks_or_the_person_is_erased(preparing):
    carer = preparing
    report_missing(carer)
    create_share(carer)
    link, _code, _ = create_share(carer)
    kept.wait_for_pending()
    with carer.app.app_context():
        first, second = db.session.execute(db.select(Share).order_by(Share.id)).scalars()
        assert first.pdf_sealed and second.pdf_sealed
        first_id = first.id
    carer.post(f"/people/{carer.person_id}/shares/{first_id}/end")
    police = carer.app.test_client()
    token = page(police.get(link.replace("http://localhost", ""))).find("input", {"name": "csrf_token"})["value"]
    for _ in range(5):
        police.post(link.replace("http://localhost", ""), data={"csrf_token": token, "code": "WRNG-CDE2"})
    with carer.app.app_context():
        assert [row.pdf_sealed for row in db.session.execute(db.select(Share).order_by(Share.id)).scalars()] == [
            None,
            None,
        ]
        person = db.session.get(Person, carer.person_id)
        erasure.erase_person(person)
        assert db.session.execute(db.select(db.func.count()).select_from(Share)).scalar() == 0


def test_version_pdf_is_kept_until_its_photos_change(carer, renders):
    path = f"/people/{carer.person_id}/pdf/version/1"
    first = carer.client.get(path)
    second = carer.client.get(path)
    assert first.status_code == second.status_code == 200 and first.data == second.data
    assert len(renders) == 1
    with carer.app.app_context():
        sealed = db.session.execute(db.select(Revision.pdf_sealed)).scalar_one()
        assert sealed and b"%PDF" not in sealed
        person = db.session.get(Person, carer.person_id)
        photo_id = store.list_photos(person)[-1]["id"]
        store.delete_photo(person, photo_id)
    assert carer.client.get(path).status_code == 200 and len(renders) == 2  # a photo went: made again
    assert carer.client.get(path).status_code == 200 and len(renders) == 2


def test_a_kept_version_pdf_goes_as_soon_as_a_photo_or_the_report_changes(carer, renders):
    """Not at the next download: a deleted photo or a closed missing-now report must not live on inside the
    sealed copy. Every change that alters what the version's PDF shows drops it at once."""
    path = f"/people/{carer.person_id}/pdf/version/1"
    body = carer.client.get(path).data
    assert len(renders) == 1

    def kept_copy() -> bytes | None:
        with carer.app.app_context():
            return db.session.execute(db.select(Revision.pdf_sealed).filter_by(person_id=carer.person_id)).scalar_one()

    def photo_ids() -> list[str]:
        with carer.app.app_context():
            return [photo["id"] for photo in store.list_photos(carer.person())]

    def in_store(change):
        def run():
            with carer.app.app_context():
                change(carer.person())

        return run

    seen_at = datetime.now() - timedelta(hours=1)
    changes = {
        "a caption changed": in_store(lambda p: store.update_photo_details(p, photo_ids()[0], {"caption": "New"})),
        "another main photo": in_store(lambda p: store.set_primary_photo(p, photo_ids()[-1])),
        "a photo added": in_store(lambda p: store.add_photo(p, cleaning.clean_photo(jpeg(120, 90)).jpeg, {})),
        "a photo deleted": in_store(lambda p: store.delete_photo(p, photo_ids()[-1])),
        "reported missing": lambda: report_missing(carer, seen_at=seen_at),
        "details added": lambda: carer.post(f"/people/{carer.person_id}/missing/clothing", {"clothing_today": "Hat"}),
        "found (report closed)": lambda: carer.post(
            f"/people/{carer.person_id}/found",
            {"found_date": [str(seen_at.day), str(seen_at.month), str(seen_at.year)], "found_time": "23:59"},
        ),
    }
    dropped = {}
    for what, change in changes.items():
        with carer.app.app_context():
            kept.keep_version_pdf(carer.person(), 1, "made from what was there before", body)
        assert kept_copy() is not None
        response = change()
        assert response is None or response.status_code == 302, what
        dropped[what] = kept_copy() is None
    print(f"\nKept version PDF dropped at once: {dropped}")
    assert all(dropped.values()), dropped
    assert len(renders) == 1  # nothing downloaded meanwhile
