"""B15: share links — token entropy, random tokens never hit, expiry, revoke, lock, opens, headers."""

import math
import secrets
import time
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup

from herbert import clock
from herbert.audit import Action
from herbert.extensions import db
from herbert.handover.shares import lifecycle as shares
from herbert.handover.shares.clients import describe_client
from herbert.models import AuditEvent, Share, ShareOpen
from tests.support.journey import create_share, police_open, report_missing, text_of

ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
)
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)


def path_of(link: str) -> str:
    return link.replace("http://localhost", "")


def assert_police_headers(response) -> None:
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response.headers["X-Robots-Tag"]
    assert response.headers["Cache-Control"] == "no-store"


def test_token_and_code_entropy():
    tokens = {shares.new_token() for _ in range(2000)}
    assert len(tokens) == 2000
    bits = shares.TOKEN_BYTES * 8
    code_bits = shares.CODE_LENGTH * math.log2(len(shares.CODE_ALPHABET))
    print(f"\nB15 token entropy: {bits} bits (43 URL-safe characters); access code: {code_bits:.1f} bits")
    assert bits >= 128 and all(len(token) == 43 for token in tokens)
    assert not set("0O1IL") & set(shares.CODE_ALPHABET)
    codes = [shares.new_code() for _ in range(200)]
    assert all(len(code) == 8 and set(code) <= set(shares.CODE_ALPHABET) for code in codes)


def test_ten_thousand_random_tokens_never_hit(carer, backend):
    report_missing(carer)
    link, _code, _ = create_share(carer)
    police = carer.app.test_client()
    assert police.get(path_of(link)).status_code == 200  # the real link works
    started = time.perf_counter()
    with carer.app.app_context():
        # 10,000 random tokens against the stored hashes (the predicate find_share uses), in batches ...
        hashes = [shares.hash_token(secrets.token_urlsafe(32)) for _ in range(10_000)]
        lookups = sum(
            db.session.execute(
                db.select(db.func.count()).select_from(Share).where(Share.token_hash.in_(hashes[i : i + 1000]))
            ).scalar()
            for i in range(0, len(hashes), 1000)
        )
        # ... 1,000 through find_share itself, and 200 through the police route below.
        lookups += sum(shares.find_share(secrets.token_urlsafe(32)) is not None for _ in range(1_000))
    over_http = {}
    for _ in range(200):
        status = police.get(f"/police/share/{secrets.token_urlsafe(32)}").status_code
        over_http[status] = over_http.get(status, 0) + 1
    print(
        f"\nB15 random tokens ({backend}): 10000 hashed + 1000 find_share -> {lookups} hits; "
        f"200 over HTTP -> {over_http}; {time.perf_counter() - started:.1f} s"
    )
    assert lookups == 0 and over_http == {404: 200}


def test_secrets_are_stored_hashed(carer):
    report_missing(carer)
    link, code, _ = create_share(carer)
    token = path_of(link).rsplit("/", 1)[1]
    with carer.app.app_context():
        row = db.session.execute(db.select(Share)).scalar_one()
        assert row.token_hash == shares.hash_token(token) and token not in row.token_hash
        assert code.replace("-", "") not in row.code_hash and row.code_hash.startswith("hmac-sha256$")
        assert b"Ada" not in row.snapshot_sealed


def test_expiry_with_the_clock_gives_410(carer):
    report_missing(carer)
    link, code, _ = create_share(carer, hours="24")
    police = carer.app.test_client()
    form_path = police_open(police, link, code).location
    assert police.get(form_path + "/photos/1.jpg").status_code == 200
    clock.freeze(clock.utcnow() + timedelta(hours=24, seconds=1))
    response = police.get(path_of(link))
    assert response.status_code == 410
    assert "has ended" in text_of(response) and "ask the family or carer" in text_of(response)
    assert_police_headers(response)
    # The access marker ended with the share: the form's address goes back to the entry page, the photo is gone.
    assert police.get(form_path).location.startswith("/police?reference=")
    assert police.get(form_path + "/photos/1.jpg").status_code == 404


