"""Photo cleaning and freshness: pure functions, no Flask (security.md, "Photos").

Every upload is treated as hostile. We decide the type from the bytes (never the file name or the
browser's MIME type), let Pillow open only JPEG and PNG, refuse pixel floods from the header before
any pixels are decoded, turn the picture upright, and rebuild it from its pixels alone so EXIF,
GPS, XMP, ICC profiles, comments and PNG text chunks cannot survive. What we keep is a plain sRGB-ish
JPEG at most 1600 px on its longest side. Everything happens in memory (BytesIO): the raw upload
and the cleaned photo are never written to disk unencrypted.
"""

import io
import logging
import warnings
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, TypedDict

from PIL import Image, ImageFile, ImageOps

from herbert.clock import utcnow
from herbert.dates import add_months, as_date

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 1600
JPEG_QUALITY = 85
ALLOWED_FORMATS = ("JPEG", "PNG")

# Pillow's own bomb guard, process-wide: warn above 40 MP, refuse above 80 MP. clean_photo turns the
# warning into a refusal too and checks the header size itself, so nothing above 40 MP is decoded.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
# A truncated file is an error, never half a picture padded with grey. (Set again before every decode
# in _clean: importing WeasyPrint sets this process-wide flag to True.)
ImageFile.LOAD_TRUNCATED_IMAGES = False

NOT_JPEG_OR_PNG = "The photo must be a JPG or PNG file"
EMPTY_FILE = "The selected file is empty"
TOO_MANY_BYTES = "The photo must be smaller than 10MB"
TOO_MANY_PIXELS = "The photo is too big to use: it must be smaller than 40 megapixels. Choose a smaller copy of it"
UNREADABLE = "The photo could not be read. It may be damaged: choose a different photo or save it again"

# Magic numbers we recognise only to explain a refusal in words (acceptance is Pillow's decision).
_FIRST_BYTES = {
    b"\xff\xd8\xff": "JPEG",
    b"\x89PNG\r\n\x1a\n": "PNG",
}


class PhotoRejected(Exception):
    """The upload cannot be used. str(error) is a message for the carer; it never quotes the file."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CleanedPhoto:
    """A re-encoded JPEG with no metadata, and its size in pixels."""

    jpeg: bytes
    width: int
    height: int


def clean_photo(data: bytes, filename: str | None = None) -> CleanedPhoto:
    """Check, orient, strip and re-encode an uploaded photo; raise PhotoRejected if it cannot be used.

    `filename` is accepted so callers can pass what the browser sent, and deliberately ignored:
    a name says nothing about what a file really is.
    """
    del filename
    if not data:
        raise PhotoRejected(EMPTY_FILE)
    if len(data) > MAX_UPLOAD_BYTES:
        raise PhotoRejected(TOO_MANY_BYTES)
    if not any(data.startswith(magic) for magic in _FIRST_BYTES):
        # Not even the first bytes of a JPEG or PNG (SVG, HTML, PDF, GIF, WebP, HEIC, TIFF, ...).
        raise PhotoRejected(NOT_JPEG_OR_PNG)
    try:
        return _clean(data)
    except PhotoRejected:
        raise
    except Image.DecompressionBombError:
        raise PhotoRejected(TOO_MANY_PIXELS) from None
    except Image.UnidentifiedImageError:
        # It starts like a JPEG or PNG, but no decoder could make sense of the rest: damaged.
        raise PhotoRejected(UNREADABLE) from None
    except MemoryError:
        log.warning("photo rejected: ran out of memory while decoding")
        raise PhotoRejected(TOO_MANY_PIXELS) from None
    except Exception as error:  # a damaged file may break a decoder in many ways; none may reach the user as a 500
        # Only the exception's type: its text can quote bytes from the file.
        log.info("photo rejected: %s while decoding", type(error).__name__)
        raise PhotoRejected(UNREADABLE) from None


def _clean(data: bytes) -> CleanedPhoto:
    with warnings.catch_warnings():
        # Between 40 and 80 MP Pillow only warns: make that a refusal as well.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=list(ALLOWED_FORMATS))
        except Image.DecompressionBombWarning:
            raise PhotoRejected(TOO_MANY_PIXELS) from None
    with image:
        if image.format not in ALLOWED_FORMATS:
            raise PhotoRejected(NOT_JPEG_OR_PNG)
        width, height = image.size
        # Only the header has been read so far: refuse floods before a single pixel is decoded.
        if width < 1 or height < 1:
            raise PhotoRejected(UNREADABLE)
        if width * height > MAX_PIXELS:
            raise PhotoRejected(TOO_MANY_PIXELS)
        if image.format == "JPEG":
            # Let libjpeg decode straight at 1/2, 1/4 or 1/8 scale when the photo is much bigger than we keep.
            image.draft("RGB", _draft_size(width, height))
        ImageFile.LOAD_TRUNCATED_IMAGES = False  # WeasyPrint's import turns it on for the whole process
        image.load()
        upright = ImageOps.exif_transpose(image)
        flat = _flatten_to_rgb(upright)
    flat.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    # Rebuild from raw pixels: the new image has no info dict, no EXIF, no ICC profile, no text chunks.
    clean = Image.frombytes("RGB", flat.size, flat.tobytes())
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=False)
    return CleanedPhoto(jpeg=out.getvalue(), width=clean.width, height=clean.height)


def _draft_size(width: int, height: int) -> tuple[int, int]:
    """The smallest size (same shape) whose longest side is still at least MAX_SIDE."""
    longest = max(width, height)
    if longest <= MAX_SIDE:
        return width, height
    scale = MAX_SIDE / longest
    return max(1, int(width * scale + 0.999)), max(1, int(height * scale + 0.999))


def _flatten_to_rgb(image: Image.Image) -> Image.Image:
    """RGB with any transparency laid over white (a transparent background would print black)."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16-bit greyscale PNG: scale down to 8 bits rather than clipping everything to white.
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode in ("P", "L", "RGB") and "transparency" in image.info
    )
    if has_alpha:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


