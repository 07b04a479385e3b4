"""Slow clients trickling headers and bodies cannot take `make run`'s server offline (issue 15 point 3).

The server is started exactly as `make run` does (python -m herbert.serve). 40 connections trickle a
request body a byte at a time and 40 more trickle their headers; a probe must still be answered in 2 s.
Against the previous `make run` (gunicorn's threaded worker, 8 threads) the same attack held every thread.
"""

import time

import pytest

from tests.support.live_server import ServedApp, Trickler, p95, timed_get

pytestmark = pytest.mark.slow

SLOW_BODIES = 40
SLOW_HEADERS = 40


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    app = ServedApp(tmp_path_factory.mktemp("slow-clients"))
    app.start()
    yield app
    app.stop()


def test_a_probe_is_answered_in_2_s_while_80_connections_trickle(server):
    baseline = [timed_get(server.port, "/sign-in")[0] for _ in range(5)]
    trickler = Trickler(server.port)
    body_start = b"POST /sign-in HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    trickler.open(SLOW_BODIES, body_start + b"Content-Length: 100000\r\n\r\nemail=")
    trickler.open(SLOW_HEADERS, b"GET /sign-in HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    with trickler:
        time.sleep(2)  # let the trickling settle in
        probes = [timed_get(server.port, "/sign-in", timeout=5) for _ in range(20)]
    times = [seconds for seconds, _status in probes]
    print(
        f"\n{SLOW_BODIES} slow bodies + {SLOW_HEADERS} slow headers: /sign-in p95 {p95(times):.3f} s "
        f"(max {max(times):.3f} s) against {p95(baseline):.3f} s with no attack"
    )
    assert all(status == 200 for _seconds, status in probes), probes
    assert max(times) < 2.0


def test_no_server_banner(server):
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    connection.request("GET", "/sign-in")
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.getheader("Server") is None
    assert response.getheader("Via") is None
