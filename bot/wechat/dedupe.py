"""Exactly one effect per WeChat message, however many copies arrive and whenever.

WeChat retries a message it got no answer to within 5 s, up to three times, with the
same `MsgId` (events: same sender, `CreateTime`, `Event`, `EventKey`). The first copy
claims the key in Redis and handles the message; copies that arrive meanwhile wait for
its reply and return the very same bytes; copies that arrive later get the stored
reply. The claim is a lease that this process renews while the handler runs: a slow
handler keeps it however long it takes, while the claim of a process that died (or a
handler that raised) is gone in time for WeChat's next retry to handle the message.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections.abc import Callable

from redis import Redis

from bot.storage.keys import key

log = logging.getLogger(__name__)

# A claim's value: this prefix, then the claiming copy's own token.
PENDING = b"\x00pending:"
# The lease on a claim, renewed every third of it while its handler runs. Shorter than
# WeChat's 5 s between retries, so the retry after a crash finds the claim expired.
CLAIM_SECONDS = 3.0
# Replies are kept long enough to answer every retry WeChat makes (about 15 s).
KEEP_SECONDS = 600
# A copy waits at most this long for the first copy's reply: inside WeChat's 5 s.
WAIT_SECONDS = 4.0
POLL_SECONDS = 0.01

# Compare-and-set on the claim's token, so a copy never renews or drops a claim it lost.
_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
_DROP = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


def message_key(msg) -> str:  # type: ignore[no-untyped-def]
    """The identity WeChat keeps across retries of one message or event."""
    if getattr(msg, "id", 0):
        return f"msg:{msg.id}"
    event_key = getattr(msg, "key", "") or getattr(msg, "scene_id", "") or ""
    return f"evt:{msg.source}:{msg.time}:{getattr(msg, 'event', '')}:{event_key}"


class _Leases:
    """Renews the claims this process holds, from one daemon thread started on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[tuple[int, str], tuple[Redis, str, bytes]] = {}
        self._thread: threading.Thread | None = None
        self._pid = 0

    def hold(self, redis: Redis, k: str, token: bytes) -> None:
        with self._lock:
            self._held[(id(redis), k)] = (redis, k, token)
            # A forked worker inherits the object but not the thread: start its own.
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._renew_forever, name="dedupe-leases", daemon=True)
                self._thread.start()

    def release(self, redis: Redis, k: str) -> None:
        with self._lock:
            self._held.pop((id(redis), k), None)

    def _renew_forever(self) -> None:
        while True:
            time.sleep(CLAIM_SECONDS / 3)
            with self._lock:
                held = list(self._held.values())
            for redis, k, token in held:
                try:
                    redis.eval(_RENEW, 1, k, token, int(CLAIM_SECONDS * 1000))
                except Exception:  # Redis away for a moment: the next round tries again
                    log.warning("could not renew the claim on %s", k, exc_info=True)


_leases = _Leases()


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
            token = PENDING + secrets.token_hex(8).encode()
            if self.redis.set(k, token, nx=True, px=int(CLAIM_SECONDS * 1000)):
                return self._run(k, token, handle)
            stored = self.redis.get(k)
            if stored is not None and not stored.startswith(PENDING):
                return stored
            if time.monotonic() >= deadline:
                return None
            time.sleep(POLL_SECONDS)

    def _run(self, k: str, token: bytes, handle: Callable[[], bytes]) -> bytes:
        _leases.hold(self.redis, k, token)
        try:
            reply = handle()
        except BaseException:
            # Free the message at once, so WeChat's retry handles it.
            _leases.release(self.redis, k)
            self.redis.eval(_DROP, 1, k, token)
            raise
        _leases.release(self.redis, k)
        self.redis.set(k, reply, ex=KEEP_SECONDS)
        return reply
