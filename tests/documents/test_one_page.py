
"""Page 1 of the police PDF holds the whole grab sheet on one sheet of A4, always, with nothing printed
within 10 mm of the paper's edge; the appeal poster is one page with its call to action. Read back as an
officer would (pdftotext -layout), as a printer would (the pages rasterised by pdftoppm) and as a PDF
inspector would (pypdf: page size, text positions and fonts)."""

import io
import re
import subprocess
import tempfile
from pathlib import Path

import pytest
from PIL import Image

from herbert.documents import police_form, poster
from tests.support.maximal_form import maximal_document, maximal_report
from tests.support.pdfs import make_render_app, page_texts, pdf_text, reader, sample_jpeg
from tests.support.sample_answers import EXPECTED

META = {"version": 3, "draft": False, "completed_on": "2026-05-01", "next_review_on": "2026-11-01"}
A4_POINTS = (595.28, 841.89)
SAFE_MM = 10
POINTS_PER_MM = 72 / 25.4


def squash(text: str) -> str:
    return " ".join(text.replace("\u200b", "").split())


@pytest.fixture(scope="module")
def render_app(tmp_path_factory):
    app = make_render_app(tmp_path_factory.mktemp("instance"))
    # These tests are about layout, not time: a render that needs fitting costs 2-3 layouts, and six
    # developers' suites share 2 CPUs, so the production limit (20 s) is not what is tested here.
    app.config["PDF_TIMEOUT_SECONDS"] = 180
    return app


@pytest.fixture(scope="module")
def photos():
    return [({"kind": "head_and_shoulders", "taken_on": "2026-02-01", "is_primary": True}, sample_jpeg(seed=1))]


@pytest.fixture(scope="module", params=["normal", "missing-now"])
def maximal_pdf(request, render_app, photos) -> bytes:
    report = maximal_report() if request.param == "missing-now" else None
    with render_app.test_request_context():
        return police_form.render_police_pdf(maximal_document(), photos, meta=META, missing_report=report)


def printed_near_edge(document: bytes, *, dpi: int = 72) -> list[tuple[int, str]]:
    """(page, which edge) for every page that has a non-white pixel within SAFE_MM of its edge."""
    found = []
    strip = int(SAFE_MM / 25.4 * dpi) - 1  # one pixel of slack for anti-aliasing at the boundary
    with tempfile.TemporaryDirectory() as folder:  # pixels of synthetic test data only
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-gray", "-png", "-", f"{folder}/page"],
            input=document,
            capture_output=True,
            check=True,
            timeout=120,
        )
        pngs = [path.read_bytes() for path in sorted(Path(folder).glob("page*.png"))]
    for number, png in enumerate(pngs, start=1):
        image = Image.open(io.BytesIO(png)).convert("L")
        width, height = image.size
        for edge, box in (
            ("top", (0, 0, width, strip)),
            ("bottom", (0, height - strip, width, height)),
            ("left", (0, 0, strip, height)),
            ("right", (width - strip, 0, width, height)),
        ):
            if image.crop(box).getextrema()[0] < 250:
                found.append((number, edge))
    assert pngs, "pdftoppm gave no pages"
    return found


def text_runs(document: bytes, page: int = 0) -> list[tuple[str, float, float, str]]:
    """(text, x, y, font name) of every text run pypdf finds on a page."""
    runs = []

    def visit(text, cm, tm, font_dict, _size):
        if text.strip():
            x = cm[0] * tm[4] + cm[2] * tm[5] + cm[4]
            y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]
            runs.append((text, x, y, str((font_dict or {}).get("/BaseFont", ""))))

    reader(document).pages[page].extract_text(visitor_text=visit)
    return runs


