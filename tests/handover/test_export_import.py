"""Export package: layout, schema, round trip (export → import → export equal apart from ids and dates),
CLI equivalents, and hostile packages refused with a clear message and nothing stored. The round trip and the
hostile packages run with photo blobs in the instance folder and on S3-compatible storage (s3rver)."""

import io
import json
import stat
import time
import zipfile

import pytest
from bs4 import BeautifulSoup

from herbert.audit import Action
from herbert.extensions import db
from herbert.handover.transfer import export, schema
from herbert.handover.transfer.importer import import_package
from herbert.handover.transfer.unpack import PackageRejected, read_package
from herbert.models import AuditEvent, Person, User
from herbert.records import store
from tests.support.blob_backends import stored_blobs
from tests.support.journey import make_person, report_missing
from tests.support.packages import counts, rebuild, with_json, zip_of
from tests.support.photos import jpeg


def download_export(carer) -> bytes:
    response = carer.post(f"/people/{carer.person_id}/export")
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "Ada" not in response.headers["Content-Disposition"]
    return response.data


def comparable(package: bytes) -> dict:
    """The package's record without what may differ after an import: export time and publication dates."""
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        envelope = json.loads(archive.read(export.JSON_NAME))
        photo_files = sorted(name for name in archive.namelist() if name.startswith("photos/"))
    envelope.pop("exported_at")
    for version in envelope["versions"]:
        version.pop("published_at")
    return envelope | {"photo_files": photo_files}


def test_export_package_layout_and_schema(carer):
    report_missing(carer, seen_by="Neighbour")
    package = download_export(carer)
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        names = archive.namelist()
        assert {export.JSON_NAME, schema.SCHEMA_FILE, export.README_NAME, export.PDF_NAME} <= set(names)
        assert archive.read(export.PDF_NAME).startswith(b"%PDF")
        assert sorted(n for n in names if n.startswith("photos/")) == [
            "photos/01-head_and_shoulders.jpg",
            "photos/02-outdoor_clothes.jpg",
        ]
        envelope = json.loads(archive.read(export.JSON_NAME))
        assert json.loads(archive.read(schema.SCHEMA_FILE)) == schema.shipped_schema()
        assert archive.read("photos/01-head_and_shoulders.jpg").startswith(b"\xff\xd8")
        assert "Herbert Protocol" in archive.read(export.README_NAME).decode()
    assert envelope["format"] == "herbert-protocol" and envelope["schema_version"] == 1
    assert envelope["document"]["about-the-person"]["full_name"] == "Ada Canary-Example"
    assert [v["number"] for v in envelope["versions"]] == [1]
    assert envelope["photos"][0] == {
        "file": "photos/01-head_and_shoulders.jpg",
        "kind": "head_and_shoulders",
        "taken_on": "2025-01-02",
        "caption": "At home",
        "primary": True,
    }
    assert envelope["missing_report"]["seen_by"] == "Neighbour"
    with carer.app.app_context():
        assert db.session.execute(db.select(AuditEvent).filter_by(action=Action.RECORD_EXPORT)).scalar_one()


