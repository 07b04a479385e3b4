"""Photo files made on the fly for the photo tests (security.md: no hostile binaries in the repository).

`hostile_uploads()` is the B7 corpus: every case says what the carer should see (accepted, or a given
message). The helpers also make ordinary photos, metadata-laden photos and a few inspection tools.
"""

import io
import os
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageDraw
from PIL.PngImagePlugin import PngInfo

from herbert.photos import cleaning

CANARY = "CANARY-b7-5f1e9d2c"
ACCEPT = "accept"
ANY_REJECTION = "any rejection"
ACCEPT_OR_REJECT = "accepted or rejected"


# --- ordinary pictures ---------------------------------------------------------------------------


def picture(width: int = 320, height: int = 240, mode: str = "RGB") -> Image.Image:
    """A small picture with shapes, so a rotation or a flattening is visible in its pixels."""
    image = Image.new("RGB", (width, height), (40, 90, 160))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width // 4, height // 4), fill=(220, 30, 30))  # red top-left corner
    draw.ellipse((width // 3, height // 3, width // 3 * 2, height // 3 * 2), fill=(250, 220, 60))
    return image.convert(mode) if mode != "RGB" else image


def encode(image: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    return out.getvalue()


def jpeg(width: int = 320, height: int = 240, **params) -> bytes:
    return encode(picture(width, height), "JPEG", quality=90, **params)


def png(width: int = 320, height: int = 240, mode: str = "RGB", **params) -> bytes:
    return encode(picture(width, height, mode), "PNG", **params)


# --- hand-built headers --------------------------------------------------------------------------


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_declaring(width: int, height: int, idat: bytes | None = None, colour_type: int = 2) -> bytes:
    """A tiny PNG whose header claims any size (a pixel flood when the size is huge)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024) if idat is None else idat
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def jpeg_declaring(width: int, height: int) -> bytes:
    """A real small JPEG whose frame header (SOF0) is patched to claim another size."""
    data = bytearray(jpeg(64, 48))
    sof = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


def insert_jpeg_segment(data: bytes, marker: int, payload: bytes) -> bytes:
    """Insert an APPn/COM segment straight after SOI."""
    return data[:2] + bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload + data[2:]


def jpeg_segments(data: bytes) -> list[int]:
    """The marker bytes of every segment before the image data (SOS), in order."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    markers, at = [], 2
    while at < len(data):
        assert data[at] == 0xFF, "malformed JPEG segment"
        marker = data[at + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: the entropy-coded data follows
            break
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        at += 2 + length
    return markers


ALLOWED_JPEG_SEGMENTS = {0xE0, 0xDB, 0xC0, 0xC4, 0xDD, 0xDA}  # JFIF APP0, DQT, SOF0, DHT, DRI, SOS


def metadata_found(data: bytes) -> list[str]:
    """Everything in a stored JPEG that is not pixels: should always be an empty list."""
    found = []
    if data.startswith(b"\xff\xd8"):
        extra = set(jpeg_segments(data)) - ALLOWED_JPEG_SEGMENTS
        if extra:
            found.append("segments " + ", ".join(f"{m:#04x}" for m in sorted(extra)))
    with Image.open(io.BytesIO(data)) as image:
        if image.format != "JPEG":
            found.append(f"format {image.format}")
        if len(image.getexif()):
            found.append("EXIF")
        found += [key for key in image.info if key not in {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi"}]
    lowered = data.lower()
    for needle in (CANARY.encode(), CANARY.encode("utf-16-le"), CANARY.encode("utf-16-be")):
        if needle.lower() in lowered:
            found.append("canary")
    for needle in (b"<script", b"<?php", b"pk\x03\x04", b"exif\x00\x00", b"http://ns.adobe.com/xap", b"<html"):
        if needle in lowered:
            found.append(repr(needle))
    return found


# --- metadata-laden photos -----------------------------------------------------------------------


def exif_with_gps(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = f"Make {CANARY}"  # Make
    exif[0x013B] = f"Artist {CANARY}"  # Artist
    exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.0)})
    return exif


XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    f'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{CANARY}</dc:title>'
    "</rdf:Description></rdf:RDF></x:xmpmeta>"
)


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def metadata_jpeg(orientation: int = 1, width: int = 320, height: int = 240) -> bytes:
    data = encode(
        picture(width, height),
        "JPEG",
        quality=90,
        exif=exif_with_gps(orientation).tobytes(),
        icc_profile=srgb_icc(),
        comment=f"comment {CANARY}",
    )
    return insert_jpeg_segment(data, 0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + XMP.encode())


def metadata_png(mode: str = "RGB") -> bytes:
    info = PngInfo()
    info.add_text("Comment", f"tEXt {CANARY}")
    info.add_text("Author", f"zTXt {CANARY}", zip=True)
    info.add_itxt("Description", f"iTXt {CANARY} ünïcødé", lang="en", tkey="Description")
    info.add_text("XML:com.adobe.xmp", XMP)
    return encode(picture(mode=mode), "PNG", pnginfo=info, exif=exif_with_gps().tobytes(), icc_profile=srgb_icc())


# --- the B7 corpus -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    name: str
    make: Callable[[], bytes]
    expect: str  # ACCEPT, ANY_REJECTION or the exact message the carer sees
    filename: str = "photo.jpg"
    mimetype: str = "image/jpeg"


SVG_SCRIPT = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(document.cookie)</script></svg>'
SVG_XXE = (
    b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<svg xmlns="http://www.w3.org/2000/svg"><text x="0" y="20">&xxe;</text></svg>'
)
HTML = b"<!doctype html><html><body><script>fetch('/people').then(r=>r.text()).then(alert)</script></body></html>"
PHP = b"<?php system($_GET['c']); ?>"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R/OpenAction<</S/JavaScript/JS(app.alert(1))>>>>endobj\n%%EOF\n"
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 200


def zip_archive() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("shell.php", PHP)
    return out.getvalue()


def png_with_script_text() -> bytes:
    info = PngInfo()
    info.add_text("Comment", f"<script>alert(1)</script> {CANARY}")
    return encode(picture(), "PNG", pnginfo=info)


def png_bad_crc() -> bytes:
    data = bytearray(png())
    data[29] ^= 0xFF  # last byte of the IHDR chunk's CRC
    return bytes(data)


def flipped_bits(data: bytes, every: int = 97) -> bytes:
    corrupt = bytearray(data)
    for index in range(len(corrupt) // 2, len(corrupt) - 2, every):
        corrupt[index] ^= 0x5A
    return bytes(corrupt)


def png_text_bomb() -> bytes:
    """A zTXt chunk that inflates to 8 MB (Pillow's text chunk limit refuses it)."""
    bomb = b"Comment\x00\x00" + zlib.compress(b"A" * (8 * 1024 * 1024), 9)
    data = png()
    return data[:33] + png_chunk(b"zTXt", bomb) + data[33:]


def eleven_megabytes() -> bytes:
    return jpeg() + os.urandom(11 * 1024 * 1024)


def apng() -> bytes:
    frames = [picture(), picture().rotate(180)]
    return encode(frames[0], "PNG", save_all=True, append_images=frames[1:], duration=100, loop=0)


def greyscale_16_bit(width: int = 256, height: int = 64) -> Image.Image:
    """A left-to-right gradient over the whole 16-bit range (0 to 65535)."""
    gradient = Image.linear_gradient("L").rotate(90).resize((width, height)).convert("I")
    return gradient.point(lambda value: value * 257).convert("I;16")


def greyscale_16_bit_png() -> bytes:
    return encode(greyscale_16_bit(), "PNG")


def hostile_uploads() -> list[Upload]:
    """At least forty uploads a careless or hostile browser could send, with what must happen."""
    too_big = cleaning.TOO_MANY_PIXELS
    wrong_type = cleaning.NOT_JPEG_OR_PNG
    unreadable = cleaning.UNREADABLE
    return [
        # pixel floods: refused from the header, before decoding
        Upload("png 50,000 x 50,000", lambda: png_declaring(50_000, 50_000), too_big, "bomb.png", "image/png"),
        Upload("png 2^31-1 square", lambda: png_declaring(2**31 - 1, 2**31 - 1), too_big, "bomb.png", "image/png"),
        Upload("png 100,000 x 1,000", lambda: png_declaring(100_000, 1_000), too_big, "wide.png", "image/png"),
        Upload("png 45 MP (warning band)", lambda: png_declaring(7_500, 6_000), too_big, "big.png", "image/png"),
        Upload("jpeg header 65,000 x 65,000", lambda: jpeg_declaring(65_000, 65_000), too_big),
        Upload("jpeg header 9,000 x 5,000", lambda: jpeg_declaring(9_000, 5_000), too_big),
        Upload("png zTXt decompression bomb", png_text_bomb, unreadable, "text.png", "image/png"),
        Upload("png 0 x 0", lambda: png_declaring(0, 0), ANY_REJECTION, "zero.png", "image/png"),
        # truncated and corrupt
        Upload("jpeg truncated at half", lambda: jpeg()[: len(jpeg()) // 2], unreadable),
        Upload("jpeg header only", lambda: jpeg()[:20], ANY_REJECTION),
        Upload("jpeg bit flips in scan data", lambda: flipped_bits(jpeg()), ACCEPT_OR_REJECT),
        Upload("jpeg magic then random bytes", lambda: b"\xff\xd8\xff" + os.urandom(4096), ANY_REJECTION),
        Upload("png truncated at half", lambda: png()[: len(png()) // 2], unreadable, "cut.png", "image/png"),
        Upload("png signature only", lambda: b"\x89PNG\r\n\x1a\n", ANY_REJECTION, "sig.png", "image/png"),
        Upload("png bad IHDR CRC", png_bad_crc, ANY_REJECTION, "crc.png", "image/png"),
        Upload("png without IDAT", lambda: png_declaring(10, 10)[:33], ANY_REJECTION, "noidat.png", "image/png"),
        Upload("random bytes", lambda: os.urandom(2048), wrong_type),
        Upload("empty file", lambda: b"", cleaning.EMPTY_FILE),
        # polyglots: the picture is kept, the passenger is not
        Upload("jpeg + zip", lambda: jpeg() + zip_archive(), ACCEPT),
        Upload("jpeg + html", lambda: jpeg() + HTML, ACCEPT),
        Upload("jpeg + php", lambda: jpeg() + PHP, ACCEPT, "shell.php.jpg", "application/x-php"),
        Upload("jpeg with php comment", lambda: jpeg(comment=PHP), ACCEPT),
        Upload("png + php after IEND", lambda: png() + PHP, ACCEPT, "shell.png", "image/png"),
        Upload("png with script in tEXt", png_with_script_text, ACCEPT, "x.png", "image/png"),
        Upload("GIF header + javascript", lambda: b"GIF89a/*" + b"*/=alert(1);", wrong_type, "x.gif", "image/gif"),
        # other formats, refused by content
        Upload("svg with script", lambda: SVG_SCRIPT, wrong_type, "x.svg", "image/svg+xml"),
        Upload("svg with XXE", lambda: SVG_XXE, wrong_type, "x.svg", "image/svg+xml"),
        Upload("svg named .png", lambda: SVG_SCRIPT, wrong_type, "photo.png", "image/png"),
        Upload("html named .jpg", lambda: HTML, wrong_type),
        Upload("pdf", lambda: PDF, wrong_type, "x.pdf", "application/pdf"),
        Upload("gif", lambda: encode(picture(), "GIF"), wrong_type, "x.gif", "image/gif"),
        Upload("gif named .jpg", lambda: encode(picture(), "GIF"), wrong_type),
        Upload("webp", lambda: encode(picture(), "WEBP"), wrong_type, "x.webp", "image/webp"),
        Upload("tiff", lambda: encode(picture(), "TIFF"), wrong_type, "x.tiff", "image/tiff"),
        Upload("bmp", lambda: encode(picture(), "BMP"), wrong_type, "x.bmp", "image/bmp"),
        Upload("ico", lambda: encode(picture(64, 64), "ICO"), wrong_type, "x.ico", "image/x-icon"),
        Upload("heic (ftyp box)", lambda: HEIC, wrong_type, "x.heic", "image/heic"),
        Upload("ppm", lambda: encode(picture(), "PPM"), wrong_type, "x.ppm", "image/x-portable-pixmap"),
        Upload("eps", lambda: b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 1 1\n", wrong_type, "x.eps"),
        Upload("zip", zip_archive, wrong_type, "photo.zip", "application/zip"),
        # names and MIME types lie; content decides
        Upload("png named .jpg as image/jpeg", png, ACCEPT, "photo.jpg", "image/jpeg"),
        Upload("jpeg named .png as image/png", jpeg, ACCEPT, "photo.png", "image/png"),
        Upload("jpeg named .exe", jpeg, ACCEPT, "photo.exe", "application/octet-stream"),
        Upload("jpeg as text/html", jpeg, ACCEPT, "photo.html", "text/html"),
        Upload("traversal ../../etc/passwd.jpg", jpeg, ACCEPT, "../../etc/passwd.jpg"),
        Upload("traversal windows", jpeg, ACCEPT, "..\\..\\windows\\win.ini.jpg"),
        Upload("NUL in name", jpeg, ACCEPT, "photo\x00.php.jpg"),
        Upload("5,000-character name", jpeg, ACCEPT, "a" * 5000 + ".jpg"),
        Upload("markup in name", jpeg, ACCEPT, "<script>alert(1)</script>.jpg"),
        Upload("unicode name", jpeg, ACCEPT, "ünïcødé 照片.jpg"),
        # too many bytes
        Upload("11 MB", eleven_megabytes, cleaning.TOO_MANY_BYTES),
        # metadata-laden: accepted, every trace removed
        Upload("jpeg with EXIF+GPS, XMP, comment, ICC", metadata_jpeg, ACCEPT),
        Upload("png with tEXt, zTXt, iTXt, eXIf, iCCP", metadata_png, ACCEPT, "meta.png", "image/png"),
        Upload("rgba png with metadata", lambda: metadata_png("RGBA"), ACCEPT, "meta.png", "image/png"),
        Upload("jpeg rotated by EXIF", lambda: metadata_jpeg(orientation=6), ACCEPT),
        # unusual but real photos
        Upload("cmyk jpeg", lambda: encode(picture(mode="CMYK"), "JPEG"), ACCEPT),
        Upload("greyscale jpeg", lambda: encode(picture(mode="L"), "JPEG"), ACCEPT),
        Upload("progressive jpeg", lambda: jpeg(progressive=True), ACCEPT),
        Upload("palette png with transparency", lambda: png(mode="P", transparency=0), ACCEPT, "p.png", "image/png"),
        Upload("16-bit greyscale png", greyscale_16_bit_png, ACCEPT, "g.png", "image/png"),
        Upload("animated png", apng, ACCEPT, "a.png", "image/png"),
    ]


# --- app helpers ---------------------------------------------------------------------------------


def add_person(app, email: str = "carer@example.com", name: str = "Ada Example") -> str:
    """A person cared for by the (already signed-up) account with this email; returns its id."""
    from herbert.extensions import db
    from herbert.models import Person, User
    from herbert.records import store

    with app.app_context():
        user = db.session.execute(db.select(User).filter_by(email=email)).scalar_one()
        person_id = store.create_person(user.id)
        store.save_summary(db.session.get(Person, person_id), {"name": name})
    return person_id


def stored_photos(app, person_id: str) -> list[dict]:
    """Each stored photo's details plus its decrypted JPEG (opened through the store, in memory)."""
    from herbert.extensions import db
    from herbert.models import Person
    from herbert.records import store

    with app.app_context():
        person = db.session.get(Person, person_id)
        return [photo | {"jpeg": store.open_photo(person, photo["id"])} for photo in store.list_photos(person)]


def multipart(fields: dict) -> tuple[bytes, str]:
    """Encode a form as a browser would (values: str, list of str, or (bytes, filename, mimetype)).

    Built by hand so every test upload goes through BytesIO: Werkzeug's test encoder spools bodies
    over 500 KB to temporary files it never closes (a ResourceWarning, an error in this suite).
    """
    boundary = "----photo-test-boundary-7d3b1f"
    parts = []
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, tuple):
                content, filename, mimetype = item
                safe = filename.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
                head = f'Content-Disposition: form-data; name="{name}"; filename="{safe}"\r\nContent-Type: {mimetype}'
                parts.append(head.encode() + b"\r\n\r\n" + content)
            else:
                parts.append(f'Content-Disposition: form-data; name="{name}"\r\n\r\n{item}'.encode())
    body = b"".join(f"--{boundary}\r\n".encode() + part + b"\r\n" for part in parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"
