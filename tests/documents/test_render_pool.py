
"""The render pool fails fast instead of queueing, and keeps capacity that only police renders may use.

Real WeasyPrint workers; a render is kept busy with a document WeasyPrint takes minutes to lay out
(one unbreakable 100,000-character word), which the pool kills at its time limit.
"""

import threading
import time

import pytest

from herbert.documents import renderer

PATHOLOGICAL = f"<style>p {{ overflow-wrap: anywhere }}</style><p>{'x' * 100_000}</p>"
SMALL = "<p>A small document</p>"


@pytest.fixture
def pool():
    pool = renderer.RenderPool(size=1, reserved=1)
    yield pool
    pool.close()


def hold_a_worker(pool: renderer.RenderPool, lane: str, seconds: float) -> threading.Thread:
    """Start a render that keeps one worker busy for `seconds` (then it is killed), and wait until it has it."""

    def run() -> None:
        with pytest.raises(renderer.PdfTimeout):
            pool.render(PATHOLOGICAL, "slow", "en-GB", seconds, lane=lane, wait=5)

    thread = threading.Thread(target=run)
    before = dict(pool._busy)
    thread.start()
    deadline = time.monotonic() + 10
    while pool._busy == before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert pool._busy != before
    return thread


def test_a_carer_render_that_cannot_start_fails_fast_instead_of_queueing(pool):
    pool.render(SMALL, "warm", "en-GB", 20, lane=renderer.CARER)  # one warm worker
    busy = hold_a_worker(pool, renderer.CARER, seconds=8)
    started = time.perf_counter()
    with pytest.raises(renderer.PdfBusy):
        pool.render(SMALL, "second", "en-GB", 20, lane=renderer.CARER, wait=0.5)
    waited = time.perf_counter() - started
    print(f"\ncarer render refused after {waited:.2f} s (wait allowed 0.5 s; the busy render has 8 s left)")
    assert waited < 3
    assert pool.refused == 1
    busy.join()


def test_police_renders_get_the_reserved_worker_while_carers_hold_the_rest(pool):
    pool.render(SMALL, "warm", "en-GB", 20, lane=renderer.POLICE)
    busy = hold_a_worker(pool, renderer.CARER, seconds=8)
    started = time.perf_counter()
    document = pool.render(SMALL, "police", "en-GB", 20, lane=renderer.POLICE, wait=0.5)
    took = time.perf_counter() - started
    print(f"\npolice render while every carer worker was busy: {took:.2f} s")
    assert document.startswith(b"%PDF")
    # ...and a carer cannot take the police worker when it comes free: the carer lane is still full.
    with pytest.raises(renderer.PdfBusy):
        pool.render(SMALL, "carer", "en-GB", 20, lane=renderer.CARER, wait=0.3)
    busy.join()


def test_police_may_use_a_shared_worker_when_their_reserved_one_is_busy(pool):
    busy = hold_a_worker(pool, renderer.POLICE, seconds=8)
    assert pool._busy == {renderer.SHARED: 0, renderer.RESERVED: 1}
    assert pool.render(SMALL, "police", "en-GB", 20, lane=renderer.POLICE, wait=0.5).startswith(b"%PDF")
    busy.join()


def test_no_more_worker_processes_than_both_lanes_together(pool):
    threads = [threading.Thread(target=lambda: pool.render(SMALL, "x", "en-GB", 20, lane=renderer.POLICE, wait=30))]
    threads += [threading.Thread(target=lambda: pool.render(SMALL, "x", "en-GB", 20, lane=renderer.CARER, wait=30))]
    threads *= 3
    threads = [threading.Thread(target=t._target) for t in threads]  # fresh thread objects
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(pool.worker_pids()) <= 2
    assert pool._busy == {renderer.SHARED: 0, renderer.RESERVED: 0}
