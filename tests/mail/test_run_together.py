"""`make run`'s supervisor: the web server (waitress, as `make run` starts it) and the job runner start with one
command and stop together: Ctrl-C stops both, and when either dies the other is stopped too."""

import asyncio
import http.cookiejar
import os
import re
import shlex
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.support.http_servers import free_port
from tests.support.mail import Mailbox

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def command_line(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def make_run_command(port: int) -> list[str]:
    """The command `make run` serves with once it has set up, read from the Makefile itself (`make -n` prints
    the recipe without running it), so this test runs exactly what `make run` runs."""
    printed = subprocess.run(
        ["make", "-n", "-s", "run", "HOST=127.0.0.1", f"PORT={port}"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (line,) = [line for line in printed.splitlines() if "scripts/run_with_jobs.py" in line]
    return shlex.split(line, comments=True)


class RunningTogether:
    """`make run`'s last command in an instance of its own, started in a new session (as a terminal would start
    it in a process group of its own, so Ctrl-C can be sent the way a terminal sends it)."""

    def __init__(self, tmp_path: Path, settings: dict[str, str] | None = None):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.instance = tmp_path / "instance"
        env = {key: value for key, value in os.environ.items() if not key.startswith("HERBERT_")}
        env |= {
            "HERBERT_INSTANCE_PATH": str(self.instance),
            "HERBERT_PUBLIC_URL": f"http://127.0.0.1:{self.port}",
        } | (settings or {})
        init = [sys.executable, "-m", "flask", "--app", "herbert", "init"]
        subprocess.run(init, cwd=ROOT, env=env, check=True, capture_output=True)
        self.command = make_run_command(self.port)
        self.supervisor = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.wait_until_serving()
        self.children = children_of(self.supervisor.pid)

    def wait_until_serving(self) -> None:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=2) as response:  # noqa: S310
                    assert response.status == 200
                    assert "Server" not in response.headers  # waitress, with no version banner
                    return
            except OSError:
                assert self.supervisor.poll() is None, self.supervisor.communicate()[1][-2000:]
                assert time.monotonic() < deadline, "the web server never answered"
                time.sleep(0.3)

    def child(self, what: str) -> int:
        (pid,) = [pid for pid in self.children if what in command_line(pid)]
        return pid

    def finish(self, timeout: float = 40) -> tuple[int, str]:
        try:
            _out, err = self.supervisor.communicate(timeout=timeout)
        finally:
            if self.supervisor.poll() is None:  # never leave anything running behind a failed test
                os.killpg(self.supervisor.pid, signal.SIGKILL)
            for pid in self.children:
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)
        return self.supervisor.returncode, err


def test_make_run_serves_with_waitress_beside_the_job_runner_and_ctrl_c_stops_both(tmp_path: Path):
    running = RunningTogether(tmp_path)
    assert running.command[1:4] == ["scripts/run_with_jobs.py", "--", running.command[0]]
    assert "-m herbert.serve" in command_line(running.child("herbert.serve"))  # waitress, as `make run` serves
    assert "jobs run" in command_line(running.child("jobs run"))
    assert len(running.children) == 2
    os.killpg(running.supervisor.pid, signal.SIGINT)  # Ctrl-C: the terminal signals its foreground process group
    status, err = running.finish()
    assert status == 0, err[-2000:]
    assert not any(alive(pid) for pid in running.children), "a process outlived Ctrl-C"
    assert "Email is OFF" in err  # the clear notice when no mail server is set
    assert "Traceback" not in err  # both stopped gracefully, each on one SIGINT


@pytest.mark.parametrize("dies", ["herbert.serve", "jobs run"])
def test_when_either_process_dies_the_other_is_stopped_too(tmp_path: Path, dies: str):
    running = RunningTogether(tmp_path)
    other = next(pid for pid in running.children if pid != running.child(dies))
    os.kill(running.child(dies), signal.SIGKILL)
    status, err = running.finish()
    assert status == 128 + signal.SIGKILL, err[-2000:]  # the failure is reported, as a shell would
    assert not alive(other), f"the other process ({command_line(other) if alive(other) else ''}) kept running"


class SlowMailbox(Mailbox):
    """An SMTP server that takes a few seconds to accept each message, so a send is still running when asked."""

    def __init__(self, seconds: float):
        super().__init__(port=free_port())
        self.seconds = seconds
        self.receiving = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.receiving.set()
        await asyncio.sleep(self.seconds)
        return await super().handle_DATA(server, session, envelope)


def post_form(base: str, path: str, data: dict[str, str]) -> int:
    """GET a page, then POST its form with the CSRF token it carried, as a browser would (one cookie jar)."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with opener.open(base + path, timeout=10) as response:  # noqa: S310
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.read().decode())[1]
    body = urllib.parse.urlencode(data | {"csrf_token": token}).encode()
    with opener.open(base + path, data=body, timeout=10) as response:  # noqa: S310
        return response.status


def test_ctrl_c_lets_the_email_being_sent_finish(tmp_path: Path):
    """Ctrl-C while the job runner is half-way through sending: the send completes and is recorded, because each
    process is stopped with one graceful SIGINT (a second one would cut huey's graceful stop short)."""
    mailbox = SlowMailbox(seconds=4)
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    try:
        mail = {"HERBERT_MAIL_SERVER": "127.0.0.1", "HERBERT_MAIL_PORT": str(mailbox.port)}
        running = RunningTogether(tmp_path, mail)
        base = f"http://127.0.0.1:{running.port}"
        assert post_form(base, "/sign-up", {"email": "carer@example.com", "password": "correct horse battery 42"})
        assert mailbox.receiving.wait(30), "the job runner never started sending"
        os.killpg(running.supervisor.pid, signal.SIGINT)  # Ctrl-C mid-send
        status, err = running.finish()
    finally:
        controller.stop()
    assert status == 0, err[-2000:]
    assert [message["To"] for message in mailbox.messages] == ["carer@example.com"]
    with sqlite3.connect(running.instance / "herbert.db") as database:
        sent = database.execute("SELECT sent_at FROM outbox_messages").fetchall()
    assert len(sent) == 1 and sent[0][0] is not None, "the send finished but was never recorded"