@pytest.mark.blob_backends
def test_round_trip_export_import_export(carer, tmp_path):
    report_missing(carer)
    first = download_export(carer)
    photos_before = len(stored_blobs(carer.app))
    form = BeautifulSoup(carer.client.get("/people/import").data, "html.parser")
    token = form.find("input", {"name": "csrf_token"})["value"]
    response = carer.client.post(
        "/people/import",
        data={"csrf_token": token, "package": (io.BytesIO(first), "export.zip")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with carer.app.app_context():
        new_ids = [p for p in db.session.execute(db.select(Person.id)).scalars() if p != carer.person_id]
        (new_id,) = new_ids
        new_person = db.session.get(Person, new_id)
        assert new_person.status == "missing"
        assert store.load_summary(new_person)["name"] == "Ada Canary-Example"
        imported = db.select(AuditEvent).filter_by(action=Action.RECORD_IMPORT, person_id=new_id)
        assert db.session.execute(imported).scalar_one()
    second = carer.post(f"/people/{new_id}/export")
    assert second.status_code == 200
    assert comparable(first) == comparable(second.data)
    assert photos_before and len(stored_blobs(carer.app)) == 2 * photos_before  # the copy's photos are in the store


def test_cli_export_and_import(carer, runner, tmp_path):
    outfile = tmp_path / "out.zip"
    result = runner.invoke(args=["export", carer.person_id, str(outfile)])
    assert result.exit_code == 0, result.output
    assert outfile.stat().st_mode & 0o077 == 0
    result = runner.invoke(args=["import", str(outfile), "--owner", "carer@example.com"])
    assert result.exit_code == 0 and "Imported as person" in result.output
    result = runner.invoke(args=["import", str(outfile), "--owner", "nobody@example.com"])
    assert result.exit_code != 0 and "No account" in result.output


# --- hostile packages --------------------------------------------------------------------------------


@pytest.fixture
def owner(app):
    """An account (made directly: no sign-up needed to call the importer) with one person, in an app context."""
    with app.app_context():
        user = User(email="importer@example.com", password_hash="not-used")
        db.session.add(user)
        db.session.commit()
        person_id = make_person(user.id)
        person = db.session.get(Person, person_id)
        package = export.build_package(export.content_for_person(person), None)
        yield user.id, package


def valid_package(carer) -> bytes:
    with carer.app.app_context():
        person = db.session.get(Person, carer.person_id)
        return export.build_package(export.content_for_person(person), None)





def symlink_entry(package: bytes) -> bytes:
    def change(name, data):
        if name.startswith("photos/01"):
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            return [(info, b"/etc/passwd")]
        return [(name, data)]

    return rebuild(package, change)


def lying_sizes(package: bytes) -> bytes:
    """A zip bomb that lies in its headers: the JSON entry declares 100 bytes but inflates to 5 MB."""
    raw = bytearray(zip_of([(export.JSON_NAME, b"{" + b" " * 5_000_000 + b"}")]))
    big = (5_000_002).to_bytes(4, "little")
    small = (100).to_bytes(4, "little")
    return bytes(raw.replace(big, small))


HOSTILE = {
    "not a zip": lambda pkg: b"%PDF-1.7 not a zip at all",
    "truncated zip": lambda pkg: pkg[: len(pkg) // 2],
    "zip bomb (ratio)": lambda pkg: zip_of([(export.JSON_NAME, b"0" * 30_000_000)]),
    "zip bomb (lying sizes)": lying_sizes,
    "path traversal": lambda pkg: rebuild(
        pkg, lambda n, d: [(n, d)] + ([("../../evil.txt", b"x")] if n == "README.txt" else [])
    ),
    "absolute path": lambda pkg: rebuild(
        pkg, lambda n, d: [(n, d)] + ([("/etc/cron.d/evil", b"x")] if n == "README.txt" else [])
    ),
    "backslash path": lambda pkg: rebuild(
        pkg, lambda n, d: [(n, d)] + ([("photos\\..\\x.jpg", b"x")] if n == "README.txt" else [])
    ),
    "unexpected file": lambda pkg: rebuild(
        pkg, lambda n, d: [(n, d)] + ([("run.sh", b"x")] if n == "README.txt" else [])
    ),
    "symlink entry": symlink_entry,
    "duplicate names": lambda pkg: rebuild(pkg, lambda n, d: [(n, d), (n, d)] if n == "README.txt" else [(n, d)]),
    "huge entry count": lambda pkg: zip_of([(f"photos/{i:03d}-other.jpg", b"x") for i in range(500)]),
    "no json": lambda pkg: rebuild(pkg, lambda n, d: [] if n == export.JSON_NAME else [(n, d)]),
    "bad json": lambda pkg: rebuild(pkg, lambda n, d: [(n, b"{not json")] if n == export.JSON_NAME else [(n, d)]),
    "non-utf8 json": lambda pkg: rebuild(
        pkg, lambda n, d: [(n, d.decode().encode("utf-16"))] if n == export.JSON_NAME else [(n, d)]
    ),
    "duplicate json keys": lambda pkg: rebuild(
        pkg, lambda n, d: [(n, b'{"format": "x", "format": "herbert-protocol"}')] if n == export.JSON_NAME else [(n, d)]
    ),
    "schema-invalid json (wrong format)": lambda pkg: with_json(pkg, lambda e: e.update(format="other")),
    "schema-invalid json (unknown question)": lambda pkg: with_json(
        pkg, lambda e: e["document"]["about-the-person"].update(password="hunter2")
    ),
    "schema-invalid json (too long)": lambda pkg: with_json(
        pkg, lambda e: e["document"]["about-the-person"].update(full_name="x" * 100_000)
    ),
    "photo listed but missing": lambda pkg: rebuild(pkg, lambda n, d: [] if n.startswith("photos/02") else [(n, d)]),
    "photo that is not an image": lambda pkg: rebuild(
        pkg, lambda n, d: [(n, b"<svg xmlns='http://www.w3.org/2000/svg'/>")] if n.startswith("photos/01") else [(n, d)]
    ),
    "photo that is a truncated jpeg": lambda pkg: rebuild(
        pkg, lambda n, d: [(n, jpeg(400, 400)[:300])] if n.startswith("photos/01") else [(n, d)]
    ),
}


@pytest.mark.blob_backends
def test_hostile_packages_are_refused_and_nothing_is_stored(app, owner, backend):
    """Every case in one app (building an app per case would cost most of this suite's time)."""
    user_id, valid = owner
    before = counts()
    blobs_before = sorted(stored_blobs(app))
    messages = {}
    for case, make in sorted(HOSTILE.items()):
        package = make(valid)
        started = time.perf_counter()
        with pytest.raises(PackageRejected) as rejected:
            import_package(package, user_id)
        assert time.perf_counter() - started < 5, case
        messages[case] = rejected.value.message
        assert counts() == before, case
        assert sorted(stored_blobs(app)) == blobs_before, case
    print(f"\nHostile packages ({backend}): {len(messages)} refused, nothing stored")
    for case, message in messages.items():
        print(f"  {case}: {message}")
        assert message and "Traceback" not in message and "Ada" not in message


def test_hostile_package_over_http_shows_a_clear_message(carer):
    form = BeautifulSoup(carer.client.get("/people/import").data, "html.parser")
    token = form.find("input", {"name": "csrf_token"})["value"]
    package = HOSTILE["path traversal"](valid_package(carer))
    response = carer.client.post(
        "/people/import",
        data={"csrf_token": token, "package": (io.BytesIO(package), "export.zip")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    page = BeautifulSoup(response.data, "html.parser")
    assert page.title.text.startswith("Error:")
    assert "name that is not allowed" in page.find(class_="govuk-error-summary").get_text()


def test_a_valid_package_passes_every_check(owner):
    checked = read_package(owner[1])
    assert len(checked.content.photos) == 2
