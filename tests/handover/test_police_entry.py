"""Police open a share at /police with the reference and the code (issue 9): loose typing, one answer for an
unknown reference and a wrong code, wrong codes count towards the share's lock, rate limits per client and
across the service, and the share page's text built from PUBLIC_URL, never from the Host header."""

import re

import pytest

from herbert.extensions import db
from herbert.handover.shares import lifecycle as shares
from herbert.models import AuditEvent, Share
from tests.support.journey import create_share, page, report_missing, text_of


def path_of(link: str) -> str:
    return link.replace("http://localhost", "")


def enter(client, reference: str, code: str, **kwargs):
    token = page(client.get("/police")).find("input", {"name": "csrf_token"})["value"]
    return client.post("/police", data={"csrf_token": token, "reference": reference, "code": code}, **kwargs)


def shared(carer) -> tuple[str, str, str]:
    report_missing(carer)
    link, code, created = create_share(carer)
    return link, created.find(id="share-reference").text.strip(), code


def answer_of(response) -> str:
    """The page as the officer reads it, without what changes per request (the CSRF token, typed values)."""
    soup = page(response)
    for tag in soup.select("input"):
        tag.attrs.pop("value", None)
    return " ".join(soup.get_text().split())


def test_reference_is_short_grouped_stored_and_not_the_code(carer):
    _link, reference, code = shared(carer)
    assert re.fullmatch(r"[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}", reference)
    assert reference != code
    with carer.app.app_context():
        row = db.session.execute(db.select(Share)).scalar_one()
        assert row.reference == reference.replace("-", "")
        assert code.replace("-", "") not in row.code_hash


@pytest.mark.parametrize("typing", ["exact", "lower", "spaces", "no dash"])
def test_reference_and_code_typed_loosely_open_the_form(carer, typing):
    _link, reference, code = shared(carer)
    loosen = {
        "exact": lambda text: text,
        "lower": str.lower,
        "spaces": lambda text: " " + " ".join(text.replace("-", "")) + " ",
        "no dash": lambda text: text.replace("-", "").lower(),
    }[typing]
    police = carer.app.test_client()
    opened = enter(police, loosen(reference), loosen(code))
    assert opened.status_code == 303 and opened.location == f"/police/form/{reference}"
    view = police.get(opened.location)
    assert view.status_code == 200 and "Ada Canary-Example" in text_of(view)


def test_unknown_reference_and_wrong_code_give_the_same_answer(carer):
    _link, reference, code = shared(carer)
    unknown = "ABCD-EFGH" if reference != "ABCD-EFGH" else "HGFE-DCBA"
    wrong_code = enter(carer.app.test_client(), reference, "WRNG-CDE2")
    unknown_reference = enter(carer.app.test_client(), unknown, code)
    malformed = enter(carer.app.test_client(), "hello", code)
    assert wrong_code.status_code == unknown_reference.status_code == malformed.status_code == 200
    assert answer_of(wrong_code) == answer_of(unknown_reference) == answer_of(malformed)
    assert "The reference or access code is not right" in answer_of(wrong_code)
    assert "tries left" not in answer_of(wrong_code)  # a count would tell a real reference from a guess
    assert "Ada" not in answer_of(wrong_code)


def test_wrong_codes_at_police_count_towards_the_share_lock(carer):
    link, reference, code = shared(carer)
    police = carer.app.test_client()
    statuses = [enter(police, reference, "WRNG-CDE2").status_code for _ in range(5)]
    assert statuses == [200] * 5  # the same answer as an unknown reference, even for the fifth
    with carer.app.app_context():
        row = db.session.execute(db.select(Share)).scalar_one()
        assert row.failed_attempts == 5 and row.locked_at is not None and row.snapshot_sealed == b""
        wrong = db.session.execute(db.select(db.func.count()).where(AuditEvent.action == "share.wrong-code")).scalar()
        assert wrong == 5
    # Locked for both ways in: the right code now gets the locked page (only its holder learns that).
    right = enter(carer.app.test_client(), reference, code)
    assert right.status_code == 423 and "locked" in text_of(right)
    assert carer.app.test_client().get(path_of(link)).status_code == 423
    assert "Locked" in text_of(carer.client.get(f"/people/{carer.person_id}/shares"))