def test_page_one_holds_every_grab_sheet_item_of_a_maximal_form(maximal_pdf: bytes):
    document = maximal_document()
    page_one = squash(pdf_text(maximal_pdf, first=1, last=1, raw=True))  # raw: a cell's wrapped lines stay together
    wanted = [
        "Margaret Rose Smith-Hetherington",
        "Answers to: Peggy",
        "76 (born 1 March 1950)",
        "Female",
        "White British",
        "163 cm",
        "Hair White, short and curly",  # a phrase, not "White, Short and curly"
        "Gold wire frames",
        "Scar – Back of left hand",
        "Usual clothing UsualClothingStart",
        "Home address Flat 12, Rosewood Court",
        "Welsh",
        "Medical risks",
        "Dementia",
        "Allergies Penicillin",
        "Places to search first",
        "Hazards near home",
        "Approaching them",
        "BestApproachStart",
        "WhatCalmsStart",
        "WhatUpsetsStart",
        "Next of kin and emergency contacts",
        "Susan Ellis – daughter (lives with her)",  # no nested brackets
        "AB12 CDE",
        "07700 900982",
        "Careline",
    ]
    wanted += [row["medicine_name"] for row in document["health-and-medication"]["medication"]]
    wanted += [row["place_name"] for row in document["significant-places"]["places"]]
    wanted += [row["where_found"] for row in document["previous-missing-episodes"]["episodes"]]
    for contact in document["contacts"]["contacts"]:
        wanted += [contact["contact_name"], contact["phone"]]
    missing = [item for item in wanted if item not in page_one]
    assert not missing, missing
    # the urgent medicine first, with the word URGENT on its row, in a bold face (not colour alone)
    assert page_one.index("Insulin glargine") < page_one.index("Donepezil") < page_one.index("Amlodipine")
    layout_lines = pdf_text(maximal_pdf, first=1, last=1, layout=True).splitlines()
    assert any("Insulin glargine" in line and "URGENT" in line for line in layout_lines)
    urgent_fonts = {font for text, _x, _y, font in text_runs(maximal_pdf) if "URGENT" in text}
    assert urgent_fonts and all("Bold" in font for font in urgent_fonts), urgent_fonts
    # page 2 starts the full form: nothing of the grab sheet spilt onto it
    page_two = squash(page_texts(maximal_pdf)[1])
    body = page_two.split("Version 3", 1)[1]
    assert body.lstrip().startswith(("Missing now: the full report", "A. About the person")), body[:200]
    for heading in ("Places to search first", "Approaching them", "Next of kin and emergency contacts"):
        assert heading not in squash(pdf_text(maximal_pdf, first=2)), heading


def test_the_missing_now_report_is_on_page_one_with_what_they_said(render_app, photos):
    with render_app.test_request_context():
        pdf = police_form.render_police_pdf(maximal_document(), photos, meta=META, missing_report=maximal_report())
    page_one = squash(pdf_text(pdf, first=1, last=1, raw=True))
    for expected in (
        "MISSING NOW",
        "Thursday 26 November 2026 at 2:30pm",
        "Reported missing Thursday 26 November 2026 at 8:21pm",
        "Outside the Co-op on Otley Road",
        "DirectionStart",
        "What they said they were going to do SaidGoingToStart",
        "ClothingTodayStart",
        "Bag, Bus pass or travel card, Mobile phone, Walking aid",
    ):
        assert expected in page_one, expected
    assert page_one.index("MISSING NOW") < page_one.index("Answers to: Peggy")


def test_a_cut_answer_says_which_page_holds_all_of_it(maximal_pdf: bytes):
    pages = [squash(page) for page in page_texts(maximal_pdf)]
    continued = re.findall(r"(\w+Start)\b[^()]*… \(continued on page (\d+)\)", pages[0])
    assert continued, "expected at least one long answer cut on page 1"
    whole = {"BestApproachStart": maximal_document()["communication-and-behaviour"]["best_approach"]}
    for start, page in continued:
        assert start in " ".join(pages[int(page) - 1 : int(page) + 1]), (start, page)
        if start in whole:
            assert squash(whole[start]) in squash(" ".join(pages[int(page) - 1 : int(page) + 1]))


