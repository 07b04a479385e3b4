"""Background jobs (huey): declared with herbert.jobs.registry.job, queued with herbert.jobs.runner.enqueue."""
