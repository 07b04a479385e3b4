"""The export package: one zip holding the whole record, built in memory and never written to disk.

Layout (see docs/design/handover.md and README.txt inside the package):
    herbert-protocol.json               the record, shaped by the question registry (schema below)
    herbert-protocol-v1.schema.json     the JSON Schema that herbert-protocol.json follows
    herbert-protocol.pdf                the police PDF (with the missing-now block when there is one)
    photos/01-head_and_shoulders.jpg    the photos, as cleaned JPEGs
    README.txt                          what the receiver is looking at
"""

import base64
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from herbert.clock import utcnow
from herbert.documents.police_form import handover_meta, render_police_pdf
from herbert.documents.renderer import PdfError
from herbert.handover.missing import report as missing
from herbert.handover.shares import snapshot
from herbert.handover.shares.messages import footer_line
from herbert.handover.shares.snapshot import photo_details
from herbert.handover.transfer import schema
from herbert.links import police_address
from herbert.models import Person
from herbert.records import store

JSON_NAME = "herbert-protocol.json"
PDF_NAME = "herbert-protocol.pdf"
README_NAME = "README.txt"
# Fixed times inside the zip: the package's bytes then depend only on its contents.
ZIP_TIME = (2000, 1, 1, 0, 0, 0)

README = """Herbert Protocol record: export package
=======================================

This package holds a Herbert Protocol form: what police need to find a person with dementia (or another
condition) who has gone missing. It contains personal and health information. Keep it safe, share it only
with people who need it, and delete it when it is no longer needed.

Files
-----
herbert-protocol.pdf            The form as a printable PDF. If the person is missing now, page 1 starts
                                with the "missing now" details (when and where last seen, clothing today).
herbert-protocol.json           The same record as structured data (UTF-8 JSON), for loading into other
                                systems: {"format": "herbert-protocol", "schema_version": 1, "document":
                                {section: {question: answer}}, "versions": [...], "photos": [...],
                                "missing_report": {...} or null}.
herbert-protocol-v1.schema.json The JSON Schema (draft 2020-12) that herbert-protocol.json follows.
photos/                         The photos as JPEG files. herbert-protocol.json says what each one shows,
                                when it was taken and which one is the main photo ("primary").

Times in the missing-now report are UK local time. The package can be imported into another copy of the
Herbert Protocol tool ("Import a record").
"""


@dataclass
class PackagePhoto:
    kind: str
    taken_on: str | None
    caption: str
    primary: bool
    jpeg: bytes
    file: str = ""
    id: str = ""  # the store's photo id, for naming clothing photos in the PDF (never exported)


@dataclass
class PackageContent:
    """Everything a package holds, as plain data (from the store, from a share's snapshot, or from a zip)."""

    document: dict[str, Any]
    versions: list[dict[str, Any]] = field(default_factory=list)
    photos: list[PackagePhoto] = field(default_factory=list)
    missing_report: dict[str, Any] | None = None

    def pdf_photos(self) -> list[tuple[dict[str, Any], bytes]]:
        return [
            ({"id": p.id, "kind": p.kind, "taken_on": p.taken_on, "caption": p.caption, "primary": p.primary}, p.jpeg)
            for p in self.photos
        ]


def _order_photos(photos: list[PackagePhoto]) -> list[PackagePhoto]:
    """Primary first, then newest taken: a stable order that survives an import, with file names to match."""
    ordered = sorted(photos, key=lambda p: (p.kind, p.caption))
    ordered.sort(key=lambda p: p.taken_on or "", reverse=True)  # newest first; undated ("") last
    ordered.sort(key=lambda p: not p.primary)  # sorts are stable: primary first, the rest as above
    for number, photo in enumerate(ordered, start=1):
        photo.file = f"photos/{number:02d}-{re.sub(r'[^a-z0-9_]', '_', photo.kind.lower())[:40] or 'photo'}.jpg"
    return ordered


