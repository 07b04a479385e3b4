"""The police PDF and the appeal poster, read back as a police officer or a member of the public would
read them (pdftotext), and as a PDF inspector would (pypdf)."""

import io
import re
from datetime import date

import pytest
from PIL import Image

from herbert.documents import grab_sheet, police_form, poster, printable
from herbert.questions import registry
from tests.support.pdfs import (
    embedded_files,
    full_document,
    image_xobjects,
    make_render_app,
    page_texts,
    pdf_text,
    reader,
    sample_jpeg,
)

META = {"version": 3, "draft": False, "completed_on": "2026-05-01", "next_review_on": "2026-11-01"}


def squash(text: str) -> str:
    """Whitespace collapsed (pdftotext wraps lines where the PDF does) and zero-width spaces removed."""
    return " ".join(text.replace("\u200b", "").split())


@pytest.fixture(scope="module")
def render_app(tmp_path_factory):
    return make_render_app(tmp_path_factory.mktemp("instance"))


@pytest.fixture
def ctx(render_app):
    """Rendering needs the app's templates only, not a database: one app per module, not per backend."""
    with render_app.test_request_context():
        yield


@pytest.fixture(scope="module")
def photos():
    return [
        (
            {"kind": "head_and_shoulders", "taken_on": "2026-02-01", "caption": "Taken at home", "is_primary": True},
            sample_jpeg(seed=1),
        ),
        ({"kind": "full_length", "taken_on": "2025-12-24", "caption": "Christmas"}, sample_jpeg(seed=2)),
        ({"kind": "outdoor_clothes", "taken_on": "2025-10-03", "caption": "Blue anorak"}, sample_jpeg(seed=3)),
    ]


@pytest.fixture
def police_pdf(ctx, photos) -> bytes:
    return police_form.render_police_pdf(full_document(), photos, meta=META)


def test_every_grab_sheet_question_exists_in_the_registry():
    for slug, names in grab_sheet.GRAB_SHEET.items():
        for name in names:
            printable.question(slug, name)  # KeyError if a question was renamed or removed
    for slug, name in poster.POSTER_QUESTIONS:
        printable.question(slug, name)


def test_the_grab_sheet_reads_only_the_questions_it_declares(monkeypatch):
    read = set()
    real = printable.question

    def recording(slug, name):
        read.add((slug, name))
        return real(slug, name)

    monkeypatch.setattr(grab_sheet, "question", recording)
    grab_sheet.grab_sheet(registry.prune_document(full_document()), [], date(2026, 11, 26))
    declared = {(slug, name) for slug, names in grab_sheet.GRAB_SHEET.items() for name in names}
    assert read and read <= declared, read - declared


def test_page_one_is_the_grab_sheet(police_pdf: bytes):
    document = full_document()
    page_one = squash(page_texts(police_pdf)[0])
    for expected in (
        "Answer M001",  # full name
        "Answers to: Answer M002",  # preferred name
        "(born 5 May 1944)",
        "160 cm",
        "Medium",  # build
        "Answer M023, answer M024",  # hair colour and style, read as one phrase
        "Scar – Answer M036",  # distinguishing feature
        "Walking, Bus",  # how they travel
        "Vehicle",
        "registration",
        "Mobile",
        "GPS tracker",
        "Medical risks",
        "If a dose is missed",
        "Best way to approach them",
        "What calms them",
        "Places to search first",
        "Found here before",
        "Next of kin and emergency contacts",
    ):
        assert expected in page_one, expected
    mobile = document["phone-money-and-devices"]["mobile_number"]
    registration = document["mobility-and-transport"]["vehicle_registration"]
    kin = document["contacts"]["contacts"][0]
    assert mobile in page_one and registration in page_one
    assert kin["contact_name"] in page_one and kin["phone"] in page_one
    # found-before places come before high-likelihood significant places
    found = document["previous-missing-episodes"]["episodes"][0]["where_found"]
    place = document["significant-places"]["places"][0]["place_name"]
    assert page_one.index(found) < page_one.index(place)
    # the urgent medicine is listed first
    medicines = document["health-and-medication"]["medication"]
    assert page_one.index(medicines[1]["medicine_name"]) < page_one.index(medicines[0]["medicine_name"])


