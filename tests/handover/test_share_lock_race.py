"""Issue 15 point 5 / security.md B19: the share lock is race-free. Twenty officers' requests at the same
moment, over HTTP on SQLite and PostgreSQL: never more than five codes are evaluated, and a right code
is never accepted once the share is locked."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from herbert.audit import Action
from herbert.extensions import db
from herbert.handover.shares import lifecycle as shares
from herbert.mail.models import OutboxMessage
from herbert.models import AuditEvent, Share
from tests.support.journey import create_share, page, report_missing

PARALLEL = 20


@pytest.fixture
def evaluations(monkeypatch) -> list[bool]:
    """Every comparison of a typed code with the stored one, in order, with its result (the real comparison
    runs; the list only records it)."""
    seen: list[bool] = []
    real = shares.code_matches
    lock = threading.Lock()

    def counting(share, typed):
        with lock:
            result = real(share, typed)
            seen.append(result)
        return result

    monkeypatch.setattr(shares, "code_matches", counting)
    return seen


def officers(app, path: str, count: int = PARALLEL) -> list[tuple]:
    """Clients that each opened the code page (own session and CSRF token) while the share was still open."""
    made = []
    for _ in range(count):
        client = app.test_client()
        token = page(client.get(path)).find("input", {"name": "csrf_token"})["value"]
        made.append((client, token))
    return made


def parallel_posts(app, path: str, codes: list[str], clients: list[tuple] | None = None) -> list[int]:
    """Each code from its own client, all released at once by a barrier."""
    clients = clients or officers(app, path, len(codes))
    barrier = threading.Barrier(len(codes))

    def post(item):
        (client, token), code = item
        barrier.wait()
        return client.post(path, data={"csrf_token": token, "code": code}).status_code

    with ThreadPoolExecutor(max_workers=len(codes)) as pool:
        return list(pool.map(post, zip(clients, codes, strict=True)))


def share_row(app) -> Share:
    with app.app_context():
        row = db.session.execute(db.select(Share)).scalar_one()
        db.session.expunge(row)
        return row


@pytest.fixture
def shared(carer):
    carer.app.config["RATELIMIT_SHARE_CODE_PER_IP"] = "1000/minute"  # the share's own lock is under test
    carer.app.config["RATELIMIT_SHARE_CODE_PER_LINK"] = "1000/minute"
    report_missing(carer)
    link, code, _ = create_share(carer)
    return link.replace("http://localhost", ""), code


def test_parallel_wrong_codes_evaluate_at_most_five(carer, shared, evaluations, backend):
    path, _code = shared
    statuses = parallel_posts(carer.app, path, ["WRNG-CDE2"] * PARALLEL)
    row = share_row(carer.app)
    print(f"\nB19 share lock ({backend}): {PARALLEL} parallel wrong codes -> {len(evaluations)} evaluated, {statuses}")
    assert evaluations == [False] * shares.MAX_WRONG_CODES
    assert row.failed_attempts == shares.MAX_WRONG_CODES and row.locked_at is not None
    assert sorted(statuses) == [200] * 4 + [423] * (PARALLEL - 4)  # four "not right", the fifth locks it
    # Five wrong codes recorded, one lock, and the carer is told once (not by every request that found it locked).
    with carer.app.app_context():
        actions = list(db.session.execute(db.select(AuditEvent.action)).scalars())
        locked_emails = db.session.execute(db.select(OutboxMessage).filter_by(kind="share-locked")).scalars().all()
    assert actions.count(Action.SHARE_WRONG_CODE) == shares.MAX_WRONG_CODES
    assert actions.count(Action.SHARE_LOCK) == 1
    assert len(locked_emails) == 1


def test_right_code_among_parallel_wrong_ones_is_never_accepted_once_locked(carer, shared, evaluations, backend):
    path, code = shared
    later = officers(carer.app, path)  # they loaded the code page before the share locked
    statuses = parallel_posts(carer.app, path, [code] + ["WRNG-CDE2"] * (PARALLEL - 1))
    row = share_row(carer.app)
    accepted = statuses[0] == 303
    print(
        f"\nB19 right code among {PARALLEL - 1} wrong ({backend}): accepted={accepted}, "
        f"locked={bool(row.locked_at)}, evaluated in order: {evaluations}"
    )
    assert evaluations.count(False) <= shares.MAX_WRONG_CODES  # never more than five wrong codes evaluated
    assert row.failed_attempts == evaluations.count(False)
    assert (row.locked_at is not None) == (evaluations.count(False) == shares.MAX_WRONG_CODES)
    if accepted:  # it held one of the five tries, so it came before the fifth wrong one: the share was open
        assert evaluations.count(True) == 1 and evaluations.index(True) < shares.MAX_WRONG_CODES
    else:  # locked by five wrong ones before the right one's turn: refused without being evaluated
        assert row.locked_at is not None and statuses[0] == 423 and True not in evaluations

    # Once locked, twenty right codes at once: none is accepted, and none is even evaluated.
    if row.locked_at is None:
        parallel_posts(carer.app, path, ["WRNG-CDE2"] * PARALLEL)
        assert share_row(carer.app).locked_at is not None
    evaluations.clear()
    statuses = parallel_posts(carer.app, path, [code] * PARALLEL, later)
    assert statuses == [423] * PARALLEL and evaluations == []