# --- freshness -------------------------------------------------------------------------------------

HEAD_AND_SHOULDERS = "head_and_shoulders"
DUE_AFTER_MONTHS = 6
OUT_OF_DATE_AFTER_MONTHS = 12

FreshnessStatus = Literal["ok", "due", "out_of_date", "missing", "undated"]


class PhotoFreshness(TypedDict):
    """How recent the newest head-and-shoulders photo is; `message` is None when all is well."""

    status: FreshnessStatus
    message: str | None
    newest_taken_on: date | None
    photo_id: str | None


FRESHNESS_MESSAGES: dict[str, str | None] = {
    "ok": None,
    "due": "The newest head and shoulders photo is more than 6 months old. Add a new one: police need a recent photo.",
    "out_of_date": (
        "The newest head and shoulders photo is more than 12 months old, so it is out of date. "
        "Add a new one: police need a recent photo."
    ),
    "missing": "Add a recent head and shoulders photo. It is what police need most.",
    "undated": "Add the date the head and shoulders photo was taken, so we can remind you when it needs renewing.",
}


def photo_freshness(photos: list[dict[str, Any]], today: date | None = None) -> PhotoFreshness:
    """Judge the newest head-and-shoulders photo by its date taken (herbert-form.md section C).

    `photos` is what records.store.list_photos returns (dicts with "kind" and "taken_on", an ISO date).
    Older than 6 months is "due" for renewal, older than 12 months "out_of_date"; no head-and-shoulders
    photo at all is "missing"; only undated ones is "undated".
    """
    if today is None:
        today = utcnow().date()  # the app's one clock (tests freeze it)
    head_shots = [photo for photo in photos if photo.get("kind") == HEAD_AND_SHOULDERS]
    dated = [(taken, photo) for photo in head_shots if (taken := as_date(photo.get("taken_on"))) is not None]
    if not head_shots:
        return _freshness("missing", None, None)
    if not dated:
        return _freshness("undated", None, head_shots[0].get("id"))
    newest_taken, newest = max(dated, key=lambda pair: pair[0])
    if today > add_months(newest_taken, OUT_OF_DATE_AFTER_MONTHS):
        status: FreshnessStatus = "out_of_date"
    elif today > add_months(newest_taken, DUE_AFTER_MONTHS):
        status = "due"
    else:
        status = "ok"
    return _freshness(status, newest_taken, newest.get("id"))


def _freshness(status: FreshnessStatus, taken: date | None, photo_id: str | None) -> PhotoFreshness:
    return {"status": status, "message": FRESHNESS_MESSAGES[status], "newest_taken_on": taken, "photo_id": photo_id}


# --- serving smaller copies ------------------------------------------------------------------------

THUMBNAIL_WIDTHS = (160, 320, 640)


def resize_for_display(jpeg: bytes, width: int) -> bytes:
    """A smaller copy of an already-cleaned JPEG, made in memory for thumbnails (never stored)."""
    if width not in THUMBNAIL_WIDTHS:
        raise ValueError("unsupported thumbnail width")
    with Image.open(io.BytesIO(jpeg), formats=["JPEG"]) as image:
        if image.width <= width:
            return jpeg
        image.draft("RGB", (width, max(1, image.height * width // image.width)))
        image.thumbnail((width, width * 4), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        image.convert("RGB").save(out, format="JPEG", quality=80)
    return out.getvalue()
