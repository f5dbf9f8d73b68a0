"""The long-lived parts one process shares: settings, database, Redis.

Built by whoever needs them, explicitly: the app factory for each web app (handlers
reach them through their `Context`), the worker for the jobs it runs (jobs reach them
through `for_jobs()`). Nothing connects at import time, and no module keeps "the
current services" for others: two apps in one process each keep their own.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial

from redis import Redis

from bot.runtime import queue
from bot.storage import versions
from bot.storage.db import Database
from config import Settings


@dataclass
class Services:
    settings: Settings
    db: Database
    redis: Redis

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        redis = Redis.from_url(settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=2)
        db = Database(settings.DATABASE_URL, session_info=after_commit_hooks(redis) | {"reminder_offsets": settings.reminder_offsets})
        return cls(settings=settings, db=db, redis=redis)

    def close(self) -> None:
        self.db.dispose()
        self.redis.close()


def after_commit_hooks(redis: Redis) -> dict:
    """How a session pays the Redis work it owes once it commits (`bot.domain.committed`): at once,
    on this Redis. (The webhook's sessions gather it into the pipeline it sends after the handler.)"""
    return {
        "enqueue_notices": partial(queue.enqueue_notices, redis),
        "schedule_jobs": partial(queue.schedule_jobs, redis),
        "bump_version": lambda names: versions.bump(redis, *names),
    }


# The services of the worker running the current job (set by `running_jobs`).
_job_services: ContextVar[Services | None] = ContextVar("job_services", default=None)
_standalone: Services | None = None
_standalone_lock = threading.Lock()


@contextmanager
def running_jobs(services: Services) -> Iterator[None]:
    """Jobs run inside this block use `services` (the worker wraps each job in it)."""
    token = _job_services.set(services)
    try:
        yield
    finally:
        _job_services.reset(token)


def for_jobs() -> Services:
    """The services a job runs with: its worker's; outside a worker (a job function called
    by hand, RQ's own `rq worker`), services built once from the settings."""
    services = _job_services.get()
    if services is not None:
        return services
    global _standalone
    with _standalone_lock:
        if _standalone is None:
            _standalone = Services.from_settings(Settings.load())
        return _standalone