def test_revoke_gives_410_and_is_audited(carer):
    report_missing(carer)
    link, code, _ = create_share(carer)
    police = carer.app.test_client()
    assert police_open(police, link, code).status_code == 303
    with carer.app.app_context():
        share_id = db.session.execute(db.select(Share.id)).scalar_one()
    response = carer.post(f"/people/{carer.person_id}/shares/{share_id}/end")
    assert response.status_code == 302
    assert police.get(path_of(link)).status_code == 410
    with carer.app.app_context():
        assert db.session.execute(db.select(Share.snapshot_sealed)).scalar_one() == b""
        assert db.session.execute(db.select(AuditEvent).filter_by(action=Action.SHARE_END)).scalar_one()


def test_five_wrong_codes_lock_the_share_and_the_carer_sees_it(carer):
    report_missing(carer)
    link, code, _ = create_share(carer)
    police = carer.app.test_client()
    statuses = [police_open(police, link, "WRNG-CODE").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 423]
    locked = police.get(path_of(link))
    assert locked.status_code == 423 and "locked" in text_of(locked)
    assert_police_headers(locked)
    shares_page = text_of(carer.client.get(f"/people/{carer.person_id}/shares"))
    assert "Locked" in shares_page and "Make a new share link" in shares_page
    new_link, new_code, _ = create_share(carer)  # the carer can issue a new one
    assert police_open(carer.app.test_client(), new_link, new_code).status_code == 303
    with carer.app.app_context():
        wrong = db.session.execute(db.select(db.func.count()).where(AuditEvent.action == "share.wrong-code")).scalar()
        assert wrong == 5


def test_every_open_is_visible_to_the_carer(carer):
    report_missing(carer)
    link, code, _ = create_share(carer)
    for agent in (ANDROID_CHROME, IPHONE_SAFARI):
        police = carer.app.test_client()
        police.environ_base["HTTP_USER_AGENT"] = agent
        assert police_open(police, link, code).status_code == 303
    page = text_of(carer.client.get(f"/people/{carer.person_id}/shares"))
    assert "Chrome on Android" in page and "Safari on iPhone" in page
    assert code not in page
    with carer.app.app_context():
        clients = set(db.session.execute(db.select(ShareOpen.client)).scalars())
        assert clients == {"Chrome on Android", "Safari on iPhone"}


def test_police_pages_send_no_referrer_noindex_no_store(carer, client_request):
    report_missing(carer)
    link, code, _ = create_share(carer)
    police = carer.app.test_client()
    code_page = police.get(path_of(link))
    assert_police_headers(code_page)
    client_request.check(code_page)
    opened = police_open(police, link, code)
    assert_police_headers(opened)
    form_path = opened.location
    view = police.get(form_path)
    assert_police_headers(view)
    client_request.check(view)
    assert_police_headers(police.get(form_path + "/photos/1.jpg"))
    assert_police_headers(police.get("/police/share/" + secrets.token_urlsafe(32)))
    entry = police.get("/police")
    assert_police_headers(entry)
    client_request.check(entry)
    pdf = police.get(form_path + "/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert_police_headers(pdf)
    export = police.get(form_path + "/export.zip")
    assert export.status_code == 200 and export.data.startswith(b"PK")
    assert_police_headers(export)


def test_police_need_the_code_for_every_part(carer):
    report_missing(carer)
    link, _code, created = create_share(carer)
    reference = created.find(id="share-reference").text.strip()
    stranger = carer.app.test_client()
    for suffix in ("/photos/1.jpg", "/export.zip", "/pdf"):
        assert stranger.get(f"/police/form/{reference}{suffix}").status_code == 404
    assert stranger.get(f"/police/form/{reference}").location == f"/police?reference={reference}"
    for path in (path_of(link), f"/police?reference={reference}"):
        body = BeautifulSoup(stranger.get(path).data, "html.parser").get_text()
        assert "Ada" not in body


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        (ANDROID_CHROME, "Chrome on Android"),
        (IPHONE_SAFARI, "Safari on iPhone"),
        ("", "Unknown browser"),
        (None, "Unknown browser"),
    ],
)
def test_client_descriptions_are_coarse(agent, expected):
    assert describe_client(agent) == expected
