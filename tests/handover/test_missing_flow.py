"""The emergency journey through HTTP: report missing → share with police → police open it → found."""

import io
import re
from datetime import date, datetime, timedelta

from pypdf import PdfReader

from herbert import clock
from herbert.audit import Action
from herbert.extensions import db
from herbert.handover.missing import report as missing
from herbert.models import AuditEvent, MissingReport, Share
from herbert.records import store
from tests.support.journey import GUIDANCE, PASSWORD, create_share, page, police_open, report_missing, text_of


def test_report_missing_defaults_save_and_guidance(carer):
    response = carer.client.get(f"/people/{carer.person_id}/missing/last-seen")
    body = text_of(response)
    assert GUIDANCE in body
    soup = page(response)
    assert "1 High Street" in soup.find("textarea", {"name": "last_seen_where"}).text
    # The date and time last seen start empty: they are what the carer says, never "now" by default.
    assert soup.find("input", {"name": "last_seen_time"}).get("value", "") == ""
    assert all(not box.get("value") for box in soup.select("input[name=last_seen_date]"))
    # Both are required.
    empty = carer.post(f"/people/{carer.person_id}/missing/last-seen", {"last_seen_time": "", "action": "continue"})
    assert empty.status_code == 200
    assert "Enter the date they were last seen" in text_of(empty) and "Enter the time they were last seen" in text_of(
        empty
    )
    report_missing(carer, seen_by="Neighbour")
    with carer.app.app_context():
        person = carer.person()
        assert person.status == "missing"
        report = missing.load_report(person, missing.open_report(person))
        assert report["seen_by"] == "Neighbour" and report["last_seen_where"].startswith("1 High Street")
        row = db.session.execute(db.select(MissingReport)).scalar_one()
        assert b"Neighbour" not in row.report_sealed  # sealed with the person's key


def test_quick_picks_fill_the_boxes_but_never_save_the_button_press(carer):
    clock.freeze(datetime(2026, 3, 10, 20, 21, 30))  # 8:21pm in London (GMT)
    path = f"/people/{carer.person_id}/missing/last-seen"
    before = page(carer.client.get(path))
    assert [b.text for b in before.select("button[name=quick_pick]")] == [
        "Now",
        "About 30 minutes ago",
        "About an hour ago",
        "About 2 hours ago",
    ]
    picked = carer.post(path, {"quick_pick": "60", "seen_by": "Neighbour", "action": "continue"})
    assert picked.status_code == 200  # the page again, for the carer to check: nothing saved
    soup = page(picked)
    assert [box.get("value") for box in soup.select("input[name=last_seen_date]")] == ["10", "3", "2026"]
    assert soup.find("input", {"name": "last_seen_time"})["value"] == "7:20pm"
    assert soup.find("input", {"name": "seen_by"})["value"] == "Neighbour"  # what they typed stays
    assert "We put in Tuesday 10 March 2026 at 7:20pm" in text_of(picked)
    with carer.app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(MissingReport)).scalar() == 0
    # Pressing Enter in a box submits "Save and continue" (the form's first button), not a quick pick.
    first_button = soup.find("input", {"name": "last_seen_time"}).find_parent("form").find("button")
    assert (first_button["name"], first_button["value"]) == ("action", "continue")
    # The carer changes the time, then saves: the time they said is kept, and the report time separately.
    clock.freeze(datetime(2026, 3, 10, 20, 23))
    report_missing(carer, seen_at=datetime(2026, 3, 10, 14, 30))
    with carer.app.app_context():
        person = carer.person()
        report = missing.load_report(person, missing.open_report(person))
    assert report["last_seen_at"] == "2026-03-10T14:30" and report["reported_at"] == "2026-03-10T20:23"
    assert missing.seen_and_reported(report, today=date(2026, 3, 10)) == "Last seen 2:30pm · reported 8:23pm"
    ready = text_of(carer.client.get(f"/people/{carer.person_id}/missing/handover"))
    assert "Last seen 2:30pm · reported 8:23pm" in ready
    assert "Last seen Tuesday 10 March 2026 at 2:30pm" in ready
    assert "Reported missing Tuesday 10 March 2026 at 8:23pm" in ready
    # Both pages that show the person say since when they are missing (the last-seen time, not the report's).
    for path in (f"/people/{carer.person_id}", "/people"):
        assert "Missing now since 2:30pm" in text_of(carer.client.get(path)), path


def test_last_seen_in_the_future_is_refused(carer):
    clock.freeze(datetime(2026, 3, 10, 9, 0))
    response = carer.post(
        f"/people/{carer.person_id}/missing/last-seen",
        {"last_seen_date": ["10", "3", "2026"], "last_seen_time": "9:30pm", "action": "continue"},
    )
    assert response.status_code == 200 and "The time last seen must be now or in the past" in text_of(response)
    with carer.app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(MissingReport)).scalar() == 0


