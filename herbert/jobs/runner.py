"""The job runner: huey, with SQLite storage in the instance folder by default and Redis at scale.

HERBERT_JOBS_URL picks the storage: unset → `<instance>/jobs.db` (SqliteHuey, no broker to run);
`sqlite:////path/jobs.db` → that file; `redis://host:6379/1` → RedisHuey, its keys named after HERBERT_JOBS_NAME
("herbert"; another name lets two services, or a test, share one Redis database). Tests run jobs in immediate mode
(inside the caller), unless JOBS_IMMEDIATE is False. `flask --app herbert jobs run` is the consumer.
"""

import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from huey import Huey, RedisHuey, SqliteHuey

from herbert.jobs.registry import JOBS, JobSpec, job_name

log = logging.getLogger(__name__)
EXTENSION = "herbert.jobs"


class JobRunner:
    """The app's huey instance and its tasks, one per declared job."""

    def __init__(self, app: Flask):
        self.app = app
        self.huey = make_huey(app)
        self.tasks: dict[str, Any] = {}
        for spec in JOBS.values():
            self.tasks[spec.name] = self._bind(spec)

    def _bind(self, spec: JobSpec) -> Any:
        app = self.app

        def run_in_app(*args: Any) -> Any:
            # Immediate mode inside a request: run in the caller's context (same database session), so a
            # SQLite write lock held by the request cannot block the job. Elsewhere: a context of our own.
            if has_app_context() and current_app._get_current_object() is app:  # type: ignore[attr-defined]
                return spec.func(*args)
            with app.app_context():
                return spec.func(*args)

        run_in_app.__name__ = spec.func.__name__
        options = {
            "retries": spec.retries,
            "retry_delay": spec.retry_delay,
            "retry_backoff": spec.retry_backoff,
            "name": spec.name,
        }
        if spec.schedule is not None:
            return self.huey.periodic_task(spec.schedule, **options)(run_in_app)
        return self.huey.task(**options)(run_in_app)


def make_huey(app: Flask) -> Huey:
    url = app.config.get("JOBS_URL") or ""
    immediate = app.config.get("JOBS_IMMEDIATE")
    if immediate is None:
        immediate = bool(app.config.get("TESTING"))
    name = app.config.get("JOBS_NAME") or "herbert"
    if not re.fullmatch(r"[A-Za-z0-9_]{1,64}", name):  # huey would quietly drop other characters from its keys
        raise RuntimeError("HERBERT_JOBS_NAME must be 1-64 letters, digits or underscores")
    options: dict[str, Any] = {"name": name, "results": False, "utc": True, "immediate": bool(immediate)}
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(url=url, **options)
    if not url:
        filename = str(Path(app.instance_path) / "jobs.db")
    elif url.startswith("sqlite:///"):
        filename = url[len("sqlite:///") :]
    else:
        raise RuntimeError("HERBERT_JOBS_URL must be a redis:// or sqlite:/// address (or unset for SQLite)")
    return SqliteHuey(filename=filename, **options)


def init_jobs(app: Flask) -> JobRunner:
    """Bind every declared job to the app's huey. The app factory imports the modules that declare jobs first
    (herbert.jobs.registry), so every process, web or runner, knows the same task names."""
    runner = JobRunner(app)
    app.extensions[EXTENSION] = runner
    return runner


def runner_of(app: Flask | None = None) -> JobRunner:
    return (app or current_app).extensions[EXTENSION]


def enqueue(func: Callable[..., Any], *args: Any, delay: float | None = None) -> None:
    """Queue a declared job (commit the rows it reads first). Immediate mode runs it now."""
    task = runner_of().tasks[job_name(func)]
    if delay:
        task.schedule(args=args, delay=delay)
    else:
        task(*args)
