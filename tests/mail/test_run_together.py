"""`make run`'s supervisor: the web server and the job runner start with one command and stop together."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

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


def test_web_server_and_job_runner_start_and_stop_together(tmp_path: Path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {key: value for key, value in os.environ.items() if not key.startswith("HERBERT_")}
    env |= {"HERBERT_INSTANCE_PATH": str(tmp_path / "instance"), "HERBERT_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "herbert", "init"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    supervisor = subprocess.Popen(
        [
            sys.executable,
            "scripts/run_with_jobs.py",
            "--",
            gunicorn,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "herbert:create_app()",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:  # noqa: S310
                    assert response.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "the web server never answered"
                time.sleep(0.3)
        children = children_of(supervisor.pid)
        assert len(children) == 2
        commands = [Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode() for pid in children]
        assert any("jobs run" in command for command in commands)
        assert any("gunicorn" in command for command in commands)
    finally:
        supervisor.send_signal(signal.SIGINT)  # Ctrl-C
        _out, err = supervisor.communicate(timeout=40)
    assert not any(alive(pid) for pid in children), "a process outlived Ctrl-C"
    assert "Email is OFF" in err  # the clear notice when no mail server is set
