"""Where jobs are declared: plain functions marked with @job, bound to the app's huey when the app starts.

Declaring a job does not need the app (so modules stay importable anywhere); herbert.jobs.runner turns every
declared job into a huey task of the app's own huey instance, run inside an app context.

    @job(retries=6, retry_delay=30, retry_backoff=2)
    def deliver(message_id: str) -> None: ...

    enqueue(deliver, message_id)      # from a request, after the rows it reads are committed
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: Callable[..., Any]
    retries: int = 0
    retry_delay: int = 0
    retry_backoff: float = 1.0
    schedule: Callable[[Any], bool] | None = None  # a huey crontab(): run periodically by the job runner


JOBS: dict[str, JobSpec] = {}


def job_name(func: Callable[..., Any]) -> str:
    return f"{func.__module__}.{func.__name__}"


def job(
    *,
    retries: int = 0,
    retry_delay: int = 0,
    retry_backoff: float = 1.0,
    schedule: Callable[[Any], bool] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a job. Arguments must be ids and small plain values: they are stored in the queue."""

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        name = job_name(func)
        JOBS[name] = JobSpec(name, func, retries, retry_delay, retry_backoff, schedule)
        return func

    return register
