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

RQ's scheduler runs in a child process. RQ forks it, so it would inherit the worker's
database sockets and outlive a worker killed with SIGKILL (an OOM kill), keeping the
dead worker's transaction open and the scheduler lock held. Here it is spawned afresh
(no inherited sockets) and ends as soon as its worker is gone, releasing the lock.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time

from redis.exceptions import RedisError
from rq import SimpleWorker
from rq import scheduler as rq_scheduler
from rq.logutils import setup_loghandlers
from rq.scheduler import RQScheduler
from rq.serializers import JSONSerializer

from bot.runtime import queue
from bot.runtime.services import Services, running_jobs

log = logging.getLogger(__name__)

# How often an idle worker wakes up for maintenance (and to check the sweep chain).
WORKER_TTL = 60


# How often the scheduler child looks whether its worker is still there (where the
# kernel cannot tell it at once).
PARENT_CHECK_SECONDS = 1.0
_PR_SET_PDEATHSIG = 1


def _end_with_parent(parent_pid: int) -> None:
    """Have this process stopped (SIGTERM, which RQ's scheduler handles) when `parent_pid` dies."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):
            log.warning("prctl(PR_SET_PDEATHSIG) unavailable; watching the parent instead")

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_CHECK_SECONDS)
        os.kill(os.getpid(), signal.SIGTERM)

    # Also covers the parent dying before prctl took effect.
    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def run_scheduler(scheduler: RQScheduler, parent_pid: int, logging_level: str) -> None:
    """The scheduler child's entry point: RQ's loop, ended with the worker that started it."""
    # Stop cleanly (locks released) even when told to before RQ's loop installs its own handler.
    signal.signal(signal.SIGTERM, scheduler.request_stop)
    setup_loghandlers(level=logging_level, name=rq_scheduler.__name__)
    _end_with_parent(parent_pid)
    rq_scheduler.run(scheduler)


class Scheduler(RQScheduler):
    """RQ's scheduler, spawned instead of forked, and bound to its worker's life."""

    logging_level = "INFO"

    def start(self) -> multiprocessing.process.BaseProcess:
        self._status = self.Status.STARTED
        self._connection = None  # a connection is not carried over; the child opens its own
        context = multiprocessing.get_context("spawn")
        self._process = context.Process(target=run_scheduler, args=(self, os.getpid(), self.logging_level), name="Scheduler")
        self._process.start()
        return self._process


class Worker(SimpleWorker):
    """RQ's in-process worker: runs each job with its own services, and keeps the periodic sweep scheduled."""

    sweep_interval = 30
    services: Services | None = None

    def perform_job(self, job, queue):  # type: ignore[no-untyped-def]
        if self.services is None:
            return super().perform_job(job, queue)
        with running_jobs(self.services):
            return super().perform_job(job, queue)

    def _start_scheduler(self, burst=False, logging_level="INFO", date_format=None, log_format=None) -> None:  # type: ignore[no-untyped-def]
        # RQ's own, but with the Scheduler above.
        self.scheduler = Scheduler(self.queues, connection=self.connection, logging_level=logging_level, serializer=self.serializer)
        self.scheduler.logging_level = logging_level or "INFO"
        self.scheduler.acquire_locks()
        if self.scheduler.acquired_locks:
            if burst:
                self.scheduler.enqueue_scheduled_jobs()
                self.scheduler.release_locks()
            else:
                self.scheduler.start()

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()
        try:
            queue.schedule_sweep(self.connection, self.sweep_interval)
        except RedisError:
            log.warning("could not schedule the next sweep", exc_info=True)


def build(services: Services, name: str | None = None) -> Worker:
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
    worker.services = services
    return worker


def run(services: Services, *, burst: bool = False, name: str | None = None, log_level: str = "INFO") -> bool:
    """Sweep first (a restarted or flushed Redis may have lost queued work), then work.

    The start-up sweep is the periodic sweep's job, queued ahead of everything (the sweeps
    queue comes first), so it runs like any job, with the worker's services. With `burst`
    the worker stops when the queues are empty. Returns whether any job ran.
    """
    worker = build(services, name)
    queue.enqueue(worker.connection, queue.SWEEP, job_id=f"sweep-start-{worker.name}", queue_name=queue.SWEEPS)
    queue.schedule_sweep(worker.connection, worker.sweep_interval)
    return worker.work(burst=burst, with_scheduler=True, logging_level=log_level)