def test_clothing_picks_and_more_pages_save(carer):
    report_missing(carer)
    response = carer.client.get(f"/people/{carer.person_id}/missing/clothing")
    body = text_of(response)
    assert GUIDANCE in body and "Coat: Navy anorak" in body and "Green raincoat" in body
    soup = page(response)
    photo_value = [i["value"] for i in soup.select("input[name=clothing_photo_ids]")][0]
    response = carer.post(
        f"/people/{carer.person_id}/missing/clothing",
        {
            "clothing_picks": ["Coat: Navy anorak"],
            "clothing_photo_ids": [photo_value],
            "clothing_today": "Red jumper",
            "items_carried": ["phone", "bus_pass"],
            "action": "continue",
        },
    )
    assert response.status_code == 302 and response.location.endswith("/missing/more-details")
    assert GUIDANCE in text_of(carer.client.get(f"/people/{carer.person_id}/missing/more-details"))
    response = carer.post(
        f"/people/{carer.person_id}/missing/more-details",
        {"searches_done": ["house", "garden"], "police_reference": "LOG-123", "mood": "Confused"},
    )
    assert response.status_code == 302 and response.location.endswith("/missing/handover")
    pdf = carer.client.get(f"/people/{carer.person_id}/pdf/missing")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    first_page = " ".join(PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text().split())
    assert "Red jumper" in first_page  # the missing-now block is on page 1
    ready = text_of(carer.client.get(f"/people/{carer.person_id}/missing/handover"))
    for expected in ("Red jumper", "Mobile phone, Bus pass or travel card", "LOG-123", "Green raincoat", GUIDANCE):
        assert expected in ready


def test_share_then_police_view_then_found(carer, client_request):
    report_missing(carer, direction="Towards the canal")
    link, code, created = create_share(carer)
    assert re.fullmatch(r"http://localhost/police/share/[A-Za-z0-9_-]{43}", link)
    assert re.fullmatch(r"[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}", code)
    qr = created.find("img", class_="app-qr")
    assert qr["src"].startswith("data:image/svg+xml")
    assert created.find("script")["nonce"]  # the copy buttons' script carries the CSP nonce

    police = carer.app.test_client()
    response = police_open(police, link, code)
    assert response.status_code == 303
    form_path = response.location
    assert re.fullmatch(r"/police/form/[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}", form_path)
    assert police.get(link.replace("http://localhost", "")).location == form_path  # the link leads there too
    view = police.get(form_path)
    body = " ".join(page(view).get_text().split())
    assert "Ada Canary-Example" in body and "Towards the canal" in body and "Navy anorak" in body
    photo = police.get(form_path + "/photos/1.jpg")
    assert photo.status_code == 200 and photo.data.startswith(b"\xff\xd8")
    # The session marker holds no personal data.
    from herbert.models import WebSession

    with carer.app.app_context():
        for row in db.session.execute(db.select(WebSession)).scalars():
            assert "Ada" not in row.data and code not in row.data

    # Details added after sharing reach police with the link.
    carer.post(f"/people/{carer.person_id}/missing/clothing", {"clothing_today": "Blue cardigan"})
    assert "Blue cardigan" in text_of(police.get(form_path))

    # Found: every share ends (410), status goes back, section J offered prefilled.
    found = carer.client.get(f"/people/{carer.person_id}/found")
    soup = page(found)
    data = {
        "csrf_token": soup.find("input", {"name": "csrf_token"})["value"],
        "found_date": [i["value"] for i in soup.select("input[name=found_date]")],
        "found_time": soup.find("input", {"name": "found_time"})["value"],
        "found_where": "By the canal lock",
    }
    response = carer.client.post(f"/people/{carer.person_id}/found", data=data)
    assert response.status_code == 302
    assert police.get(link.replace("http://localhost", "")).status_code == 410
    assert police.get(form_path).status_code == 410
    offer = carer.client.get(response.location)
    soup = page(offer)
    assert soup.title.get_text().startswith(soup.h1.get_text(strip=True) + " – ")  # the title says what the h1 says
    assert soup.find("input", {"name": "where_found"})["value"] == "By the canal lock"
    assert soup.find("input", {"name": "missing_from"})["value"].startswith("1 High Street")
    assert soup.find("input", {"name": "how_long"})["value"]
    data = {field["name"]: field.get("value", "") for field in soup.select("form input[name]")}
    data["episode_date"] = [i["value"] for i in soup.select("input[name=episode_date]")]
    response = carer.client.post(offer.request.path, data=data)
    assert response.status_code == 302
    with carer.app.app_context():
        person = carer.person()
        assert person.status == "published"
        episodes = store.load_section(person, "previous-missing-episodes")
        assert episodes["has_gone_missing_before"] == "yes"
        (row,) = episodes["episodes"]
        assert row["where_found"] == "By the canal lock" and row["id"]
        share = db.session.execute(db.select(Share)).scalar_one()
        assert share.end_reason == "found" and share.snapshot_sealed == b""
        actions = list(db.session.execute(db.select(AuditEvent.action).order_by(AuditEvent.id)).scalars())
    for action in (
        Action.MISSING_REPORT,
        Action.SHARE_CREATE,
        Action.SHARE_OPEN,
        Action.MISSING_EDIT,
        Action.MISSING_FOUND,
        Action.SECTION_EDIT,
    ):
        assert action in actions


def test_share_needs_the_password_again_when_sign_in_is_old(carer):
    report_missing(carer)
    clock.freeze(clock.utcnow() + timedelta(minutes=10))
    ready = text_of(carer.client.get(f"/people/{carer.person_id}/missing/handover"))
    assert "Confirm it is you" in ready
    ready = page(carer.client.get(f"/people/{carer.person_id}/missing/handover"))
    form = ready.find("form", action=f"/people/{carer.person_id}/shares")
    data = {
        "csrf_token": form.find("input", {"name": "csrf_token"})["value"],
        "request_id": form.find("input", {"name": "request_id"})["value"],
        "hours": "72",
        "source": "v1",
        "password": "wrong password entirely",
    }
    response = carer.client.post(f"/people/{carer.person_id}/shares", data=data)
    assert "The password is not right" in text_of(response)
    with carer.app.app_context():
        assert db.session.execute(db.select(db.func.count(Share.id))).scalar() == 0
    link, code, _ = create_share(carer, password=PASSWORD)
    assert link and code