def test_nothing_is_printed_within_10_mm_of_the_edge_on_a4(maximal_pdf: bytes):
    pdf = reader(maximal_pdf)
    for page in pdf.pages:
        box = page.mediabox
        assert (round(float(box.width), 1), round(float(box.height), 1)) == pytest.approx(A4_POINTS, abs=0.2)
    assert printed_near_edge(maximal_pdf) == []
    safe = SAFE_MM * POINTS_PER_MM
    for text, x, y, _font in text_runs(maximal_pdf):
        assert safe <= x <= A4_POINTS[0] - safe and safe <= y <= A4_POINTS[1] - safe, (text, x, y)


def test_an_ordinary_form_is_not_shortened(render_app, photos):
    with render_app.test_request_context():
        pdf = police_form.render_police_pdf(EXPECTED, photos, meta=META)
    page_one = squash(pdf_text(pdf, first=1, last=1))
    assert "continued on page" not in page_one and "shortened" not in page_one
    assert "Known as" not in page_one or "Peggy" in page_one
    assert "Margaret Rose Smith" in page_one and "Metformin" in page_one and "John Smith (Son)" in page_one


def test_far_more_than_fits_still_keeps_the_grab_sheet_to_page_one(render_app, photos):
    """An imported record can hold more than any carer types: page 1 says it is shortened, lists end
    "… and N more on page X", and page 2 is the full form, not the rest of the grab sheet."""
    document = maximal_document()
    contacts = document["contacts"]["contacts"]
    document["contacts"]["contacts"] = [
        contacts[0] | {"id": f"c{n}", "contact_name": f"Contact{n:02d}"} for n in range(30)
    ]
    place = document["significant-places"]["places"][0]
    document["significant-places"]["places"] = [
        place | {"id": f"p{n}", "place_name": f"Spot{n:02d}"} for n in range(30)
    ]
    with render_app.test_request_context():
        pdf = police_form.render_police_pdf(document, photos, meta=META, missing_report=maximal_report())
    pages = [squash(page) for page in page_texts(pdf)]
    assert "Page 1 is shortened to fit: the whole form follows from page 2." in pages[0]
    assert re.search(r"… and 26 more on page \d+", pages[0])
    assert "Contact00" in pages[0] and "Contact29" not in pages[0]
    assert pages[1].split("Version 3", 1)[1].lstrip().startswith("Missing now: the full report")
    assert "Contact29" in " ".join(pages[1:])
    assert printed_near_edge(pdf) == []


def test_the_poster_is_one_page_with_its_call_to_action(render_app, photos):
    document = maximal_document()
    document["consent-and-review"]["publicity_consent"] = "yes"
    for slug, name in poster.POSTER_QUESTIONS:
        if name not in ("sex", "height", "build"):
            document[slug][name] = f"Poster{name} " + "a long description of what they wear " * 8
    with render_app.test_request_context():
        appeal = poster.render_appeal_poster(document, photos[0], META)
    pages = page_texts(appeal)
    assert len(pages) == 1
    text = squash(pages[0])
    assert "If you see this person, call 999 now." in text and "Stay with them if you can" in text
    for _slug, name in poster.POSTER_QUESTIONS:
        if name not in ("sex", "height", "build"):
            assert f"Poster{name}" in text, name
    assert printed_near_edge(appeal) == []


def test_section_l_keeps_its_letter_when_it_does_not_apply(render_app, photos):
    document = maximal_document()
    document["about-the-person"]["living_situation"] = "with_family"
    with render_app.test_request_context():
        pdf = police_form.render_police_pdf(document, photos, meta=META)
    text = squash(pdf_text(pdf, first=2, raw=True))
    assert "L. Care setting Not needed they do not live in a care home or supported living" in text
    assert text.index("K. Contacts") < text.index("L. Care setting") < text.index("M. ")