def test_link_and_reference_share_one_lock(carer):
    link, reference, code = shared(carer)
    police = carer.app.test_client()
    for _ in range(3):
        enter(police, reference, "WRNG-CDE2")
    token = page(police.get(path_of(link))).find("input", {"name": "csrf_token"})["value"]
    response = police.post(path_of(link), data={"csrf_token": token, "code": "WRNG-CDE2"})
    assert "1 try left" in text_of(response)
    opened = police.post(path_of(link), data={"csrf_token": token, "code": code})
    assert opened.status_code == 303 and opened.location == f"/police/form/{reference}"


def test_ended_share_answers_like_an_unknown_reference_unless_the_code_is_right(carer):
    _link, reference, code = shared(carer)
    with carer.app.app_context():
        share_id = db.session.execute(db.select(Share.id)).scalar_one()
    carer.post(f"/people/{carer.person_id}/shares/{share_id}/end")
    wrong = enter(carer.app.test_client(), reference, "WRNG-CDE2")
    assert wrong.status_code == 200 and "not right" in text_of(wrong)
    right = enter(carer.app.test_client(), reference, code)
    assert right.status_code == 410 and "has ended" in text_of(right)


def test_reference_entry_is_rate_limited_per_client(carer):
    _link, reference, code = shared(carer)
    carer.app.config["RATELIMIT_POLICE_REFERENCE_PER_IP"] = "3/minute"
    guesser = carer.app.test_client()
    statuses = [enter(guesser, f"ABCD-EFG{n}", "WRNG-CDE2").status_code for n in range(2, 7)]
    assert statuses == [200, 200, 200, 429, 429]
    # Another client is not affected, and successes do not use up the allowance.
    other = carer.app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert enter(other, reference, code).status_code == 303


def from_address(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_many_guessers_cannot_keep_police_out(carer):
    """Issue 15: the service-wide count of wrong entries no longer blocks everyone. Once it is spent, a client
    that has itself failed recently is refused unchecked; an officer typing a reference for the first time (or
    after one slip) is checked as usual and gets in."""
    _link, reference, code = shared(carer)
    carer.app.config["RATELIMIT_POLICE_REFERENCE_ACROSS_SERVICE"] = "4/minute"
    carer.app.config["RATELIMIT_POLICE_REFERENCE_PER_CLIENT_UNDER_PRESSURE"] = "2/10 minutes"
    guessers = [from_address(carer.app, f"198.51.100.{n + 1}") for n in range(6)]
    first_round = [enter(g, f"ABCD-EF{n + 2}G", "WRNG-CDE2").status_code for n, g in enumerate(guessers)]
    second_round = [enter(g, f"ABCD-EF{n + 2}H", "WRNG-CDE2").status_code for n, g in enumerate(guessers)]
    third_round = [enter(g, f"ABCD-EF{n + 2}J", "WRNG-CDE2") for n, g in enumerate(guessers)]
    # The officer's view: a new device, a slip, then the right reference and code, all while guessing goes on.
    officer = from_address(carer.app, "203.0.113.9")
    slip = enter(officer, reference, "WRNG-CDE3")
    opened = enter(officer, reference, code)
    print(
        f"\nUnder pressure: guessers' rounds {first_round}, {second_round},"
        f" {[r.status_code for r in third_round]}; officer's slip {slip.status_code}, then {opened.status_code}"
    )
    # The attacker's view: each guessing client gets its two tries, then is refused without a check.
    assert first_round == [200] * 6 and second_round == [200] * 6
    assert [r.status_code for r in third_round] == [429] * 6
    refused = third_round[0]
    assert "we did not check the reference" in text_of(refused) and "send you the link" in text_of(refused)
    assert 60 <= int(refused.headers["Retry-After"]) <= 600
    assert slip.status_code == 200 and "not right" in text_of(slip)
    assert opened.status_code == 303 and opened.location == f"/police/form/{reference}"
    # Refused entries were never looked up: only the 12 checked ones count towards the share's wrong codes.
    with carer.app.app_context():
        assert db.session.execute(db.select(Share.failed_attempts)).scalar_one() == 1  # the officer's slip


def test_without_pressure_a_client_keeps_its_usual_allowance(carer):
    """The under-pressure rule only applies while the service-wide count is spent."""
    carer.app.config["RATELIMIT_POLICE_REFERENCE_PER_CLIENT_UNDER_PRESSURE"] = "1/10 minutes"
    guesser = from_address(carer.app, "198.51.100.1")
    statuses = [enter(guesser, f"ABCD-EFG{n}", "WRNG-CDE2").status_code for n in range(2, 7)]
    assert statuses == [200] * 5


def test_one_ipv6_range_is_one_client(carer):
    """Addresses in one /64 share one per-client allowance; another /64 has its own."""
    carer.app.config["RATELIMIT_POLICE_REFERENCE_PER_IP"] = "3/minute"
    statuses = [
        enter(from_address(carer.app, f"2001:db8:1:2::{n:x}"), f"ABCD-EFG{n}", "WRNG-CDE2").status_code
        for n in range(2, 7)
    ]
    neighbour = enter(from_address(carer.app, "2001:db8:1:3::2"), "ABCD-EFGH", "WRNG-CDE2").status_code
    print(f"\nOne /64, five addresses, 3 allowed: {statuses}; the next /64: {neighbour}")
    assert statuses == [200, 200, 200, 429, 429]
    assert neighbour == 200


def test_the_link_path_is_not_under_the_reference_pressure(carer):
    link, reference, code = shared(carer)
    carer.app.config["RATELIMIT_POLICE_REFERENCE_ACROSS_SERVICE"] = "1/minute"
    carer.app.config["RATELIMIT_POLICE_REFERENCE_PER_CLIENT_UNDER_PRESSURE"] = "1/10 minutes"
    police = from_address(carer.app, "203.0.113.9")
    enter(police, "ABCD-EFGH", "WRNG-CDE2")
    assert enter(police, reference, code).status_code == 429  # this device keeps failing, under pressure
    link_path = path_of(link)
    token = page(police.get(link_path)).find("input", {"name": "csrf_token"})["value"]
    assert police.post(link_path, data={"csrf_token": token, "code": code}).status_code == 303


def test_share_page_reads_out_the_police_address_from_public_url_not_the_host_header(carer):
    report_missing(carer)
    carer.client.environ_base["HTTP_X_FORWARDED_HOST"] = "evil.example"
    carer.client.environ_base["HTTP_HOST"] = "evil.example"
    link, code, created = create_share(carer)
    assert link.startswith("http://localhost/police/share/")
    reference = created.find(id="share-reference").text.strip()
    read_out = " ".join(created.find(id="read-out").get_text().split())
    assert read_out == f"Go to localhost/police and enter reference {reference} and access code {code}"
    assert "evil.example" not in str(created)
    sms = created.find(id="send-details-sms")["href"]
    assert sms.startswith("sms:?&body=") and "localhost%2Fpolice" in sms and "evil" not in sms


def test_successful_share_creations_do_not_use_up_the_password_allowance(carer):
    report_missing(carer)
    carer.app.config["RATELIMIT_ACCOUNT_PASSWORD_PER_ACCOUNT"] = "2/minute"
    for _ in range(4):
        create_share(carer)
    with carer.app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Share)).scalar() == 4


