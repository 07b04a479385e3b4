"""herbert.photos without Flask: what a photo looks like after cleaning, and how fresh the photos are."""

import io
from datetime import date, datetime

import pytest
from PIL import Image

from herbert import clock
from herbert.dates import add_months
from herbert.photos import cleaning
from herbert.photos.cleaning import PhotoRejected, clean_photo, photo_freshness, resize_for_display
from tests.support.photos import (
    CANARY,
    HTML,
    encode,
    greyscale_16_bit_png,
    insert_jpeg_segment,
    jpeg,
    metadata_found,
    metadata_jpeg,
    metadata_png,
    picture,
    png,
    png_declaring,
)


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def is_red(pixel: tuple[int, int, int]) -> bool:
    return pixel[0] > 180 and pixel[1] < 80 and pixel[2] < 80


def test_a_small_jpeg_is_re_encoded_at_the_same_size():
    upload = jpeg(320, 240)
    cleaned = clean_photo(upload)
    assert cleaned.jpeg != upload
    assert (cleaned.width, cleaned.height) == (320, 240)
    image = opened(cleaned.jpeg)
    assert image.format == "JPEG" and image.mode == "RGB" and image.size == (320, 240)


@pytest.mark.parametrize(
    ("size", "expected"),
    [((2400, 1800), (1600, 1200)), ((1200, 3000), (640, 1600)), ((1600, 1600), (1600, 1600)), ((5000, 50), (1600, 16))],
)
def test_big_photos_are_resized_to_1600_pixels_on_the_longest_side(size, expected):
    for upload in (encode(picture(*size), "JPEG"), encode(picture(*size), "PNG")):
        cleaned = clean_photo(upload)
        assert opened(cleaned.jpeg).size == expected


def test_exif_orientation_turns_the_photo_upright():
    # Orientation 6: the camera was turned; viewers rotate 90 degrees clockwise, so the red top-left
    # corner of the stored pixels ends up top-right and the picture becomes portrait.
    image = opened(clean_photo(metadata_jpeg(orientation=6)).jpeg)
    assert image.size == (240, 320)
    assert is_red(image.getpixel((235, 5)))
    assert not is_red(image.getpixel((5, 5)))
    assert not len(image.getexif())  # and no orientation tag left to rotate it twice


@pytest.mark.parametrize("make", [metadata_jpeg, metadata_png, lambda: metadata_png("RGBA")])
def test_all_metadata_is_removed(make):
    upload = make()
    assert len(metadata_found(upload)) >= 3, "the sample should carry metadata"
    cleaned = clean_photo(upload).jpeg
    assert metadata_found(cleaned) == []
    assert CANARY.encode() not in cleaned


def test_transparency_is_laid_over_white():
    image = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    image.paste((200, 0, 0, 255), (40, 40, 60, 60))
    cleaned = opened(clean_photo(encode(image, "PNG")).jpeg)
    assert min(cleaned.getpixel((2, 2))) > 245  # white, not black
    assert is_red(cleaned.getpixel((50, 50)))


def test_palette_png_with_a_transparent_colour_is_laid_over_white():
    image = Image.new("P", (50, 50), 0)
    image.putpalette([0, 0, 0, 200, 0, 0] + [0] * 762)
    image.paste(1, (20, 20, 30, 30))
    cleaned = opened(clean_photo(encode(image, "PNG", transparency=0)).jpeg)
    assert min(cleaned.getpixel((2, 2))) > 245
    assert is_red(cleaned.getpixel((25, 25)))


def test_sixteen_bit_greyscale_keeps_its_tones():
    cleaned = opened(clean_photo(greyscale_16_bit_png()).jpeg)
    left, right = cleaned.getpixel((3, 32)), cleaned.getpixel((252, 32))
    assert left[0] < 40 and right[0] > 200  # not all clipped to white


def test_the_file_name_never_decides_the_type():
    assert clean_photo(png(), filename="photo.svg").jpeg.startswith(b"\xff\xd8")
    with pytest.raises(PhotoRejected, match="must be a JPG or PNG"):
        clean_photo(encode(picture(), "GIF"), filename="photo.jpg")


def test_size_limit_in_bytes_is_10_mb():
    padding = cleaning.MAX_UPLOAD_BYTES - len(jpeg())
    assert clean_photo(jpeg() + b"\x00" * padding).width == 320
    with pytest.raises(PhotoRejected) as rejected:
        clean_photo(jpeg() + b"\x00" * (padding + 1))
    assert str(rejected.value) == "The photo must be smaller than 10MB"


