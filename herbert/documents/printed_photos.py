"""Photos as the PDFs print them: primary first, with their kind and date, and with no metadata left in the JPEG."""

import base64
import io
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from herbert.dates import as_date, format_date
from herbert.documents.printable import printable
from herbert.photos.kinds import kind_label

log = logging.getLogger(__name__)

Photo = tuple[Mapping[str, Any], bytes]

_JPEG_KEEP_BEFORE_SCAN = {0xC0, 0xC1, 0xC2, 0xC3, 0xC4, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_JPEG_KEEP_BEFORE_SCAN |= {0xDB, 0xDD, 0xE0}  # quantisation tables, restart interval, JFIF header


def jpeg_without_metadata(jpeg: bytes) -> bytes | None:
    """The JPEG with every APPn (except JFIF) and comment segment removed, or None if it is not a JPEG.

    Photos are already rebuilt from pixels when uploaded (herbert.photos); this makes sure that even a
    photo from an older import cannot carry EXIF, GPS or XMP into the PDF (WeasyPrint embeds JPEG bytes
    as they are)."""
    if not jpeg.startswith(b"\xff\xd8"):
        return None
    out = io.BytesIO()
    out.write(b"\xff\xd8")
    position = 2
    while position + 4 <= len(jpeg):
        if jpeg[position] != 0xFF:
            return None
        marker = jpeg[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        length = int.from_bytes(jpeg[position + 2 : position + 4], "big")
        if length < 2 or position + 2 + length > len(jpeg):
            return None
        if marker == 0xDA:  # start of scan: the rest is image data
            out.write(jpeg[position:])
            return out.getvalue()
        if marker in _JPEG_KEEP_BEFORE_SCAN:
            out.write(jpeg[position : position + 2 + length])
        position += 2 + length
    return None


def _data_uri(jpeg: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


def _photo_date(value: Any) -> str:
    day = as_date(value)
    return format_date(day) if day else "date not known"


@dataclass
class PrintedPhoto:
    src: str
    kind: str
    taken: str
    caption: str
    primary: bool

    @property
    def alt(self) -> str:
        return f"Photo: {self.kind.lower()}, taken {self.taken}"


def printed_photos(photos: list[Photo]) -> list[PrintedPhoto]:
    """Photos as the templates use them: primary first (the first one if none is marked), metadata removed."""
    result = []
    for details, jpeg in photos:
        clean = jpeg_without_metadata(jpeg)
        if clean is None:
            log.warning("a photo was left out of a PDF: not a JPEG")
            continue
        result.append(
            PrintedPhoto(
                src=_data_uri(clean),
                kind=kind_label(details.get("kind")),
                taken=_photo_date(details.get("taken_on")),
                caption=printable(details.get("caption") or ""),
                primary=bool(details.get("primary") or details.get("is_primary")),
            )
        )
    result.sort(key=lambda photo: not photo.primary)  # stable: keeps the caller's order otherwise
    if result and not result[0].primary:
        result[0].primary = True
    return result
