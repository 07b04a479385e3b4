"""B10: unique canary strings in every field, the summary, photo details and a JPEG's EXIF, written through
the store → zero hits (UTF-8, UTF-16, hex, base64) in the database and its -wal/-shm files (or a pg_dump),
the blob folder or every object in the S3 bucket (and s3rver's own files for it), the temp dir, the logs and a
backup."""

import base64
import json
import logging
import subprocess
import tempfile
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from herbert.extensions import db
from herbert.records import store
from herbert.records.blobs import blob_store
from herbert.search_aid.stored_points import refresh_points
from tests.support.blob_backends import every_stored_object
from tests.support.store import (
    CANARY_PREFIX,
    PREFIX_PATTERNS,
    canary,
    canary_document,
    canary_hits,
    jpeg_with_exif,
    search_paths,
)

pytestmark = pytest.mark.blob_backends


def test_search_finds_a_canary_in_every_encoding():
    """The positive control: the search below would see a leak in any of the encodings it claims to cover."""
    embedded = f'{{"field":"{canary("control")}"}}'
    samples = {
        "utf-8": embedded.encode(),
        "utf-16le": embedded.encode("utf-16-le"),
        "utf-16be": embedded.encode("utf-16-be"),
        "hex": embedded.encode().hex().encode(),
        "HEX": embedded.encode().hex().upper().encode(),
    }
    for offset in range(3):  # the canary at each of the three base64 alignments
        raw = bytes(offset) + embedded.encode()
        samples[f"base64+{offset}"] = base64.b64encode(raw)
        samples[f"base64url+{offset}"] = base64.urlsafe_b64encode(raw.replace(b"-", b"\xfb"))
    for name, data in samples.items():
        assert canary_hits(b"\x00junk" + data + b"junk\x00"), name


def point_leaks(paths: list[Path], needles: list[str], logs: bytes) -> list[str]:
    """Where a postcode or coordinate of the geocoded points appears in plain text (UTF-8, UTF-16, hex).
    Base64 is left out here: these strings are short, so their base64 cores are 4-8 characters, which
    random ciphertext in a dump would match by chance; the canaries above cover base64 for the same code path."""
    patterns = {}
    for needle in needles:
        raw = needle.encode()
        for name, pattern in (("utf-8", raw), ("utf-16le", needle.encode("utf-16-le")),
                              ("utf-16be", needle.encode("utf-16-be")), ("hex", raw.hex().encode())):  # fmt: skip
            patterns[f"{needle} {name}"] = pattern
    files = [p for root in paths for p in ([root] if root.is_file() else root.rglob("*")) if p.is_file()]
    found = [f"{file}: {name}" for file in files for name, pattern in patterns.items() if pattern in file.read_bytes()]
    return found + [f"logs: {name}" for name, pattern in patterns.items() if pattern in logs]