def test_pixel_limit_is_40_megapixels_judged_from_the_header():
    # Exactly 40 MP passes the size check (and then fails to decode, as it holds no real pixels) ...
    with pytest.raises(PhotoRejected) as at_limit:
        clean_photo(png_declaring(8000, 5000))
    assert str(at_limit.value) == cleaning.UNREADABLE
    # ... one row more is refused as too big.
    with pytest.raises(PhotoRejected) as over:
        clean_photo(png_declaring(8000, 5001))
    assert str(over.value) == cleaning.TOO_MANY_PIXELS


def test_rejection_messages_never_quote_the_file():
    for upload in (HTML, b"\xff\xd8\xff<script>alert(1)</script>", insert_jpeg_segment(jpeg(), 0xFE, b"x")[:60]):
        with pytest.raises(PhotoRejected) as rejected:
            clean_photo(upload)
        assert "<" not in str(rejected.value)
        assert str(rejected.value) in {cleaning.NOT_JPEG_OR_PNG, cleaning.UNREADABLE}


def test_resize_for_display_makes_smaller_copies_in_memory_only():
    stored = clean_photo(jpeg(1200, 900)).jpeg
    assert opened(resize_for_display(stored, 320)).size == (320, 240)
    assert opened(resize_for_display(stored, 160)).size == (160, 120)
    small = clean_photo(jpeg(100, 80)).jpeg
    assert resize_for_display(small, 640) == small
    with pytest.raises(ValueError, match="width"):
        resize_for_display(stored, 1000)


# --- freshness -----------------------------------------------------------------------------------

TODAY = date(2026, 3, 15)


def head(taken_on, photo_id="h") -> dict:
    return {"id": photo_id, "kind": "head_and_shoulders", "taken_on": taken_on, "caption": ""}


@pytest.mark.parametrize(
    ("photo_list", "status"),
    [
        ([], "missing"),
        ([{"id": "x", "kind": "full_length", "taken_on": "2026-03-01"}], "missing"),
        ([head("2026-03-15")], "ok"),
        ([head("2025-09-15")], "ok"),  # exactly 6 months: still fine today
        ([head("2025-09-14")], "due"),
        ([head("2025-03-15")], "due"),  # exactly 12 months: due, not yet out of date
        ([head("2025-03-14")], "out_of_date"),
        ([head("2019-01-01")], "out_of_date"),
        ([head("2019-01-01", "old"), head("2026-01-01", "new")], "ok"),  # the newest one counts
        ([head(""), head(None)], "undated"),
        ([head("not a date"), head("2025-01-01")], "out_of_date"),
    ],
)
def test_photo_freshness(photo_list, status):
    freshness = photo_freshness(photo_list, today=TODAY)
    assert freshness["status"] == status
    assert (freshness["message"] is None) == (status == "ok")


def test_freshness_names_the_newest_head_and_shoulders_photo():
    freshness = photo_freshness([head("2024-01-01", "old"), head("2025-12-01", "new")], today=TODAY)
    assert freshness["photo_id"] == "new"
    assert freshness["newest_taken_on"] == date(2025, 12, 1)


def test_freshness_uses_the_app_clock_by_default():
    clock.freeze(datetime(2027, 1, 1, 12, 0))
    try:
        assert photo_freshness([head("2026-12-01")])["status"] == "ok"
        assert photo_freshness([head("2026-01-01")])["status"] == "due"
    finally:
        clock.freeze(None)


def test_months_are_calendar_months_clamped_to_the_month_end():
    assert add_months(date(2025, 8, 31), 6) == date(2026, 2, 28)
    assert add_months(date(2023, 8, 31), 6) == date(2024, 2, 29)
    assert add_months(date(2025, 3, 15), 12) == date(2026, 3, 15)
    freshness = photo_freshness([head("2025-08-31")], today=date(2026, 2, 28))
    assert freshness["status"] == "ok"
    assert photo_freshness([head("2025-08-31")], today=date(2026, 3, 1))["status"] == "due"


def test_truncated_photos_stay_refused_after_weasyprint_is_imported(monkeypatch):
    """Importing WeasyPrint sets Pillow's process-wide LOAD_TRUNCATED_IMAGES to True (as done here, since only
    the renderer may import WeasyPrint); our refusal of truncated files must not depend on that flag."""
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(PhotoRejected) as rejected:
        clean_photo(png_declaring(8000, 5000))
    assert str(rejected.value) == cleaning.UNREADABLE
