"""What a carer's clicks can feed into the police render lane is bounded (issue 15): live shares per person are
capped (and the page says so), new shares per account are limited, background renders are coalesced (one waiting
per share) in a bounded queue, the police download never waits for a render while a kept PDF exists, and a render
is kept only if the share is still live and unchanged (one conditional UPDATE). Real renders throughout."""

import io
import threading
import time

import pytest
from pypdf import PdfReader

from herbert.documents import kept
from herbert.extensions import db
from herbert.handover.shares import lifecycle as shares
from herbert.handover.shares import pdfs
from herbert.models import Share
from herbert.records import store
from tests.support.journey import create_share, page, police_open, report_missing, text_of


class Gate:
    """Holds the one background render thread busy, so what carers queue meanwhile can be counted."""

    def __init__(self, app):
        self.opened = threading.Event()
        with app.test_request_context():
            assert kept.soon(self.opened.wait, 60, key="gate")
        deadline = time.monotonic() + 10
        while kept.waiting() and time.monotonic() < deadline:  # until the gate itself has started
            time.sleep(0.01)

    def open(self) -> None:
        self.opened.set()
        kept.wait_for_pending()


def first_page_text(data: bytes) -> str:
    return " ".join(PdfReader(io.BytesIO(data)).pages[0].extract_text().split())


def count_shares(app) -> int:
    with app.app_context():
        return db.session.execute(db.select(db.func.count()).select_from(Share)).scalar()


def add_clothing(carer, text: str) -> None:
    response = carer.post(f"/people/{carer.person_id}/missing/clothing", {"clothing_today": text})
    assert response.status_code == 302


def try_to_share(carer):
    """Press "Share with police" on a freshly loaded handover page."""
    ready = page(carer.client.get(f"/people/{carer.person_id}/missing/handover"))
    form = ready.find("form", action=f"/people/{carer.person_id}/shares")
    data = {name: form.find("input", {"name": name})["value"] for name in ("csrf_token", "request_id")}
    return carer.client.post(f"/people/{carer.person_id}/shares", data=data | {"hours": "72", "source": "v1"})


def test_live_shares_per_person_are_capped_and_the_handover_page_says_so(carer):
    report_missing(carer)
    handover = f"/people/{carer.person_id}/missing/handover"
    carer.app.config["MAX_LIVE_SHARES_PER_PERSON"] = 2
    assert "You can have up to 2 share links working at once for each person. You have 0." in text_of(
        carer.client.get(handover)
    )
    create_share(carer)
    # The page is loaded with one live share; meanwhile the cap is reached (another carer, another tab).
    ready = page(carer.client.get(handover))
    form = ready.find("form", action=f"/people/{carer.person_id}/shares")
    data = {name: form.find("input", {"name": name})["value"] for name in ("csrf_token", "request_id")}
    carer.app.config["MAX_LIVE_SHARES_PER_PERSON"] = 1
    refused = carer.client.post(f"/people/{carer.person_id}/shares", data=data | {"hours": "72", "source": "v1"})
    assert refused.status_code == 200
    summary = " ".join(page(refused).select_one(".govuk-error-summary").get_text().split())
    assert "This person has 1 share link working, the most allowed at one time" in summary
    assert count_shares(carer.app) == 1  # nothing made
    full = page(carer.client.get(handover))
    assert "You have 1." in full.select_one("#live-share-limit").get_text()
    assert full.select_one("#live-shares-full") and not full.find("form", action=f"/people/{carer.person_id}/shares")
    # Ending a share makes room again.
    with carer.app.app_context():
        share_id = db.session.execute(db.select(Share.id)).scalar_one()
    carer.post(f"/people/{carer.person_id}/shares/{share_id}/end")
    create_share(carer)
    assert count_shares(carer.app) == 2


def test_new_shares_are_limited_per_account_and_only_shares_made_count(carer):
    report_missing(carer)
    carer.app.config["RATELIMIT_SHARE_CREATE_PER_ACCOUNT"] = "2/hour"
    carer.app.config["RATELIMIT_ACCOUNT_PASSWORD_PER_ACCOUNT"] = "2/minute"
    create_share(carer)
    create_share(carer)
    refusals = [try_to_share(carer) for _ in range(3)]
    summary = " ".join(page(refusals[0]).select_one(".govuk-error-summary").get_text().split())
    print(f"\nA third share in an hour: {[r.status_code for r in refusals]}: {summary}")
    assert "You have made as many share links as we allow for now" in summary
    assert "You can make a new one in about 60 minutes" in summary
    assert count_shares(carer.app) == 2
    # The refusals checked no password, so they did not use up the password allowance (2 a minute) either.
    assert [r.status_code for r in refusals] == [200, 200, 200]


