"""The search-aid page of the police PDF at its longest, read back as an officer would (pdftotext): one page,
the nearest 12 places listed with their notes and drawn as the only numbered markers, and the rest counted
with where to find them. No database: the PDF is made from a document, as documents.police_form makes it."""

import pytest
from bs4 import BeautifulSoup

from herbert.documents import police_form
from herbert.search_aid.geocode import ATTRIBUTION
from tests.support.pdfs import make_render_app, page_texts
from tests.support.search_aid_sample import HAZARDS_NOTE, NEAR_TO_FAR, WORST_CASE_REPORT, worst_case_document

META = {"version": 3, "draft": False, "completed_on": "2026-05-01", "next_review_on": "2026-11-01"}
LONGER_NOTE = HAZARDS_NOTE + " Beyond the woods is the golf course, with two deep ponds by the ninth hole and no fence."


@pytest.fixture(scope="module")
def render_app(tmp_path_factory):
    app = make_render_app(tmp_path_factory.mktemp("instance"))
    app.config["PDF_TIMEOUT_SECONDS"] = 180  # layout is tested here, not time, on a shared 2-core machine
    return app


def squash(text: str) -> str:
    return " ".join(text.replace("\u200b", "").split())


@pytest.mark.parametrize(
    ("report", "hazards_note", "further_sections"),
    [(WORST_CASE_REPORT, HAZARDS_NOTE, "H, I, J and K"), (None, LONGER_NOTE, "H, J and K")],
    ids=["phone location, 300-character note", "no report, note cut at 300"],
)
def test_the_search_aid_page_is_one_page_and_every_marker_has_its_entry(
    render_app, report, hazards_note, further_sections
):
    assert len(NEAR_TO_FAR) == 27 and len(HAZARDS_NOTE) == 300
    document = worst_case_document(hazards_note)
    with render_app.test_request_context():
        html = police_form.police_pdf_html(document, [], meta=META, missing_report=report)
        pdf = police_form.render_police_pdf(document, [], meta=META, missing_report=report)

    # what is laid out: the markers drawn are exactly the rows listed, the nearest 12, each with its note
    section = BeautifulSoup(html, "html.parser").select_one("section.search-aid-page")
    markers = [marker["data-number"] for marker in section.select("svg g.app-map-place")]
    rows = [[" ".join(td.get_text(" ").split()) for td in tr.select("td")] for tr in section.select("tbody tr")]
    assert markers == [row[0].rstrip(" ●") for row in rows] == [str(number) for number in range(1, 13)]
    assert all(row[3] for row in rows)  # how they would get there, the likelihood, the connection or the routine

    texts = [squash(text) for text in page_texts(pdf)]
    aid_pages = [index for index, text in enumerate(texts) if "Where to look first" in text or ATTRIBUTION in text]
    assert aid_pages == [1], "the search aid must be page 2 and nothing else"
    printed = texts[1]
    for number, name, where, notes in rows:  # every entry is on that page, its texts up to where a cell is cut
        for cell in (name, where, notes):
            assert cell[:18] in printed, (number, cell[:18])
    assert "The 12 nearest places" in printed
    assert f"15 more places further away, listed online and in section {further_sections} of this form" in printed
    assert "2 places with no postcode we could find" in printed
    if report is None:
        assert "Straight-line distances from their home, BR1 3UH." in printed
        assert HAZARDS_NOTE[:250] in printed and "(continued in section I)" in printed
        assert "Missing now" not in texts[2] and "A. About the person" in texts[2]
    else:
        assert "the location the family's phone gave (accurate to about 18 metres)" in printed
        assert HAZARDS_NOTE in printed and "(continued in section I)" not in printed
        assert "Missing now: the full report" in texts[2]
