"""`flask --app wsgi worker`: an RQ worker with its scheduler, and the periodic sweeps.

Nothing here loops on its own: RQ's scheduler (`with_scheduler=True`; one worker
holds its lock at a time, another takes over when it dies) moves jobs scheduled with
`enqueue_at` onto the queues, and each sweep schedules the next one on the next
SWEEP_INTERVAL boundary. RQ's maintenance hook re-plants that chain after a Redis
flush. Run as many workers on as many machines as you like: jobs have deterministic
ids, sweeps skip while another runs, and each notice is claimed in the database
before it is sent.

The worker runs jobs in its own process (RQ's SimpleWorker): sending a notice takes
milliseconds, and forking for each one would cost more than the job.
"""

from __future__ import annotations

import logging

from redis.exceptions import RedisError
from rq import SimpleWorker
from rq.serializers import JSONSerializer

from bot import delivery, queue

log = logging.getLogger(__name__)

# How often an idle worker wakes up for maintenance (and to check the sweep chain).
WORKER_TTL = 60


class Worker(SimpleWorker):
    """RQ's in-process worker, which also keeps the periodic sweep scheduled."""

    sweep_interval = 30

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()
        try:
            queue.schedule_sweep(self.connection, self.sweep_interval)
        except RedisError:
            log.warning("could not schedule the next sweep", exc_info=True)


def build(services, name: str | None = None) -> Worker:  # type: ignore[no-untyped-def]
    """A worker on every queue, in priority order, with its own Redis connection."""
    settings = services.settings
    worker = Worker(
        list(queue.QUEUE_NAMES),
        connection=queue.worker_connection(settings),
        serializer=JSONSerializer,
        name=name,
        worker_ttl=WORKER_TTL,
        maintenance_interval=settings.sweep_interval,
    )
    worker.sweep_interval = settings.sweep_interval
    return worker


def run(services, *, burst: bool = False, name: str | None = None, log_level: str = "INFO") -> bool:  # type: ignore[no-untyped-def]
    """Sweep once (a restarted or flushed Redis may have lost queued work), then work.

    With `burst` the worker stops when the queues are empty. Returns whether any job ran.
    """
    worker = build(services, name)
    result = delivery.sweep(services)
    log.info("start-up sweep: %s", result)
    queue.schedule_sweep(worker.connection, worker.sweep_interval)
    return worker.work(burst=burst, with_scheduler=True, logging_level=log_level)