def test_renders_are_coalesced_and_the_police_download_does_not_wait(preparing, renders):
    carer = preparing
    report_missing(carer)
    link, code, _ = create_share(carer)
    create_share(carer)
    kept.wait_for_pending()
    assert len(renders) == 2  # one per share, made as they were made
    gate = Gate(carer.app)
    for n in range(4):  # four saves, each re-rendering every live share, while the background thread is busy
        add_clothing(carer, f"Blue cardigan, save {n}")
    waiting_then = kept.waiting()
    police = carer.app.test_client()
    form_path = police_open(police, link, code).location
    started = time.perf_counter()
    stale = police.get(form_path + "/pdf")
    took = time.perf_counter() - started
    view = police.get(form_path)
    gate.open()
    fresh = police.get(form_path + "/pdf")
    after = police.get(form_path)
    print(
        f"\nCoalescing: 4 saves x 2 live shares queued {waiting_then} renders; {len(renders)} renders in all;"
        f" police download while renders waited: {took * 1000:.0f} ms"
    )
    assert waiting_then == 2  # one waiting render per share, not eight
    assert len(renders) == 4  # 2 at creation + 1 per share for the newest details
    assert stale.status_code == 200 and took < 1.0  # the kept PDF, at once, without rendering
    assert "Blue cardigan" not in first_page_text(stale.data)
    assert page(view).select_one("#pdf-updating") is not None  # and the officer is told why
    assert "Blue cardigan, save 3" in first_page_text(fresh.data)  # the newest snapshot replaced the older ones
    assert page(after).select_one("#pdf-updating") is None
    assert len(renders) == 4  # the downloads rendered nothing


def test_the_background_queue_is_bounded_and_what_is_dropped_renders_on_download(preparing, renders, monkeypatch):
    carer = preparing
    monkeypatch.setattr(kept, "MAX_WAITING", 1)
    report_missing(carer)
    gate = Gate(carer.app)
    shared = [create_share(carer) for _ in range(3)]  # three renders asked for, one may wait
    waiting_then = kept.waiting()
    gate.open()
    assert waiting_then == 1 and len(renders) == 1
    with carer.app.app_context():
        kept_copies = [row.pdf_sealed is not None for row in db.session.scalars(db.select(Share).order_by(Share.id))]
    assert kept_copies == [True, False, False]
    police = carer.app.test_client()
    link, code, _ = shared[2]
    assert police.get(police_open(police, link, code).location + "/pdf").status_code == 200
    assert len(renders) == 2  # the dropped one rendered when police asked, and is kept now
    with carer.app.app_context():
        assert db.session.execute(db.select(Share.pdf_sealed).order_by(Share.id.desc())).first()[0]


@pytest.mark.parametrize("meanwhile", ["share ended", "new details"])
def test_a_render_is_kept_only_if_the_share_is_still_live_and_unchanged(carer, renders, monkeypatch, meanwhile):
    """The share changes between the render and the write (another request, its own connection): nothing is kept."""
    report_missing(carer)
    create_share(carer)
    with carer.app.app_context():
        share_id = db.session.execute(db.select(Share.id)).scalar_one()
    real_seal = store.seal_bytes_for

    def change_the_share() -> None:
        with carer.app.app_context():
            share = db.session.get(Share, share_id)
            if meanwhile == "share ended":
                shares.end_share(share)
            else:
                person = carer.person()
                shares.refresh_missing_report(person, {"clothing_today": "Red coat"})
            db.session.remove()

    def sealing_while_the_share_changes(*args, **kwargs):
        other = threading.Thread(target=change_the_share)
        other.start()
        other.join()
        return real_seal(*args, **kwargs)

    monkeypatch.setattr(store, "seal_bytes_for", sealing_while_the_share_changes)
    with carer.app.test_request_context():
        kept_it = pdfs.keep_share_pdf(share_id)
        row = db.session.get(Share, share_id)
        db.session.refresh(row)
        assert len(renders) == 1 and kept_it is False
        assert row.pdf_sealed is None
