"""Exactly one effect per WeChat message, however many copies arrive and whenever.

WeChat retries a message it got no answer to within 5 s, up to three times, with the
same `MsgId` (events: same sender, `CreateTime`, `Event`, `EventKey`). The first copy
claims the key in Redis and handles the message; copies that arrive meanwhile wait for
its reply and return the very same bytes; copies that arrive later get the stored
reply. If the first copy dies, its claim is released so a retry can handle the message.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from redis import Redis

from bot.keys import key

PENDING = b"\x00pending"
# How long a claimed message may stay unanswered before a retry may take it over
# (the handler crashed without releasing it): beyond WeChat's three retries.
CLAIM_SECONDS = 30
# Replies are kept long enough to answer every retry WeChat makes (about 15 s).
KEEP_SECONDS = 600
# A copy waits at most this long for the first copy's reply: inside WeChat's 5 s.
WAIT_SECONDS = 4.0


def message_key(msg) -> str:  # type: ignore[no-untyped-def]
    """The identity WeChat keeps across retries of one message or event."""
    if getattr(msg, "id", 0):
        return f"msg:{msg.id}"
    event_key = getattr(msg, "key", "") or getattr(msg, "scene_id", "") or ""
    return f"evt:{msg.source}:{msg.time}:{getattr(msg, 'event', '')}:{event_key}"


class Dedupe:
    def __init__(self, redis: Redis):
        self.redis = redis

    def once(self, message_id: str, handle: Callable[[], bytes]) -> bytes | None:
        """Run `handle` for the first copy; return its (or the first copy's) reply.

        Returns None when the first copy is still busy after WAIT_SECONDS; the caller
        answers `success` and WeChat's next retry gets the stored reply.
        """
        k = key("dedupe", message_id)
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            if self.redis.set(k, PENDING, nx=True, ex=CLAIM_SECONDS):
                try:
                    reply = handle()
                except BaseException:
                    self.redis.delete(k)
                    raise
                self.redis.set(k, reply, ex=KEEP_SECONDS)
                return reply
            stored = self.redis.get(k)
            if stored is not None and stored != PENDING:
                return stored
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.01)
