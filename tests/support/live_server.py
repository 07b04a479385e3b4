"""`make run`'s server (herbert.serve: waitress) started for a test, small loopback HTTP helpers, and clients
that trickle a request a byte at a time."""

import contextlib
import http.client
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.support.browser import ROOT, LiveServer


class ServedApp(LiveServer):
    """The browser harness's live server, but started exactly as `make run` starts it (python -m herbert.serve)."""

    def __init__(self, folder: Path, **settings: str):
        super().__init__(folder)
        self.settings = settings

    def environment(self) -> dict[str, str]:
        env = super().environment()
        env.update({f"HERBERT_{name}": value for name, value in self.settings.items()})
        return env

    def start(self) -> None:
        self.instance.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.prepare_database()
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "herbert.serve", "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=ROOT,
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_until_answering()


def timed_get(port: int, path: str, timeout: float = 10.0) -> tuple[float, int]:
    """(seconds, status) of one GET on a fresh connection; status 0 when it failed or timed out."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        status = response.status
    except (OSError, http.client.HTTPException):
        status = 0
    finally:
        connection.close()
    return time.perf_counter() - started, status


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def cpu_count() -> int:
    return os.cpu_count() or 1


class Trickler:
    """Connections that send a request a byte at a time, for as long as the test runs."""

    def __init__(self, port: int):
        self.port = port
        self.sockets: list[socket.socket] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._trickle, daemon=True)

    def open(self, count: int, start: bytes) -> None:
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            sock.sendall(start)
            self.sockets.append(sock)

    def _trickle(self) -> None:
        while not self.stop.wait(0.5):
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.send(b"a")

    def __enter__(self) -> "Trickler":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()
        for sock in self.sockets:
            sock.close()