def test_find_by_reference_ignores_anything_not_shaped_like_one(carer):
    with carer.app.app_context():
        for typed in ("", "ABCD", "ABCD-EFGH-JKMN", "ABCD-EFG0", "'; DROP TABLE shares; --", "ⅠⅡⅢⅣ-ⅤⅥⅦⅧ"):
            assert shares.find_by_reference(typed) is None


def test_police_address_works_with_a_trailing_slash_and_the_carer_sees_the_reference_again(carer):
    _link, reference, code = shared(carer)
    police = carer.app.test_client()
    assert police.get("/police/").status_code == 200
    token = page(police.get("/police/")).find("input", {"name": "csrf_token"})["value"]
    opened = police.post("/police/", data={"csrf_token": token, "reference": reference, "code": code})
    assert opened.status_code == 303
    assert f"Reference {reference}" in text_of(carer.client.get(f"/people/{carer.person_id}/shares"))


def test_download_allowance_is_one_per_share_however_the_reference_is_spelt(carer):
    """/police/form/K7QM-42PX/pdf, /police/form/k7qm42px/pdf ... all open the same share, so they share one
    allowance: typing the reference another way must not buy more downloads."""
    _link, reference, code = shared(carer)
    carer.app.config["RATELIMIT_SHARE_DOWNLOAD_PER_LINK"] = "3/minute"
    police = carer.app.test_client()
    assert enter(police, reference, code).status_code == 303
    spellings = [reference, reference.lower(), reference.replace("-", ""), reference.replace("-", "").lower()]
    statuses = [police.get(f"/police/form/{spelt}/pdf").status_code for spelt in spellings]
    print(f"\nDownloads by four spellings of one reference, 3 allowed: {statuses}")
    assert statuses == [200, 200, 200, 429]
    # Another share keeps its own allowance.
    _link2, other_reference, other_code = shared(carer)
    assert enter(police, other_reference, other_code).status_code == 303
    assert police.get(f"/police/form/{other_reference.lower()}/pdf").status_code == 200
