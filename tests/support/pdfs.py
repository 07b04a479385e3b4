"""Reading PDFs back in tests: text via pdftotext (as a person copying from the PDF would get it),
structure via pypdf."""

import io
import subprocess
from datetime import date
from typing import Any

import pypdf


def pdf_text(
    document: bytes, *, first: int | None = None, last: int | None = None, layout: bool = False, raw: bool = False
) -> str:
    """The PDF's text as pdftotext extracts it (pages `first`..`last`, 1-based, when given). raw: in the
    order it is drawn (a table cell's wrapped lines stay together) rather than line by line across the page."""
    args = ["pdftotext", "-enc", "UTF-8"]
    if layout:
        args.append("-layout")
    if raw:
        args.append("-raw")
    if first is not None:
        args += ["-f", str(first)]
    if last is not None:
        args += ["-l", str(last)]
    result = subprocess.run([*args, "-", "-"], input=document, capture_output=True, check=True, timeout=60)
    return result.stdout.decode()


def page_texts(document: bytes) -> list[str]:
    """The text of each page, split on form feeds."""
    pages = pdf_text(document).split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def reader(document: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(document))


def embedded_files(document: pypdf.PdfReader) -> list[str]:
    """Names of embedded files and file-attachment annotations anywhere in the PDF."""
    found = list(document.attachments)
    root = document.trailer["/Root"]
    if "/Names" in root and "/EmbeddedFiles" in root["/Names"]:
        found.append("/EmbeddedFiles name tree")
    for page in document.pages:
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if annotation.get("/Subtype") == "/FileAttachment":
                found.append("/FileAttachment annotation")
    return found


def image_xobjects(document: pypdf.PdfReader) -> list[Any]:
    """Every image XObject drawn on any page (nested form XObjects included), once each."""
    seen: dict[Any, Any] = {}

    def walk(resources: Any) -> None:
        if not resources or "/XObject" not in resources:
            return
        for ref in resources["/XObject"].values():
            obj = ref.get_object()
            key = getattr(ref, "idnum", id(obj))
            if key in seen:
                continue
            if obj.get("/Subtype") == "/Image":
                seen[key] = obj
            elif obj.get("/Subtype") == "/Form":
                seen[key] = None
                walk(obj.get("/Resources"))

    for page in document.pages:
        walk(page.get("/Resources"))
    return [obj for obj in seen.values() if obj is not None]


# --- a fully filled synthetic document, generated from the registry ------------------------------


def _revealing_values() -> dict[tuple[str, str], str]:
    """For each (section, question) that another question's show_if depends on, a value that reveals it."""
    from herbert.questions import registry

    wanted: dict[tuple[str, str], str] = {}
    for section in registry.SECTIONS:
        for page in section.pages:
            questions = list(page.questions) + [q for rows in page.questions for q in rows.row_questions]
            for question in questions:
                if question.show_if is not None:
                    parent, values = question.show_if
                    wanted.setdefault((section.slug, parent), values[0])
    return wanted


# Answers that make conditional pages show (skip logic lives in page.show_when functions).
SHOW_PAGES = {
    ("about-the-person", "living_situation"): "care_home",  # so section L applies
    ("physical-description", "has_distinguishing_features"): "yes",
    ("health-and-medication", "takes_medication"): "yes",
    ("previous-missing-episodes", "has_gone_missing_before"): "yes",
    ("mobility-and-transport", "drives"): "yes",
    ("consent-and-review", "publicity_consent"): "yes",
}


def _value(question, number: int, revealing: str | None):
    kind = question.kind
    if kind in ("yes_no", "choice"):
        if revealing is not None:
            return revealing
        return question.choices[number % len(question.choices)][0] if kind == "choice" else "yes"
    if kind == "multi_choice":
        return [value for value, _label in question.choices[:2]]
    if kind == "date":
        return date(1940 + number % 60, 1 + number % 12, 1 + number % 28).isoformat()
    if kind == "datetime":
        return f"2025-0{1 + number % 9}-1{number % 9}T10:{number % 60:02d}"
    if kind == "number":
        return 140 + number % 60
    if kind == "phone":
        return f"07700 9{number:05d}"
    if kind == "address":
        return f"{number} Marker Road\nTown{number:03d}"
    if kind == "long_text":
        return f"Long answer M{number:03d} in a few words"
    if question.limit is not None and question.limit < 14:  # postcodes
        return f"PC{number:03d} 1AA"[: question.limit]
    if question.name == "nhs_number":
        return "943 476 5919"
    return f"Answer M{number:03d}"


def full_document() -> dict[str, dict[str, Any]]:
    """Every question of the registry answered (follow-ups revealed, rows pages with two rows each)."""
    from herbert.questions import registry

    revealing = _revealing_values() | SHOW_PAGES
    document: dict[str, dict[str, Any]] = {}
    number = 0
    for section in registry.SECTIONS:
        if section.endpoint is not None:
            continue
        answers: dict[str, Any] = {}
        for question in registry.iter_questions(section):
            if question.kind == "rows":
                rows = []
                for row_index in range(2):
                    row: dict[str, Any] = {"id": f"row{number}-{row_index}"}
                    for row_question in question.row_questions:
                        number += 1
                        row[row_question.name] = _value(row_question, number, None)
                    rows.append(row)
                answers[question.name] = rows
                continue
            number += 1
            answers[question.name] = _value(question, number, revealing.get((section.slug, question.name)))
        document[section.slug] = answers
    # Make the grab sheet's row filters find something: a next of kin, a high-likelihood place, urgent medicine.
    document["contacts"]["contacts"][0] |= {"role": "next_of_kin"}
    document["significant-places"]["places"][0] |= {"likelihood": "high"}
    document["health-and-medication"]["medication"][1] |= {"urgency": "urgent"}
    return document


def sample_jpeg(
    width: int = 1200, height: int = 1600, seed: int = 1, exif: bytes | None = None, grain: float = 0.08
) -> bytes:
    """A photo-like JPEG (smooth shading with fine grain) at most herbert.photos' 1600 px, quality 85."""
    import random

    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(seed)
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(20, width // 3)
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(6))
    noise = Image.effect_noise((width, height), 24).convert("RGB")
    image = Image.blend(image, noise, grain)
    out = io.BytesIO()
    if exif is not None:
        image.save(out, format="JPEG", quality=85, exif=exif)
    else:
        image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def make_render_app(instance: Any) -> Any:
    """An app for rendering templates only (no database used): one per test module, on no particular backend."""
    import os

    from herbert import create_app

    os.environ["HERBERT_INSTANCE_PATH"] = str(instance)
    try:
        return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    finally:
        os.environ.pop("HERBERT_INSTANCE_PATH", None)
