"""B7 hostile uploads (security.md): pixel floods, damaged files, polyglots, SVG/XXE, wrong types, lying MIME
types, traversal names, oversize and metadata-laden photos — all generated here, none committed.

Pass bar: 0 crashes (no 500), 0 stored as-is, 0 metadata in what is stored, each rejection under 1 s,
with a message a carer understands. Checked on the pure function and through the upload page.
Run with -s to see the figures.
"""

import io
import time
from datetime import datetime
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from herbert import clock
from herbert.photos import cleaning
from herbert.photos.cleaning import PhotoRejected, clean_photo
from tests.support.photos import (
    ACCEPT,
    ACCEPT_OR_REJECT,
    ANY_REJECTION,
    CANARY,
    Upload,
    add_person,
    hostile_uploads,
    metadata_found,
    multipart,
    stored_photos,
)

CASES = hostile_uploads()
CARER_MESSAGES = {
    cleaning.NOT_JPEG_OR_PNG,
    cleaning.EMPTY_FILE,
    cleaning.TOO_MANY_BYTES,
    cleaning.TOO_MANY_PIXELS,
    cleaning.UNREADABLE,
    "Select a photo",
}
REJECTION_SECONDS = 1.0


def test_the_corpus_has_at_least_forty_cases():
    assert len(CASES) >= 40
    assert len({case.name for case in CASES}) == len(CASES)


def outcome_matches(case: Upload, outcome: str) -> bool:
    if case.expect == ACCEPT_OR_REJECT:
        return outcome == ACCEPT or outcome in CARER_MESSAGES
    if case.expect == ANY_REJECTION:
        return outcome in CARER_MESSAGES
    return outcome == case.expect


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_clean_photo_handles_hostile_input(case: Upload):
    data = case.make()
    started = time.perf_counter()
    try:
        cleaned = clean_photo(data, case.filename)
        outcome = ACCEPT
    except PhotoRejected as rejected:
        cleaned, outcome = None, rejected.message
    elapsed = time.perf_counter() - started
    assert outcome_matches(case, outcome), outcome
    if cleaned is None:
        assert elapsed < REJECTION_SECONDS
        assert outcome in CARER_MESSAGES
    else:
        assert cleaned.jpeg != data
        assert metadata_found(cleaned.jpeg) == []
        assert max(cleaned.width, cleaned.height) <= cleaning.MAX_SIDE


@pytest.fixture
def person_id(app, signed_in) -> str:
    return add_person(app)


def test_b7_through_the_upload_page(app, signed_in, person_id, backend):
    """Every case posted as a carer would; prints the battery's figures."""
    # Every accepted case goes to one person, so lift the photo cap here (the cap's own tests: tests/availability).
    app.config["MAX_PHOTOS_PER_PERSON"] = len(CASES)
    clock.freeze(datetime(2026, 3, 15, 10, 0))
    blobs = Path(app.config["BLOB_PATH"])
    token = BeautifulSoup(signed_in.get(f"/people/{person_id}/photos/add").data, "html.parser").find(
        "input", {"name": "csrf_token"}
    )["value"]
    rows, crashes, stored_as_is, with_metadata, slow, wrong = [], [], [], [], [], []
    accepted = 0
    for case in CASES:
        data = case.make()
        before = {photo["id"] for photo in stored_photos(app, person_id)}
        started = time.perf_counter()
        body, content_type = multipart(
            {
                "csrf_token": token,
                "photo": (data, case.filename, case.mimetype),
                "kind": "head_and_shoulders",
                "taken_on": ["1", "3", "2026"],
                "caption": "",
            }
        )
        response = signed_in.post(f"/people/{person_id}/photos/add", data=body, content_type=content_type)
        elapsed = time.perf_counter() - started
        after = stored_photos(app, person_id)
        new = [photo for photo in after if photo["id"] not in before]
        if response.status_code >= 500:
            crashes.append(case.name)
            continue
        if response.status_code == 302:
            outcome = ACCEPT
            accepted += 1
            assert len(new) == 1, case.name
            stored = new[0]["jpeg"]
            if stored == data:
                stored_as_is.append(case.name)
            if metadata_found(stored):
                with_metadata.append((case.name, metadata_found(stored)))
        else:
            assert response.status_code in (200, 413), (case.name, response.status_code)
            page = BeautifulSoup(response.data, "html.parser")
            summary = page.find(class_="govuk-error-summary")
            outcome = summary.find("li").text.strip() if summary else f"HTTP {response.status_code}"
            assert page.find(id="photo-error") is not None, case.name
            assert page.title.text.startswith("Error: "), case.name
            assert new == [], case.name
            if elapsed >= REJECTION_SECONDS:
                slow.append((case.name, elapsed))
        if not outcome_matches(case, outcome):
            wrong.append((case.name, case.expect, outcome))
        rows.append((case.name, outcome, elapsed))
    # Nothing on disk but sealed blobs, one per stored photo, and no canary in any of them.
    files = sorted(blobs.iterdir())
    assert len(files) == len(stored_photos(app, person_id)) == accepted
    assert all(path.suffix == ".bin" for path in files)
    assert not any(CANARY.encode() in path.read_bytes() for path in files)
    clock.freeze(None)

    rejections = [elapsed for _name, outcome, elapsed in rows if outcome != ACCEPT]
    print(f"\nB7 hostile uploads through the page ({backend}): {len(CASES)} cases")
    for name, outcome, elapsed in rows:
        print(f"  {elapsed * 1000:7.1f} ms  {name:42}  {outcome}")
    print(
        f"  accepted {accepted}, rejected {len(rejections)}, crashes {len(crashes)}, stored as-is {len(stored_as_is)}, "
        f"with metadata {len(with_metadata)}, max rejection {max(rejections) * 1000:.1f} ms"
    )
    assert crashes == []
    assert stored_as_is == []
    assert with_metadata == []
    assert slow == []
    assert wrong == []


def test_uploads_are_parsed_in_memory_not_spooled_to_a_temp_file(app):
    """Werkzeug spools uploads over 500 KB to disk unless told otherwise; a photo is personal data."""
    with app.test_request_context():
        from flask import request

        stream = request._get_file_stream(5_000_000, "image/jpeg", "photo.jpg", 5_000_000)
        assert isinstance(stream, io.BytesIO)