def content_for_person(person: Person) -> PackageContent:
    """The whole record held for a person: draft, every published version, photos, open missing report."""
    versions = []
    for revision in sorted(store.list_revisions(person), key=lambda r: r["number"]):
        versions.append(
            {
                "number": revision["number"],
                "published_at": _iso(revision["published_at"]),
                "document": store.load_revision(person, revision["number"]),
            }
        )
    photos = []
    for photo in store.list_photos(person):
        details = photo_details(photo)
        photos.append(PackagePhoto(jpeg=store.open_photo(person, photo["id"]), id=photo["id"], **details))
    report = missing.open_report(person)
    return PackageContent(
        document=store.load_draft(person),
        versions=versions,
        photos=_order_photos(photos),
        missing_report=missing.load_report(person, report) if report is not None else None,
    )


def content_for_snapshot(snapshot: dict[str, Any]) -> PackageContent:
    """What police download from a share: the shared version only, with its photos and report."""
    photos = [
        PackagePhoto(
            kind=p["kind"],
            taken_on=p.get("taken_on"),
            caption=p.get("caption", ""),
            primary=bool(p.get("primary")),
            jpeg=base64.b64decode(p["jpeg"]),
            id=p.get("id", ""),
        )
        for p in snapshot.get("photos", [])
    ]
    return PackageContent(
        document=snapshot.get("document", {}),
        versions=[],
        photos=_order_photos(photos),
        missing_report=snapshot.get("missing_report"),
    )


def _iso(value: datetime | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.isoformat(timespec="seconds")


def envelope(content: PackageContent, exported_at: datetime | None = None) -> dict[str, Any]:
    """herbert-protocol.json as a dict."""
    return {
        "format": schema.FORMAT,
        "schema_version": schema.SCHEMA_VERSION,
        "exported_at": _iso(exported_at or utcnow()),
        "document": content.document,
        "versions": content.versions,
        "photos": [
            {"file": p.file, "kind": p.kind, "taken_on": p.taken_on, "caption": p.caption, "primary": p.primary}
            for p in content.photos
        ],
        "missing_report": content.missing_report,
    }


def _add(archive: zipfile.ZipFile, name: str, data: bytes, compress: bool = True) -> None:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.external_attr = 0o100644 << 16  # a plain file, readable by its owner and others who receive it
    archive.writestr(info, data)


def build_package(content: PackageContent, pdf: bytes | None, police_line: str = "") -> bytes:
    """The zip's bytes, built in a BytesIO (nothing personal touches the disk). police_line: where police open
    the form online (herbert.handover.shares.messages.footer_line), added to the README."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        body = json.dumps(envelope(content), ensure_ascii=False, indent=2, sort_keys=True)
        _add(archive, JSON_NAME, body.encode("utf-8"))
        _add(archive, schema.SCHEMA_FILE, schema.shipped_schema_text().encode("utf-8"))
        if pdf is not None:
            _add(archive, PDF_NAME, pdf, compress=False)
        for photo in content.photos:
            _add(archive, photo.file, photo.jpeg, compress=False)  # JPEGs do not compress further
        readme = README + (f"\n{police_line}\n" if police_line else "")
        _add(archive, README_NAME, readme.encode("utf-8"))
    return buffer.getvalue()


def download_name(prefix: str = "herbert-protocol") -> str:
    """No name in the file name (it would end up in download folders and logs): just the date."""
    return f"{prefix}-{utcnow():%Y-%m-%d}.zip"


@dataclass
class ExportedPackage:
    data: bytes
    photo_count: int
    has_pdf: bool


def export_person(person: Person) -> ExportedPackage:
    """The person's whole record as an export package, with the police PDF of their current version. When the
    PDF cannot be made the data still goes out, and the package says so by having no PDF."""
    content = content_for_person(person)
    source = snapshot.default_source(person)
    try:
        pdf = render_police_pdf(
            snapshot.load_source(person, source),
            content.pdf_photos(),
            meta=handover_meta(snapshot.source_label(source)),
            missing_report=content.missing_report,
        )
    except PdfError:
        pdf = None
    data = build_package(content, pdf, footer_line(police_address()))
    return ExportedPackage(data=data, photo_count=len(content.photos), has_pdf=pdf is not None)