def test_b10_no_plaintext_on_disk(ctx, backend, tmp_path, monkeypatch, caplog):
    temp_dir = tmp_path / "tmp"
    temp_dir.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp_dir))  # SQLite and any subprocess put temp files here
    monkeypatch.setattr(tempfile, "tempdir", str(temp_dir))
    # Made before log capture starts: Pillow's own DEBUG logging echoes EXIF values while *building* this
    # test file (PIL.TiffImagePlugin). The store never decodes images, so it cannot trigger that itself.
    exif_canary = canary("exif")
    jpeg = jpeg_with_exif(exif_canary)
    caplog.set_level(logging.DEBUG)

    sent_headers: list[dict] = []
    if ctx.app.config.get("S3_BUCKET"):  # look at what really goes over the wire to the object store
        blob_store().client().meta.events.register(
            "before-send.s3.PutObject", lambda request, **_: sent_headers.append(dict(request.headers))
        )

    document, canaries = canary_document()
    person = store.person_for(ctx.user_id, store.create_person(ctx.user_id))
    summary = {"name": canary("name"), "preferred_name": canary("preferred-name")}
    store.save_summary(person, summary)
    for section, answers in document.items():
        store.save_section(person, section, answers)
    store.publish(person, ctx.user_id, document, None)
    store.replace_draft(person, document)
    details = {"kind": canary("photo-kind"), "caption": canary("photo-caption"), "taken_on": canary("taken-on")}
    photo_id = store.add_photo(person, jpeg, details)
    store.update_photo_details(person, photo_id, details | {"caption": canary("caption-changed")})
    sealed = store.seal_for(person, "missing_reports", 1, "report", {"last_seen_wearing": canary("missing")})
    canaries += [*summary.values(), exif_canary, *details.values()]
    # geocoded points (the search aid): real postcodes and their coordinates, and a phone's location
    places = {"about-the-person": {"postcode": "se10 9nf"},
              "contacts": {"contacts": [{"id": "c1", "contact_postcode": "BR13UH"}]}}  # fmt: skip
    phone = {"last_seen_where": "by SW1A 1AA", "last_seen_lat": "51.50137", "last_seen_lon": "-0.14189"}
    assert refresh_points(person, places, phone) == 3
    store.seal_for(person, "missing_reports", 3, "report", phone)
    points = store.load_points(person)
    assert set(points) == {"SE10 9NF", "BR1 3UH", "SW1A 1AA"} and all(points.values())
    point_needles = [*points, *(p.replace(" ", "") for p in points), phone["last_seen_lat"], phone["last_seen_lon"]]
    point_needles += [json.dumps(coordinate) for value in points.values() for coordinate in value]  # "51.48028…"

    # everything reads back, and a failure to open logs nothing personal
    assert store.load_draft(person) == document and exif_canary.encode() in store.open_photo(person, photo_id)
    with pytest.raises(store.RecordUnreadable):
        store.open_for(person, "missing_reports", 2, "report", sealed)

    backup = tmp_path / "backup"
    result = ctx.app.test_cli_runner().invoke(args=["backup", str(backup)])
    assert result.exit_code == 0, result.output

    instance = Path(ctx.app.instance_path)
    searched = [instance / "blobs", temp_dir, backup]
    objects = every_stored_object(ctx.app)
    assert len(objects) == 1 and all(data[:1] == b"\x01" for data in objects.values())  # one sealed photo
    object_hits = {name: found for name, data in objects.items() if (found := canary_hits(data))}
    if ctx.app.config.get("S3_BUCKET"):
        server = ctx.app.extensions["tests.s3_server"]
        searched.append(server.directory / ctx.app.config["S3_BUCKET"])  # s3rver's files: object and metadata
        [name] = objects
        assert name.removeprefix(ctx.app.config["S3_PREFIX"]) == photo_id  # a random id: no person id, no name
        assert person.id not in name
        sent = {key.lower() for headers in sent_headers for key in headers}
        assert sent and not {key for key in sent if key.startswith(("x-amz-acl", "x-amz-grant"))}  # private
    if backend == "sqlite":
        database = Path(make_url(db.engine.url).database)
        assert database.with_name(database.name + "-wal").exists()  # the WAL really is there to search
        searched += [database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")]
    else:
        dump = tmp_path / "plain.sql"
        url = make_url(db.engine.url)
        subprocess.run(
            ["pg_dump", "--format=plain", f"--file={dump}", "-h", url.host, "-p", str(url.port or 5432),
             "-U", url.username, url.database],
            check=True, capture_output=True,
        )  # fmt: skip
        searched.append(dump)
    hits = search_paths(searched)
    log_hits = canary_hits((caplog.text + result.output).encode())
    point_hits = point_leaks(searched, point_needles, (caplog.text + result.output).encode())
    files = [p for root in searched for p in ([root] if root.is_file() else root.rglob("*")) if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    print(
        f"\nB10 ({backend}, blobs in {blob_store().describe()}): {len(objects)} blob(s); "
        f"{len(canaries)} canaries ({len(document)} sections + summary, photo details, EXIF); "
        f"searched {len(files)} files ({size} bytes) + {len(caplog.records)} log records in "
        f"{len(PREFIX_PATTERNS)} encodings: {len(hits)} files with hits, {len(log_hits)} log hits; "
        f"{len(point_needles)} postcodes and coordinates of geocoded points: {len(point_hits)} hits"
    )
    assert len(set(canaries)) == len(canaries) and all(c.startswith(CANARY_PREFIX) for c in canaries)
    assert hits == {} and log_hits == [] and object_hits == {} and point_hits == []