def test_every_answered_field_appears(police_pdf: bytes):
    text = squash(pdf_text(police_pdf, raw=True))
    pruned = registry.prune_document(full_document())
    checked = 0
    for section in registry.SECTIONS:
        answers = pruned.get(section.slug) or {}
        for question in registry.iter_questions(section):
            value = answers.get(question.name)
            if value in (None, "", []):
                continue
            if question.kind == "rows":
                for row in value:
                    for row_question in question.row_questions:
                        expected = squash(registry.display_value(row_question, row.get(row_question.name)))
                        assert expected in text, (section.slug, question.name, row_question.name, expected)
                        checked += 1
            else:
                expected = squash(registry.display_value(question, value))
                assert expected in text, (section.slug, question.name, expected)
                checked += 1
            assert squash(question.label) in text, question.label
    assert checked > 150


def test_sections_in_form_order_and_unanswered_sections_listed_once(ctx, photos):
    document = full_document()
    del document["routines-and-interests"]
    del document["contacts"]
    text = squash(pdf_text(police_form.render_police_pdf(document, photos, meta=META), raw=True))
    body, _, not_answered = text.partition("Not answered:")
    headings = [f"{section.letter}. {section.title}" for section in registry.SECTIONS]
    printed = [heading for heading in headings if heading in body]
    assert len(printed) == len(headings) - 2
    assert [body.index(heading) for heading in printed] == sorted(body.index(heading) for heading in printed)
    assert not_answered.startswith(" H. Routines, habits and interests; K. Contacts.")
    assert text.count("H. Routines, habits and interests") == 1


def test_a_new_question_appears_without_editing_a_template(ctx, photos, monkeypatch):
    section = registry.section_by_slug("routines-and-interests")
    page = section.pages[-1]
    extra = registry.Question(name="favourite_song", label="Favourite song", kind="text", section=section, page=page)
    monkeypatch.setattr(page, "questions", (*page.questions, extra))
    document = full_document()
    document["routines-and-interests"]["favourite_song"] = "Moon River"
    text = squash(pdf_text(police_form.render_police_pdf(document, photos, meta=META)))
    assert "Favourite song Moon River" in text


def test_photos_are_embedded_with_kind_and_date_and_no_exif(ctx):
    exif = Image.Exif()
    exif[0x010F] = "CanaryCameraMaker"  # Make
    exif[0x8825] = {2: (51.0, 30.0, 0.0)}  # GPS latitude
    photos = [
        (
            {"kind": "head_and_shoulders", "taken_on": "2026-02-01", "is_primary": True},
            sample_jpeg(seed=4, exif=exif.tobytes()),
        ),
        ({"kind": "distinguishing_mark", "taken_on": "2025-07-09", "caption": "Tattoo"}, sample_jpeg(seed=5)),
        ({"kind": "clothing_item", "taken_on": None}, sample_jpeg(seed=6)),
    ]
    assert b"CanaryCameraMaker" in photos[0][1]
    document = police_form.render_police_pdf(full_document(), photos, meta=META)
    images = image_xobjects(reader(document))
    assert len(images) == 3  # the primary photo on page 1 and in section C is one image
    for image in images:
        data = image._data
        assert image["/Filter"] == "/DCTDecode"
        assert b"Exif" not in data and b"CanaryCameraMaker" not in data and b"http://ns.adobe.com/xap" not in data
    assert b"CanaryCameraMaker" not in document
    text = squash(pdf_text(document))
    assert "Head and shoulders, taken 1 February 2026 (main photo)" in text
    assert "Distinguishing mark, taken 9 July 2025. Tattoo" in text
    assert "Clothing item, taken date not known" in text


def test_something_that_is_not_a_jpeg_is_left_out(ctx):
    png = io.BytesIO()
    Image.new("RGB", (10, 10)).save(png, format="PNG")
    document = police_form.render_police_pdf(full_document(), [({"kind": "other"}, png.getvalue())], meta=META)
    assert image_xobjects(reader(document)) == []
    assert "No photo" in page_texts(document)[0]


def test_header_on_every_page(police_pdf: bytes):
    pages = page_texts(police_pdf)
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        flat = squash(page)
        assert "CONFIDENTIAL — Herbert Protocol" in flat
        assert "Answer M001" in flat  # the person's name
        assert "Version 3" in flat
        assert "Completed: 1 May 2026" in flat
        assert "Next review: 1 November 2026" in flat
        assert "Main photo taken: 1 February 2026" in flat
        assert f"Page {number} of {len(pages)}" in flat


def test_the_draft_says_draft_on_every_page(ctx, photos):
    document = police_form.render_police_pdf(full_document(), photos, meta={"version": None, "draft": True})
    pages = page_texts(document)
    assert "DRAFT – this is not a published version of the form" in squash(pages[0])
    for page in pages:
        assert "DRAFT" in page
    assert reader(document).metadata.title == "Herbert Protocol form – DRAFT – not a published version"


