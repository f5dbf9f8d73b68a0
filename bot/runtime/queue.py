"""RQ queues: the one place that builds queues and names jobs.

Handlers, the domain and jobs enqueue through these functions, by the job's dotted
name, so nothing here imports a job module and nobody else imports `redis` or `rq`
to enqueue. Jobs are JSON-serialised functions of ids with deterministic ids
(`notice-12`, `sweep-57736521`), so enqueueing the same work twice is cheap and a
job that runs twice does nothing the second time (the database says what was sent).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime

from redis import Redis
from redis.client import Pipeline
from rq import Queue, Retry
from rq.job import Job
from rq.serializers import JSONSerializer

from bot.storage.keys import key
from config import Settings

log = logging.getLogger(__name__)

# In priority order: a worker takes a sweep before the next of 10,000 sends.
SWEEPS = "sweeps"
DEFAULT = "default"
NOTICES = "notices"
QUEUE_NAMES = (SWEEPS, DEFAULT, NOTICES)

SEND_NOTICE = "jobs.delivery.send_notice"
SWEEP = "jobs.sweeps.sweep_due_notices"
REMIND_ACTIVITY = "jobs.sweeps.remind_activity"

# WeChat said "busy" (-1) or "too many calls" (45009): back off, then try again. The
# notice row keeps its own back-off too, so the sweep agrees with RQ about when.
SEND_RETRY_INTERVALS = (10, 30, 60, 300)
# A job still waiting, running or scheduled for a retry: enqueueing it again is redundant.
LIVE_STATUSES = {b"queued", b"started", b"scheduled", b"deferred"}
# A job RQ will not run again by itself (a killed worker's job is marked failed by RQ's cleanup).
ENDED_BADLY = {b"failed", b"stopped", b"canceled"}
ENQUEUE_CHUNK = 1000


def worker_connection(settings: Settings) -> Redis:
    """A Redis connection of its own for an RQ worker (RQ adjusts its socket timeout)."""
    return Redis.from_url(settings.REDIS_URL, socket_connect_timeout=5)


def get(redis: Redis, name: str = DEFAULT) -> Queue:
    """The named queue, JSON-serialised."""
    return Queue(name, connection=redis, serializer=JSONSerializer)


def send_job_id(notice_id: int) -> str:
    return f"notice-{notice_id}"


def _live(redis: Redis, job_ids: list[str]) -> set[str]:
    """Which of these jobs are waiting, running or scheduled (one round trip)."""
    with redis.pipeline(transaction=False) as pipe:
        for job_id in job_ids:
            pipe.hget(Job.key_for(job_id), "status")
        statuses = pipe.execute()
    return {job_id for job_id, status in zip(job_ids, statuses, strict=True) if status in LIVE_STATUSES}


def _send_job(notice_id: int):  # type: ignore[no-untyped-def]
    return Queue.prepare_data(
        SEND_NOTICE,
        args=(notice_id,),
        job_id=send_job_id(notice_id),
        retry=Retry(max=len(SEND_RETRY_INTERVALS), interval=list(SEND_RETRY_INTERVALS)),
        result_ttl=0,  # the notice row is the record; keep Redis small
        failure_ttl=7 * 86400,
        description=f"send notice {notice_id}",
    )


def enqueue_notices(redis: Redis, notice_ids: Iterable[int], *, force: Iterable[int] = ()) -> int:
    """Enqueue `send_notice` for each id that has no live job; `force` ids are enqueued anyway.

    `force` is for notices whose claim went stale: their job may still look "started"
    in RQ because the worker running it was killed. Returns how many were enqueued.
    """
    forced = list(dict.fromkeys(force))
    ids = [i for i in dict.fromkeys(notice_ids) if i not in set(forced)]
    queue = get(redis, NOTICES)
    enqueued = 0
    for start in range(0, len(ids), ENQUEUE_CHUNK):
        chunk = ids[start : start + ENQUEUE_CHUNK]
        live = _live(redis, [send_job_id(i) for i in chunk])
        wanted = [i for i in chunk if send_job_id(i) not in live]
        if wanted:
            queue.enqueue_many([_send_job(i) for i in wanted])
            enqueued += len(wanted)
    for start in range(0, len(forced), ENQUEUE_CHUNK):
        chunk = forced[start : start + ENQUEUE_CHUNK]
        queue.enqueue_many([_send_job(i) for i in chunk])
        enqueued += len(chunk)
    return enqueued


def enqueue_new_notices(redis: Redis, notice_ids: Iterable[int], pipeline: Pipeline) -> None:
    """Add the enqueueing of notices just written to `pipeline` (no job can exist for them yet:
    nothing to look up first, so it costs no round trip of its own)."""
    ids = list(notice_ids)
    if ids:
        get(redis, NOTICES).enqueue_many([_send_job(i) for i in ids], pipeline=pipeline)


def enqueue_at(
    redis: Redis, when: datetime, func: str, *args: object, job_id: str, queue_name: str = DEFAULT, pipeline: Pipeline | None = None
) -> Job:
    """Run `func(*args)` at `when` (naive UTC, as the database stores times), on RQ's scheduler."""
    aware = when.replace(tzinfo=UTC) if when.tzinfo is None else when
    return get(redis, queue_name).enqueue_at(
        aware, func, *args, job_id=job_id, result_ttl=3600, failure_ttl=7 * 86400, pipeline=pipeline
    )


def schedule_jobs(redis: Redis, jobs: Iterable[tuple], pipeline: Pipeline | None = None) -> int:
    """Schedule each (when, dotted function, args, job id); a job id already scheduled is moved
    to the new time. Into `pipeline` when given, else in one round trip of its own."""
    pipe = pipeline if pipeline is not None else redis.pipeline()
    count = 0
    for when, func, args, job_id in jobs:
        enqueue_at(redis, when, func, *args, job_id=job_id, pipeline=pipe)
        count += 1
    if pipeline is None and count:
        pipe.execute()
    return count


def failed(redis: Redis, job_id: str) -> bool:
    """Whether RQ gave this job up: it raised, was stopped, or its worker died while running it."""
    return redis.hget(Job.key_for(job_id), "status") in ENDED_BADLY


def enqueue(redis: Redis, func: str, *args: object, job_id: str, queue_name: str = DEFAULT, timeout: int | None = None) -> Job:
    """Run `func(*args)` as soon as a worker is free; `timeout` (seconds) replaces RQ's 180 s for long jobs."""
    return get(redis, queue_name).enqueue(func, *args, job_id=job_id, result_ttl=3600, failure_ttl=7 * 86400, job_timeout=timeout)


def schedule_sweep(redis: Redis, interval: int, now: float | None = None) -> bool:
    """Make sure the next periodic sweep is scheduled; True when this call scheduled it.

    Sweeps run on interval boundaries (`sweep-<slot>`). Every worker calls this, as
    does each sweep for its successor; the NX key lets exactly one of them schedule a
    slot, and it vanishes with a Redis flush, so the first worker to look afterwards
    puts the chain back.
    """
    now = now if now is not None else datetime.now(UTC).timestamp()
    slot = int(now // interval) + 1
    if not redis.set(key("sweep", "slot", slot), 1, nx=True, ex=interval * 4):
        return False
    get(redis, SWEEPS).enqueue_at(
        datetime.fromtimestamp(slot * interval, UTC), SWEEP, job_id=f"sweep-{slot}", result_ttl=600, failure_ttl=86400
    )
    return True
