
"""PDFs never queue: a render that cannot start soon gets the "try again" page; police PDFs have their own
worker; PDF, export and import requests are rate limited per account (real WeasyPrint workers)."""

import threading
import time

import pytest

from herbert.documents import renderer
from tests.support.journey import create_share, police_open, report_missing, text_of

SLOW = f"<style>p {{ overflow-wrap: anywhere }}</style><p>{'x' * 100_000}</p>"  # minutes to lay out


@pytest.fixture
def small_pool(monkeypatch):
    """One shared and one police worker, so one slow render fills the carers' lane."""
    pool = renderer.RenderPool(size=1, reserved=1)
    monkeypatch.setattr(renderer, "_pool", pool)
    yield pool
    pool.close()


def fill_carer_lane(pool: renderer.RenderPool, seconds: float) -> threading.Thread:
    thread = threading.Thread(
        target=lambda: pytest.raises(renderer.PdfTimeout, pool.render, SLOW, "slow", "en-GB", seconds, wait=5)
    )
    thread.start()
    deadline = time.monotonic() + 10
    while pool._busy[renderer.SHARED] == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert pool._busy[renderer.SHARED] == 1
    return thread


def test_a_busy_renderer_gives_the_carer_try_again_at_once_and_police_still_get_their_pdf(carer, small_pool):
    carer.app.config["PDF_QUEUE_SECONDS"] = 0.5
    report_missing(carer)
    link, code, _ = create_share(carer)
    police = carer.app.test_client()
    path = police_open(police, link, code).location  # the form's address, /police/form/<reference>

    busy = fill_carer_lane(small_pool, seconds=10)
    started = time.perf_counter()
    response = carer.client.get(f"/people/{carer.person_id}/pdf/draft")
    carer_wait = time.perf_counter() - started
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert "A lot of PDFs are being made right now" in text_of(response)
    assert "Try again in a minute" in text_of(response)

    started = time.perf_counter()
    shared = police.get(path + "/pdf")
    police_wait = time.perf_counter() - started
    assert shared.status_code == 200 and shared.data.startswith(b"%PDF")
    missing_pdf = carer.client.get(f"/people/{carer.person_id}/pdf/missing")
    assert missing_pdf.status_code == 200 and missing_pdf.data.startswith(b"%PDF")
    print(f"\ncarer refused after {carer_wait:.2f} s; police share PDF in {police_wait:.2f} s while carers' lane full")
    assert carer_wait < 3
    busy.join()




def test_pdfs_are_rate_limited_per_account_across_every_pdf_route(carer, auth):
    carer.app.config["RATELIMIT_PDF_PER_ACCOUNT"] = "2/minute"
    assert carer.client.get(f"/people/{carer.person_id}/pdf/draft").status_code == 200
    assert carer.client.get(f"/people/{carer.person_id}/pdf/version/1").status_code == 200
    refused = carer.client.get(f"/people/{carer.person_id}/pdf/draft")
    assert refused.status_code == 429
    assert "Too many attempts" in text_of(refused)
    assert carer.client.get(f"/people/{carer.person_id}/pdf/missing").status_code == 429
    # Another carer's allowance is their own.
    auth.sign_out()
    auth.sign_up("someone-else@example.com")
    from herbert.extensions import db
    from herbert.models import User
    from tests.support.journey import make_person

    with carer.app.app_context():
        other = db.session.execute(db.select(User).filter_by(email="someone-else@example.com")).scalar_one()
        other_person = make_person(other.id, photos_too=False)
    assert carer.client.get(f"/people/{other_person}/pdf/draft").status_code == 200


def test_imports_are_rate_limited_per_account(carer):
    carer.app.config["RATELIMIT_IMPORT_PER_ACCOUNT"] = "2/minute"
    for _ in range(2):
        response = carer.post("/people/import", data={"package": (_not_a_zip(), "x.zip")})
        assert response.status_code == 200 and "not a Herbert Protocol export package" in text_of(response)
    assert carer.post("/people/import", data={"package": (_not_a_zip(), "x.zip")}).status_code == 429


def test_exports_are_rate_limited_per_account(carer):
    carer.app.config["RATELIMIT_EXPORT_PER_ACCOUNT"] = "1/minute"
    carer.post(f"/people/{carer.person_id}/export", data={"password": "wrong"})
    assert carer.post(f"/people/{carer.person_id}/export", data={"password": "wrong"}).status_code == 429


def _not_a_zip():
    import io

    return io.BytesIO(b"hello, not a zip")
