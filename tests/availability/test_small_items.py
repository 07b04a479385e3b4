
"""Issue 15 point 9: the smaller items."""

import io
import re
from pathlib import Path

import pypdf
from bs4 import BeautifulSoup

from herbert.documents import renderer
from tests.support.journey import create_share, report_missing

ROOT = Path(__file__).resolve().parents[2]
HUGE = "9" * 40


def test_huge_numbers_in_urls_are_404_not_500(carer):
    person = carer.person_id
    for path in (
        f"/people/{person}/pdf/version/{HUGE}",
        f"/people/{person}/versions/{HUGE}",
        f"/people/{person}/found/{HUGE}",
        f"/people/{person}/pdf/version/{2**63}",
    ):
        assert carer.client.get(path).status_code == 404, path
    assert carer.post(f"/people/{person}/shares/{HUGE}/end").status_code == 404
    report_missing(carer)
    link, _code, _page = create_share(carer)
    assert carer.client.get(link.replace("http://localhost", "") + f"/photos/{HUGE}.jpg").status_code == 404


def test_making_shares_does_not_use_up_the_wrong_password_allowance(carer):
    carer.app.config["RATELIMIT_ACCOUNT_PASSWORD_PER_ACCOUNT"] = "3/minute"
    report_missing(carer)
    for _ in range(5):
        create_share(carer)  # each one made (status 200) with the step-up password accepted


def test_the_clothing_page_shows_the_photos_not_their_markup(carer):
    report_missing(carer)
    response = carer.client.get(f"/people/{carer.person_id}/missing/clothing")
    assert "&lt;img" not in response.text and "<img src=" not in BeautifulSoup(response.data, "html.parser").text
    labels = BeautifulSoup(response.data, "html.parser").select("label[for^=clothing_photo_ids]")
    assert labels and all(label.find("img") is not None for label in labels)
    assert "Green raincoat" in labels[-1].get_text() or "At home" in labels[0].get_text()


def test_the_pdf_keeps_only_safe_links_and_names_no_producer_version():
    html = (
        '<p><a href="javascript:alert(1)">a</a> <a href="JavaScript:alert(1)">b</a> <a href="java\tscript:x">c</a>'
        ' <a href="data:text/html,x">d</a> <a href="file:///etc/passwd">e</a> <a href="https://police.uk">f</a>'
        ' <a href="tel:999">g</a> <a href="#top" id="top">h</a></p>'
    )
    document = renderer.render_pdf(html, title="links")
    reader = pypdf.PdfReader(io.BytesIO(document))
    targets = []
    for annotation in reader.pages[0].get("/Annots") or []:
        action = annotation.get_object().get("/A")
        targets.append(action.get("/URI") if action is not None else "internal")
    print(f"\nlinks kept: {targets}; producer {reader.metadata.producer!r}")
    assert sorted(t for t in targets if t != "internal") == ["https://police.uk", "tel:999"]
    assert not any("script" in str(t).lower() for t in targets)
    assert reader.metadata.producer == renderer.PRODUCER
    assert reader.xmp_metadata.pdf_producer == renderer.PRODUCER
    assert b"WeasyPrint" not in document


def test_the_dpia_states_the_token_size_the_code_uses():
    from herbert.handover.shares import lifecycle as shares

    dpia = (ROOT / "docs" / "dpia.md").read_text()
    assert f"{shares.TOKEN_BYTES * 8}-bit token" in dpia
    assert not re.search(r"\b128-bit token", dpia)
