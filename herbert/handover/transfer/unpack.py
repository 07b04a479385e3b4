"""Read an uploaded export package as hostile input: check everything, store nothing.

Refused with a clear message (PackageRejected), before anything is stored:
- not a zip, a damaged zip, encrypted entries, compression other than stored/deflate;
- too many entries, too large in total (declared sizes), and zip bombs: declared sizes are checked before
  reading, the compression ratio is capped, and every entry is read in chunks with a running count that
  stops as soon as it passes what was declared (the CRC is checked at the end as well);
- names that are absolute, contain "..", backslashes, control characters or drive letters, duplicates,
  symbolic links or other special files, and any name outside the package layout;
- herbert-protocol.json that is not strict UTF-8 JSON (duplicate keys, NaN, too deeply nested) or does
  not match the shipped JSON Schema (never a schema found inside the package);
- dates that are not real ISO dates (the schema's `format` is enforced, not just annotated);
- more photos than a person may have, or photos whose sizes (read from their headers before any pixel is
  decoded) add up to more than the package's decode budget: so one import's work is bounded;
- photos listed but missing, present but not listed, or that herbert.photos cannot clean.
The answers themselves are then checked by the pages' own validators (herbert.questions.answer_check,
called by herbert.handover.importer).
"""

import io
import json
import re
import stat
import zipfile
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from PIL import Image

from herbert.handover.transfer import schema
from herbert.handover.transfer.export import JSON_NAME, PackageContent, PackagePhoto
from herbert.photos import cleaning

MAX_PACKAGE_BYTES = 60 * 1024 * 1024  # the upload itself
MAX_ENTRIES = 110  # 100 photos, the JSON, the schema, the PDF, the README and a folder entry or two
DEFAULT_MAX_PHOTOS = 20  # herbert.caps MAX_PHOTOS_PER_PERSON; the importer passes the configured value
DEFAULT_MAX_TOTAL_PIXELS = 100_000_000  # herbert.caps IMPORT_MAX_TOTAL_PIXELS
MAX_TOTAL_BYTES = 200 * 1024 * 1024  # declared uncompressed size of everything together
MAX_JSON_BYTES = 8 * 1024 * 1024
MAX_OTHER_BYTES = 40 * 1024 * 1024  # the PDF, README and schema (declared size checked; never read)
MAX_RATIO = 150  # uncompressed / compressed, for entries bigger than RATIO_FLOOR
RATIO_FLOOR = 64 * 1024
CHUNK = 64 * 1024
ALLOWED_NAME = re.compile(
    r"^(?:herbert-protocol\.json|herbert-protocol-v\d{1,3}\.schema\.json|herbert-protocol\.pdf|README\.txt"
    r"|photos/|photos/[0-9]{2,3}-[a-z0-9_]{1,40}\.jpg)$"
)

NOT_A_PACKAGE = "The file is not a Herbert Protocol export package. Choose the .zip file that was downloaded."
DAMAGED = "The package is damaged and cannot be read. Download the export again and try once more."
TOO_BIG = "The package is too large to import. It must be smaller than 60MB."
TOO_MANY = "The package holds too many files to be a Herbert Protocol export."
BOMB = "The package unpacks to far more data than a Herbert Protocol export could hold, so it was not opened."
BAD_NAMES = "The package holds a file with a name that is not allowed (for example a path outside the package)."
UNEXPECTED = "The package holds files that are not part of a Herbert Protocol export."
DUPLICATES = "The package holds two files with the same name."
LINKS = "The package holds links or special files. Only plain files are allowed."
ENCRYPTED = "The package is password-protected or uses a kind of compression we do not accept."
NO_JSON = "The package has no herbert-protocol.json, so it is not a Herbert Protocol export."
BAD_JSON = "The record in the package (herbert-protocol.json) is not valid UTF-8 JSON."
WRONG_FORMAT = "The record in the package is not in the Herbert Protocol format (version 1): {where}."
PHOTO_MISMATCH = "The package's list of photos does not match the photo files it holds."
TOO_MANY_PHOTOS = "The package holds {count} photos. A person can have at most {limit}: remove some and export again."
TOO_MANY_PIXELS = (
    "The photos in the package are too big to import together (more than {megapixels} megapixels in all). "
    "Export again from this service, which makes photos smaller, or remove some photos."
)
BAD_PHOTO = "Photo {number} in the package cannot be used: {reason}."