def test_tagged_accessible_and_attachment_free(police_pdf: bytes):
    pdf = reader(police_pdf)
    root = pdf.trailer["/Root"]
    assert "/StructTreeRoot" in root and bool(root["/MarkInfo"]["/Marked"])
    assert root["/Lang"] == "en-GB"
    assert pdf.metadata.title == "Herbert Protocol form – Version 3"
    assert "Answer M001" not in pdf.metadata.title  # no name in the title shown in window bars
    assert embedded_files(pdf) == []


def test_the_missing_now_report_goes_at_the_very_top(ctx, photos):
    report = {
        "last_seen_at": "2026-11-26T14:30",
        "last_seen_where": "Outside the Co-op on Mill Lane",
        "clothing_today": "Navy raincoat, grey trousers",
        "items_carried": ["bag", "bus_pass"],
        "mood": "Agitated",
        "police_reference": "REF-4411",
    }
    document = police_form.render_police_pdf(full_document(), photos, meta=META, missing_report=report)
    page_one = squash(page_texts(document)[0])
    assert page_one.startswith("CONFIDENTIAL") or "MISSING NOW" in page_one
    top = page_one.index("MISSING NOW")
    assert top < page_one.index("Answer M001 Answers to")
    for expected in (
        "Thursday 26 November 2026 at 2:30pm",
        "Outside the Co-op on Mill Lane",
        "Navy raincoat",
        "Bag, Bus pass",
    ):
        assert top < page_one.index(expected)
    rest = squash(pdf_text(document, first=2))
    assert "Missing now: the full report" in rest and "REF-4411" in rest and "Agitated" in rest


# --- the appeal poster --------------------------------------------------------------------------------

FORBIDDEN_ON_POSTER = (
    ("about-the-person", ("address", "postcode", "landline", "nhs_number", "date_of_birth", "place_of_birth")),
    ("health-and-medication", None),
    ("contacts", None),
    ("phone-money-and-devices", None),
    ("care-setting", None),
    ("significant-places", None),
    ("previous-missing-episodes", None),
    ("consent-and-review", None),
    ("communication-and-behaviour", None),
)


def _strings(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str) and len(value) > 4:
        yield value


def test_the_poster_has_no_address_medical_or_contact_details(ctx, photos):
    document = full_document()
    appeal = poster.render_appeal_poster(document, photos[0], META)
    text = squash(pdf_text(appeal))
    assert "MISSING" in text and "call 999" in text
    assert "Answer M001" in text  # name
    assert re.search(r"Aged \d+", text)
    assert "Answer M023" in text  # hair colour: description is there
    for slug, names in FORBIDDEN_ON_POSTER:
        answers = document[slug]
        values = [answers[name] for name in names] if names else [answers]
        for value in _strings(values):
            if slug == "about-the-person" and value == document[slug]["date_of_birth"]:
                assert "1944" not in text
                continue
            assert squash(value) not in text, (slug, value)
    for word in ("CONFIDENTIAL", "Medic", "Address", "Postcode", "phone", "Next of kin", "Diagnosis"):
        assert word.lower() not in text.lower(), word
    assert len(image_xobjects(reader(appeal))) == 1
    assert embedded_files(reader(appeal)) == []


def test_no_poster_without_publicity_consent(ctx, photos):
    document = full_document()
    document["consent-and-review"]["publicity_consent"] = "no"
    with pytest.raises(poster.PosterNotAllowed):
        poster.render_appeal_poster(document, photos[0], META)
    del document["consent-and-review"]["publicity_consent"]
    with pytest.raises(poster.PosterNotAllowed):
        poster.render_appeal_poster(document, photos[0], META)


# --- printable text -----------------------------------------------------------------------------------


def test_printable_drops_bidi_overrides_and_controls_but_keeps_scripts():
    assert printable.printable("abc\u202edcba\u202c x\u2066y\u2069") == "abcdcba xy"
    assert printable.printable("a\x00b\x1bc\nd\te") == "abc\nd\te"
    assert printable.printable("مرحبا שלום 你好 😀") == "مرحبا שלום 你好 😀"
    assert printable.printable("x\ud800y") == "x?y"
    broken = printable.printable("x" * 100)
    assert broken.replace("\u200b", "") == "x" * 100
    assert max(len(run) for run in broken.split("\u200b")) == 40
