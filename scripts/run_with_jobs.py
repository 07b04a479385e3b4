"""Run the web server and the job runner together, and stop them together (what `make run` uses).

    python scripts/run_with_jobs.py -- .venv/bin/python -m herbert.serve --host 127.0.0.1 --port 5000

The job runner is `python -m flask --app herbert jobs run`. Ctrl-C (SIGINT), SIGTERM or SIGHUP stops both; if
either one stops on its own, the other is stopped too and this script exits with a failure status.

Each child runs in a process group of its own, so a terminal's Ctrl-C reaches only this script, which passes
exactly one SIGINT to each: that is the graceful stop for both (waitress finishes the requests it is serving,
huey the jobs it is running), and a second SIGINT would cut huey's graceful stop short. On Linux a child also
gets SIGTERM if this script is killed outright, so neither is left running on its own.
In production, run the two as separate services instead (docs/operations/jobs.md).
"""

import ctypes
import signal
import subprocess
import sys
import time
from collections.abc import Callable

GRACE_SECONDS = 15
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent() -> Callable[[], None] | None:
    """For Popen's preexec_fn on Linux: the child gets SIGTERM when this script dies, however it dies."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    return lambda: libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def exit_status(returncode: int) -> int:
    """A child's status as a shell reports it (128 + N when signal N ended it); never 0 for one that stopped early."""
    if returncode < 0:
        return 128 - returncode
    return returncode or 1


def main(argv: list[str]) -> int:
    if "--" not in argv or not argv[argv.index("--") + 1 :]:
        print("usage: run_with_jobs.py -- SERVER COMMAND...", file=sys.stderr)
        return 2
    server_command = argv[argv.index("--") + 1 :]
    runner_command = [sys.executable, "-m", "flask", "--app", "herbert", "jobs", "run"]
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop)
    children = [
        subprocess.Popen(command, process_group=0, preexec_fn=_die_with_parent())  # noqa: S603
        for command in (runner_command, server_command)
    ]
    while not stopping and all(child.poll() is None for child in children):
        time.sleep(0.2)
    ended_early = [child for child in children if child.poll() is not None]
    status = exit_status(ended_early[0].returncode) if ended_early and not stopping else 0
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGINT)  # the graceful stop of both waitress and huey's consumer
    deadline = time.monotonic() + GRACE_SECONDS
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
