"""PDF downloads from the person's pages: the draft, a published version and the appeal poster, with the
right headers, audit events, and 404 for anyone who does not care for the person."""

import re
from datetime import datetime

import pytest

from herbert.documents import renderer
from herbert.extensions import db
from herbert.models import AuditEvent, User
from herbert.records import store
from tests.support.pdfs import embedded_files, full_document, image_xobjects, page_texts, pdf_text, reader, sample_jpeg


def squash(text: str) -> str:
    return " ".join(text.replace("\u200b", "").split())


@pytest.fixture
def person_id(app, signed_in) -> str:
    """A person cared for by the signed-in carer: the full form in the draft, version 1 published, a photo."""
    with app.app_context():
        user = db.session.execute(db.select(User).filter_by(email="carer@example.com")).scalar_one()
        person_id = store.create_person(user.id)
        person = store.person_for(user.id, person_id)
        document = full_document()
        store.replace_draft(person, document)
        store.publish(person, user.id, document, datetime(2026, 11, 1))
        store.add_photo(
            person, sample_jpeg(seed=7), {"kind": "head_and_shoulders", "taken_on": "2026-01-15", "caption": ""}
        )
    return person_id


def audit_details(app, person_id: str) -> list[str]:
    with app.app_context():
        return list(
            db.session.execute(
                db.select(AuditEvent.detail)
                .filter_by(person_id=person_id, action="pdf.download")
                .order_by(AuditEvent.id)
            ).scalars()
        )


def assert_pdf_download(response, filename_pattern: str) -> bytes:
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert re.fullmatch(rf'attachment; filename="{filename_pattern}"', disposition), disposition
    assert "Answer" not in disposition and "M001" not in disposition  # never the person's name
    body = response.data
    assert body.startswith(b"%PDF-")
    assert embedded_files(reader(body)) == []
    return body


def test_download_a_published_version(client, app, person_id):
    body = assert_pdf_download(
        client.get(f"/people/{person_id}/pdf/version/1"), r"herbert-protocol-v1-\d{4}-\d{2}-\d{2}\.pdf"
    )
    pages = page_texts(body)
    assert "Version 1" in pages[0] and "DRAFT" not in squash(pdf_text(body))
    assert "Answer M001" in pages[0]  # the name, on the grab sheet
    assert "Main photo taken: 15 January 2026" in squash(pages[0])
    assert len(image_xobjects(reader(body))) == 1
    assert audit_details(app, person_id) == ["v1"]


def test_download_the_draft(client, app, person_id):
    body = assert_pdf_download(
        client.get(f"/people/{person_id}/pdf/draft"), r"herbert-protocol-draft-\d{4}-\d{2}-\d{2}\.pdf"
    )
    for page in page_texts(body):
        assert "DRAFT" in page
    assert audit_details(app, person_id) == ["draft"]


def test_download_the_poster(client, app, person_id):
    body = assert_pdf_download(
        client.get(f"/people/{person_id}/pdf/poster"), r"missing-person-appeal-\d{4}-\d{2}-\d{2}\.pdf"
    )
    text = squash(pdf_text(body))
    assert "MISSING" in text and "call 999" in text and "CONFIDENTIAL" not in text
    assert "Marker Road" not in text and "07700" not in text
    assert audit_details(app, person_id) == ["poster"]


def test_no_poster_without_publicity_consent(client, app, person_id, client_request):
    with app.app_context():
        user = db.session.execute(db.select(User).filter_by(email="carer@example.com")).scalar_one()
        person = store.person_for(user.id, person_id)
        answers = store.load_section(person, "consent-and-review")
        answers["publicity_consent"] = "no"
        store.save_section(person, "consent-and-review", answers)
    page = client_request.get(f"/people/{person_id}/pdf/poster", expected_status=404)
    assert "only make one when" in page.get_text()
    assert audit_details(app, person_id) == []


def test_a_version_that_does_not_exist_is_404(client, person_id):
    assert client.get(f"/people/{person_id}/pdf/version/9").status_code == 404


def test_another_carer_gets_404_for_everything(client, app, auth, person_id):
    auth.sign_out()
    assert auth.sign_up("other@example.com").status_code == 302
    for pdf in ("draft", "version/1", "poster"):
        path = f"/people/{person_id}/pdf/{pdf}"
        response = client.get(path)
        assert response.status_code == 404, path
        assert not response.data.startswith(b"%PDF")
    assert audit_details(app, person_id) == []


def test_signed_out_visitors_are_sent_to_sign_in(client, auth, person_id):
    auth.sign_out()
    response = client.get(f"/people/{person_id}/pdf/draft")
    assert response.status_code == 302 and "/sign-in" in response.location


def test_a_render_that_times_out_shows_a_clear_error(client, app, person_id, client_request):
    app.config["PDF_TIMEOUT_SECONDS"] = 0.001
    replaced = renderer.render_pool().replaced
    page = client_request.get(f"/people/{person_id}/pdf/version/1", expected_status=503)
    assert "Making the PDF took too long" in page.get_text()
    assert renderer.render_pool().replaced == replaced + 1
    assert audit_details(app, person_id) == []
    app.config["PDF_TIMEOUT_SECONDS"] = 20
    assert client.get(f"/people/{person_id}/pdf/version/1").status_code == 200


def test_the_overview_page_offers_the_downloads(client_request, person_id):
    page = client_request.get(f"/people/{person_id}")
    links = {a["href"] for a in page.select(".app-documents-panel a")}
    assert f"/people/{person_id}/pdf/version/1" in links
    assert f"/people/{person_id}/pdf/draft" in links
    assert f"/people/{person_id}/pdf/poster" in links


def test_while_missing_the_download_starts_with_the_missing_now_report(client, app, person_id):
    from herbert.handover.missing import report as missing

    with app.app_context():
        user = db.session.execute(db.select(User).filter_by(email="carer@example.com")).scalar_one()
        person = store.person_for(user.id, person_id)
        missing.save_report(person, user.id, {"last_seen_at": "2026-11-26T09:15", "last_seen_where": "Bus stop"})
    page_one = squash(page_texts(client.get(f"/people/{person_id}/pdf/version/1").data)[0])
    assert page_one.index("MISSING NOW") < page_one.index("Bus stop") < page_one.index("Answers to")