class PackageRejected(Exception):
    """The package cannot be imported. str(error) is a message for the person importing it (no file content)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class ValidatedPackage:
    """A package that passed every check, with its photos already cleaned."""

    envelope: dict[str, Any]
    content: PackageContent


def _check_name(info: zipfile.ZipInfo) -> None:
    name = info.orig_filename
    if (
        not name
        or len(name) > 120
        or name.startswith(("/", "\\"))
        or "\\" in name
        or "\x00" in name
        or any(ord(ch) < 32 or ord(ch) == 127 for ch in name)
        or re.match(r"^[A-Za-z]:", name)
        or any(part in ("..", ".") for part in name.split("/"))
        or "//" in name
    ):
        raise PackageRejected(BAD_NAMES)
    if not ALLOWED_NAME.match(name):
        raise PackageRejected(UNEXPECTED)


def _check_kind(info: zipfile.ZipInfo) -> None:
    mode = info.external_attr >> 16
    file_type = stat.S_IFMT(mode)
    if file_type and file_type not in (stat.S_IFREG, stat.S_IFDIR):
        raise PackageRejected(LINKS)
    if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise PackageRejected(ENCRYPTED)


def _check_sizes(infos: list[zipfile.ZipInfo]) -> None:
    if sum(info.file_size for info in infos) > MAX_TOTAL_BYTES:
        raise PackageRejected(BOMB)
    for info in infos:
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise PackageRejected(BOMB)
        if info.orig_filename == JSON_NAME:
            limit = MAX_JSON_BYTES
        elif info.orig_filename.startswith("photos/"):
            limit = cleaning.MAX_UPLOAD_BYTES
        else:
            limit = MAX_OTHER_BYTES
        if info.file_size > limit:
            raise PackageRejected(BOMB if info.compress_size < info.file_size // 2 else TOO_BIG)


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """Read one entry in chunks, refusing as soon as it yields more than its header declared."""
    out = bytearray()
    try:
        with archive.open(info) as handle:
            while chunk := handle.read(CHUNK):
                out += chunk
                if len(out) > info.file_size:
                    raise PackageRejected(BOMB)
    except PackageRejected:
        raise
    except Exception:  # zlib errors and other decoder failures: the package is damaged, never a 500
        raise PackageRejected(DAMAGED) from None
    if len(out) != info.file_size:
        raise PackageRejected(DAMAGED)
    return bytes(out)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError("duplicate key")
        result[key] = value
    return result


def _refuse_constant(name: str) -> Any:
    raise ValueError("NaN and Infinity are not JSON")


def parse_json(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
        return json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise PackageRejected(BAD_JSON) from None


def _where(error: Any) -> str:
    """Where in the record the first problem is, by field names only (never the value, which may be personal)."""
    path = [str(part) for part in error.absolute_path if not isinstance(part, int)]
    return "in " + " › ".join(path[:4]) if path else "in its overall layout"


def validate_envelope(envelope: Any) -> None:
    # format_checker: "format": "date" is an assertion here, not a comment ("2024-02-30" and "soon" fail).
    validator = Draft202012Validator(schema.shipped_schema(), format_checker=FormatChecker())
    errors = sorted(validator.iter_errors(envelope), key=lambda e: (len(list(e.absolute_path)), str(e.path)))
    if errors:
        raise PackageRejected(WRONG_FORMAT.format(where=_where(errors[0])))


def _header_pixels(data: bytes) -> int:
    """Width × height from the image header alone (no pixel decoded); 0 if unreadable (cleaning refuses it)."""
    try:
        with Image.open(io.BytesIO(data), formats=["JPEG", "PNG"]) as image:
            return int(image.size[0]) * int(image.size[1])
    except Exception:  # noqa: BLE001  (a damaged header: clean_photo gives the clear message)
        return 0


def read_package(
    raw: bytes, *, max_photos: int = DEFAULT_MAX_PHOTOS, max_total_pixels: int = DEFAULT_MAX_TOTAL_PIXELS
) -> ValidatedPackage:
    """Every check, in order; returns the package with cleaned photos, or raises PackageRejected."""
    if len(raw) > MAX_PACKAGE_BYTES:
        raise PackageRejected(TOO_BIG)
    if not raw.startswith(b"PK\x03\x04") or not zipfile.is_zipfile(io.BytesIO(raw)):
        raise PackageRejected(NOT_A_PACKAGE)
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        infos = archive.infolist()
    except Exception:  # BadZipFile, or a central directory malformed in some other way
        raise PackageRejected(DAMAGED) from None
    with archive:
        if len(infos) > MAX_ENTRIES:
            raise PackageRejected(TOO_MANY)
        names = [info.orig_filename for info in infos]
        if len(set(names)) != len(names):
            raise PackageRejected(DUPLICATES)
        for info in infos:
            _check_name(info)
            _check_kind(info)
        _check_sizes(infos)
        by_name = {info.orig_filename: info for info in infos if not info.is_dir()}
        if JSON_NAME not in by_name:
            raise PackageRejected(NO_JSON)
        envelope = parse_json(_read_entry(archive, by_name[JSON_NAME]))
        validate_envelope(envelope)

        listed = [photo["file"] for photo in envelope["photos"]]
        present = sorted(name for name in by_name if name.startswith("photos/"))
        if len(set(listed)) != len(listed) or sorted(listed) != present:
            raise PackageRejected(PHOTO_MISMATCH)
        if sum(1 for photo in envelope["photos"] if photo["primary"]) > 1:
            raise PackageRejected(WRONG_FORMAT.format(where="in photos (more than one main photo)"))
        numbers = [version["number"] for version in envelope["versions"]]
        if len(set(numbers)) != len(numbers):
            raise PackageRejected(WRONG_FORMAT.format(where="in versions (a version number appears twice)"))

        if len(listed) > max_photos:
            raise PackageRejected(TOO_MANY_PHOTOS.format(count=len(listed), limit=max_photos))
        # The decode budget: every photo's header is read first, so a package of pixel floods costs nothing.
        # (Each entry is read twice rather than all held at once: memory stays at one photo.)
        pixels = sum(_header_pixels(_read_entry(archive, by_name[photo["file"]])) for photo in envelope["photos"])
        if pixels > max_total_pixels:
            raise PackageRejected(TOO_MANY_PIXELS.format(megapixels=max_total_pixels // 1_000_000))

        cleaned = []
        for number, photo in enumerate(envelope["photos"], start=1):
            data = _read_entry(archive, by_name[photo["file"]])
            try:
                jpeg = cleaning.clean_photo(data).jpeg
            except cleaning.PhotoRejected as error:
                raise PackageRejected(BAD_PHOTO.format(number=number, reason=error.message.rstrip("."))) from None
            cleaned.append(
                PackagePhoto(
                    kind=photo["kind"],
                    taken_on=photo.get("taken_on"),
                    caption=photo.get("caption", ""),
                    primary=photo["primary"],
                    jpeg=jpeg,
                    file=photo["file"],
                )
            )
        # The PDF, README and schema copy are never read: we make our own PDF and trust only our own schema.

    content = PackageContent(
        document=envelope["document"],
        versions=sorted(envelope["versions"], key=lambda v: v["number"]),
        photos=cleaned,
        missing_report=envelope["missing_report"],
    )
    return ValidatedPackage(envelope=envelope, content=content)
