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

When a worker dies with its scheduler (the whole process group killed), nothing
releases that lock: it expires. RQ's own lock lasts 61 s and the other workers look
for it every 120 s (less often still while they block waiting for jobs), so scheduled
work (reminders, the sweeps) could stall for about three minutes. Here the lock lasts
SCHEDULER_LOCK_SECONDS, renewed every second by the scheduler that holds it, and every
worker without a live scheduler tries to take it every SCHEDULER_CHECK_SECONDS (it
waits for jobs that long at a time): scheduled work resumes within their sum.
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
from datetime import datetime

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
# RQ's scheduler lock, renewed every second by its holder: it outlives a killed holder by at most this.
SCHEDULER_LOCK_SECONDS = 15
# How often a worker without a running scheduler tries to take the lock (and the longest it blocks waiting for a job).
SCHEDULER_CHECK_SECONDS = 5


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
    """RQ's scheduler, spawned instead of forked, bound to its worker's life, on a short lock."""

    logging_level = "INFO"

    def acquire_locks(self, auto_start: bool = False) -> set[str]:
        """RQ's, with a lock of SCHEDULER_LOCK_SECONDS instead of 61 s."""
        taken = {
            name
            for name in self._queue_names
            if self.connection.set(self.get_locking_key(name), os.getpid(), nx=True, ex=SCHEDULER_LOCK_SECONDS)
        }
        for name in taken:
            self.log.info("Acquired scheduler lock for %s", name)
        self._scheduled_job_registries = []
        self._acquired_locks = self._acquired_locks.union(taken)
        self.lock_acquisition_time = datetime.now()
        if self._acquired_locks and auto_start and (not self._process or not self._process.is_alive()):
            self.start()
        return taken

    def heartbeat(self) -> None:
        """Renew the locks held (every `interval`, 1 s), to SCHEDULER_LOCK_SECONDS."""
        if self._acquired_locks:
            with self.connection.pipeline() as pipe:
                for name in self._acquired_locks:
                    pipe.expire(self.get_locking_key(name), SCHEDULER_LOCK_SECONDS)
                pipe.execute()

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
    _next_scheduler_check = 0.0
    _burst = False

    @property
    def dequeue_timeout(self) -> int:
        """Block at most SCHEDULER_CHECK_SECONDS waiting for a job, so an idle worker looks for
        a scheduler lock left by a dead worker that often (RQ's own: 45 s)."""
        return SCHEDULER_CHECK_SECONDS

    def heartbeat(self, timeout=None, pipeline=None):  # type: ignore[no-untyped-def]
        super().heartbeat(timeout, pipeline)
        if pipeline is None:
            self._take_over_scheduler()

    def _take_over_scheduler(self) -> None:
        """Start a scheduler here if none runs anywhere (its lock free), at most every SCHEDULER_CHECK_SECONDS."""
        scheduler = self.scheduler
        if scheduler is None or self._burst or time.monotonic() < self._next_scheduler_check:
            return
        self._next_scheduler_check = time.monotonic() + SCHEDULER_CHECK_SECONDS
        if scheduler._process is not None and scheduler._process.is_alive():
            return
        try:
            if scheduler.acquire_locks(auto_start=True):
                log.info("took over RQ's scheduler from a worker that is gone")
        except RedisError:
            log.warning("could not look for RQ's scheduler lock", exc_info=True)

    def perform_job(self, job, queue):  # type: ignore[no-untyped-def]
        if self.services is None:
            return super().perform_job(job, queue)
        with running_jobs(self.services):
            return super().perform_job(job, queue)

    def _start_scheduler(self, burst=False, logging_level="INFO", date_format=None, log_format=None) -> None:  # type: ignore[no-untyped-def]
        # RQ's own, but with the Scheduler above.
        self._burst = burst
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
