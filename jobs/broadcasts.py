"""The broadcast fan-out: one job per confirmed broadcast, creating its notices in batches.

Each batch is its own transaction; when it commits, its notices go to the delivery
pipeline (`send_notice` jobs, throttled by the sender). A watchdog job checks on the
fan-out every NOTICE_CLAIM_TIMEOUT until it is done: killed half-way, the fan-out is
taken over and continues after the last recipient done, and the notice keys
(`broadcast:<id>:<resident>`) make a repeated batch create nothing.
"""

from __future__ import annotations

import logging

from bot.domain import broadcasts
from bot.runtime import queue
from bot.runtime.services import for_jobs

log = logging.getLogger(__name__)


def fan_out_broadcast(broadcast_id: int) -> int:
    """Create every recipient's notice of a confirmed broadcast and queue their sends; returns how many."""
    services = for_jobs()
    stall = services.settings.notice_claim_timeout
    broadcasts.beat(services.redis, broadcast_id, stall)
    with services.db.transaction() as session:
        # Taking over after a crash: the last batch may never have reached the queue.
        leftover = broadcasts.pending_notice_ids(session, broadcast_id)
    if leftover:
        queue.enqueue_notices(services.redis, leftover)
    created = 0
    while True:
        with services.db.transaction() as session:
            batch = broadcasts.fan_out_batch(session, broadcast_id, services.settings.ORG_NAME, services.settings.broadcast_batch_size)
        created += len(batch.notice_ids)
        if batch.done:
            break
        broadcasts.beat(services.redis, broadcast_id, stall)
    services.redis.delete(broadcasts.heartbeat_key(broadcast_id))
    log.info("broadcast %s: fan-out finished (%s notices created by this run)", broadcast_id, created)
    return created


def watch_broadcast(broadcast_id: int) -> str:
    """Check a fan-out is alive until it finishes; take it over if its worker died."""
    services = for_jobs()
    stall = services.settings.notice_claim_timeout
    with services.db.transaction() as session:
        unfinished = broadcast_id in broadcasts.sending(session)
    if not unfinished:
        return "done"
    taken_over = broadcasts.take_over_if_stalled(services.redis, broadcast_id, stall)
    broadcasts.schedule_watch(services.redis, broadcast_id, stall)
    return "taken over" if taken_over else "alive"
