"""Run the web server and the job runner together, and stop them together (what `make run` uses).

    python scripts/run_with_jobs.py -- .venv/bin/gunicorn --bind 127.0.0.1:5000 'herbert:create_app()'

The job runner is `python -m flask --app herbert jobs run`. Ctrl-C (SIGINT) or SIGTERM stops both; if
either one stops on its own, the other is stopped too and this script exits with the first one's status.
In production, run the two as separate services instead (docs/operations/jobs.md).
"""

import signal
import subprocess
import sys
import time

GRACE_SECONDS = 15


def main(argv: list[str]) -> int:
    if "--" not in argv or not argv[argv.index("--") + 1 :]:
        print("usage: run_with_jobs.py -- SERVER COMMAND...", file=sys.stderr)
        return 2
    server_command = argv[argv.index("--") + 1 :]
    runner_command = [sys.executable, "-m", "flask", "--app", "herbert", "jobs", "run"]
    children = [subprocess.Popen(runner_command), subprocess.Popen(server_command)]  # noqa: S603
    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    status = 0
    while not stopping and all(child.poll() is None for child in children):
        time.sleep(0.2)
    for child in children:
        if child.poll() is not None and child.returncode and not status:
            status = child.returncode
    # Huey's consumer finishes its running jobs on SIGINT; gunicorn shuts down gracefully on SIGTERM.
    for child, stop_signal in zip(children, (signal.SIGINT, signal.SIGTERM), strict=True):
        if child.poll() is None:
            child.send_signal(stop_signal)
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
