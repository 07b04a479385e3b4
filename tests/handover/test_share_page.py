"""The carer's share page (issue 9): reference, code and police address to read out, text-message and email
buttons that never put the code in the same message as the link unless the carer chooses "send both", the
link with its QR code; the police address in the PDF footer and the export README."""

import io
import re
import zipfile
from urllib.parse import unquote

from pypdf import PdfReader

from herbert.handover.shares import messages as share_messages
from tests.support.journey import create_share, police_open, report_missing


def shared(carer):
    report_missing(carer)
    link, code, created = create_share(carer)
    return link, created.find(id="share-reference").text.strip(), code, created


def body_of(href: str) -> str:
    assert href.startswith(("sms:?&body=", "mailto:?subject=")), href
    return unquote(href.split("body=", 1)[1])


def test_reference_code_and_address_are_shown_to_read_out(carer):
    link, reference, code, created = shared(carer)
    assert created.find(id="police-address").text.strip() == "localhost/police"
    for element_id in ("police-address", "share-reference", "share-code"):
        tag = created.find(id=element_id)
        line = tag if tag.name == "p" else tag.find_parent("p")
        assert "app-mono" in line["class"]
    text = " ".join(created.get_text().split())
    assert "Read this out" in text and "two groups of four" in text
    # Screen readers hear each character, from visually hidden text (no aria-label on a <p>).
    code_line = created.find(id="share-code").find_parent("p")
    assert code_line.find(class_="govuk-visually-hidden").text == share_messages.spelt_out(code)
    assert share_messages.spelt_out("K7QM-42PX") == "K 7 Q M, 4 2 P X"
    assert not created.select("p[aria-label]")
    # The link stays, with its copy button and QR code.
    assert created.find(id="share-link").text.strip() == link
    assert created.find("button", attrs={"data-copy-target": "share-link"})
    assert created.find("img", class_="app-qr")["src"].startswith("data:image/svg+xml")


def test_text_message_and_email_keep_the_code_away_from_the_link(carer):
    link, reference, code, created = shared(carer)
    details_sms = body_of(created.find(id="send-details-sms")["href"])
    details_email = body_of(created.find(id="send-details-email")["href"])
    for body in (details_sms, details_email):
        assert f"Go to localhost/police and enter reference {reference} and access code {code}" in body
        assert "/police/share/" not in body  # no link with the code
    for element_id in ("send-link-sms", "send-link-email"):
        body = body_of(created.find(id=element_id)["href"])
        assert link in body and code not in body and code.replace("-", "") not in body
    for element_id in ("send-both-sms", "send-both-email"):  # only behind "Send both in one message"
        element = created.find(id=element_id)
        assert element.find_parent("details") is not None
        body = body_of(element["href"])
        assert link in body and code in body
    email = created.find(id="send-details-email")["href"]
    assert email.startswith("mailto:?subject=Herbert%20Protocol%20form%20for%20police&body=")
    assert "Ada" not in str(created.select("a[href^=sms], a[href^=mailto]"))  # no name leaves in a message


def test_pdf_footer_and_export_readme_name_the_police_address(carer):
    link, reference, code, _created = shared(carer)
    police = carer.app.test_client()
    form_path = police_open(police, link, code).location
    shared_pdf = police.get(form_path + "/pdf")
    pages = PdfReader(io.BytesIO(shared_pdf.data)).pages
    line = f"Police: open this form online at localhost/police with reference {reference}"
    for number, pdf_page in enumerate(pages, 1):
        assert line in " ".join(pdf_page.extract_text().split()), f"page {number}"
    assert code not in " ".join(p.extract_text() for p in pages)

    version_pdf = carer.client.get(f"/people/{carer.person_id}/pdf/version/1")
    first = " ".join(PdfReader(io.BytesIO(version_pdf.data)).pages[0].extract_text().split())
    assert "Go to localhost/police and enter the reference and access code they give you" in first

    package = zipfile.ZipFile(io.BytesIO(police.get(form_path + "/export.zip").data))
    readme = " ".join(package.read("README.txt").decode().split())
    assert line in readme and code not in readme


def test_send_links_and_read_out_survive_a_public_url_with_a_path(carer):
    carer.app.config["PUBLIC_URL"] = "https://herbert.example.org/service"
    report_missing(carer)
    link, code, created = create_share(carer)
    assert link.startswith("https://herbert.example.org/service/police/share/")
    assert created.find(id="police-address").text.strip() == "herbert.example.org/service/police"
    assert re.search(r"Go to herbert\.example\.org/service/police and enter", created.find(id="read-out").text)
