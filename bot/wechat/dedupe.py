"""Exactly one effect per WeChat message, however many copies arrive and whenever — in two Redis round trips.

WeChat retries a message it got no answer to within 5 s, up to three times, with the
same `MsgId` (events: same sender, `CreateTime`, `Event`, `EventKey`). The first copy
claims the key and handles the message; copies that arrive meanwhile wait for its
reply and return the very same bytes; copies that arrive later get the stored reply.

Per message: one script before the handler (`_BEFORE`) claims the message and, for the
copy that won, reads what the handler will need (the caller lists the keys: dialog
state, cursor, the contact gate, a version); one pipeline after it stores the reply
(`_RELEASE`) together with whatever state the handler changed. A copy that finds the
message claimed registers as waiting (same script) and blocks on a list (`BLPOP`)
that the first copy's finish pushes the reply to, once per waiting copy: two calls,
not a poll (a few more if the wait outlasts a lease: the waiting copy then looks whether
the claim was renewed, and takes the message over if its process died).

The claim is a lease that this process renews while the handler runs: a slow handler
keeps it however long it takes, while the claim of a process that died (or a handler
that raised) is gone in time for WeChat's next retry to handle it. A handler that
raises wakes the waiting copies to try the claim themselves.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from redis import Redis
from redis.client import Pipeline

from bot.storage import versions
from bot.storage.keys import key

log = logging.getLogger(__name__)

# A claim's value: this prefix, then the claiming copy's own token.
PENDING = b"\x00pending:"
# What the waiting copies are given when the first copy's handler raised: try yourselves.
RETRY = b"\x00retry"
# The lease on a claim, renewed every third of it while its handler runs. Shorter than
# WeChat's 5 s between retries, so the retry after a crash finds the claim expired.
CLAIM_SECONDS = 3.0
# Replies are kept long enough to answer every retry WeChat makes (about 15 s).
KEEP_SECONDS = 600
# A copy waits at most this long for the first copy's reply: inside WeChat's 5 s.
WAIT_SECONDS = 4.0
# A waiting copy looks at the claim again this long after its lease was due to run out.
LEASE_SLACK = 0.05
# Waiting copies' count and their wake-up list outlive any wait.
WAITING_TTL_MS = 60_000

# KEYS: claim, waiting count, gate, version, then keys to read. ARGV: token, lease ms,
# gate ms ("0": no gate), a fresh version (if none is set), the pending prefix, the
# waiting count's ttl. Returns {'mine', gate passed, version, values…}, {'wait', the
# claim's lease left in ms} or {'done', the stored reply}.
_BEFORE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  local gate = 0
  if ARGV[3] ~= '0' and redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[3]) then gate = 1 end
  local version = redis.call('GET', KEYS[4])
  if not version then version = ARGV[4]; redis.call('SET', KEYS[4], version) end
  local out = {'mine', gate, version}
  for i = 5, #KEYS do out[#out + 1] = redis.call('GET', KEYS[i]) end
  return out
end
local held = redis.call('GET', KEYS[1])
if held and string.sub(held, 1, string.len(ARGV[5])) == ARGV[5] then
  redis.call('INCR', KEYS[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[6])
  return {'wait', redis.call('PTTL', KEYS[1])}
end
return {'done', held}
"""
# Ends a claim and wakes the copies waiting on it. KEYS: claim, waiting count, wake-up
# list. ARGV: what the waiting copies get, wake-up ttl ms, then either `keep` with the
# reply's seconds (the claim now holds the reply) or `drop` with the claim's token (the
# claim goes if still ours, so a retry can try again).
_RELEASE = """
if ARGV[3] == 'keep' then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[4])
elseif redis.call('GET', KEYS[1]) == ARGV[4] then
  redis.call('DEL', KEYS[1])
end
local waiting = tonumber(redis.call('GET', KEYS[2]) or '0')
if waiting > 0 then
  for i = 1, waiting do redis.call('RPUSH', KEYS[3], ARGV[1]) end
  redis.call('PEXPIRE', KEYS[3], ARGV[2])
  redis.call('DEL', KEYS[2])
end
return waiting
"""
# Compare-and-set on the claim's token, so a copy never renews a claim it lost.
_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"


def message_key(msg) -> str:  # type: ignore[no-untyped-def]
    """The identity WeChat keeps across retries of one message or event."""
    if getattr(msg, "id", 0):
        return f"msg:{msg.id}"
    event_key = getattr(msg, "key", "") or getattr(msg, "scene_id", "") or ""
    return f"evt:{msg.source}:{msg.time}:{getattr(msg, 'event', '')}:{event_key}"


@dataclass(frozen=True)
class Fetched:
    """What the claiming copy's first round trip read: whether it passed the gate, the version, the keys asked for."""

    gate: bool
    version: str
    values: tuple


# A handler given what was fetched returns the reply and what to add to the pipeline that stores it.
Handle = Callable[[Fetched], tuple[bytes, Callable[[Pipeline], None]]]


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

    def once(
        self,
        message_id: str,
        handle: Handle,
        *,
        reads: tuple[str, ...] = (),
        gate: str | None = None,
        gate_ms: int = 0,
        version: str = "",
    ) -> bytes | None:
        """Run `handle` for the first copy; return its (or the first copy's) reply.

        `reads`, `gate` (set if free, for `gate_ms`) and `version` (set to a fresh value
        if missing) are read by the claim's round trip and handed to `handle`. Returns
        None when the first copy is still busy after WAIT_SECONDS: the caller answers
        `success` and WeChat's next retry gets the stored reply.
        """
        k, waiting, woken = key("dedupe", message_id), key("dedupe-waiting", message_id), key("dedupe-done", message_id)
        version_key = version or key("dedupe-no-version")
        gate_key = gate or key("dedupe-no-gate")
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            token = PENDING + secrets.token_hex(8).encode()
            args = (token, int(CLAIM_SECONDS * 1000), gate_ms if gate else 0, versions.fresh(), PENDING, WAITING_TTL_MS)
            outcome = self.redis.eval(_BEFORE, 4 + len(reads), k, waiting, gate_key, version_key, *reads, *args)
            if outcome[0] == b"mine":
                fetched = Fetched(gate=bool(outcome[1]), version=outcome[2].decode(), values=tuple(outcome[3:]))
                return self._run(k, waiting, woken, token, handle, fetched)
            if outcome[0] == b"done":
                return outcome[1]
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            # Wake up when the reply comes, or when the claim's lease runs out (its process
            # may have died: then this copy takes the message over). A live claim is renewed.
            lease_left = max(int(outcome[1]), 0) / 1000 + LEASE_SLACK
            popped = self.redis.blpop([woken], timeout=min(left, lease_left))
            if popped is None:
                if time.monotonic() >= deadline:
                    return None
                continue
            if popped[1] != RETRY:
                return popped[1]
            # The first copy's handler raised and freed the message: claim it ourselves.

    def _run(self, k: str, waiting: str, woken: str, token: bytes, handle: Handle, fetched: Fetched) -> bytes:
        _leases.hold(self.redis, k, token)
        try:
            reply, write = handle(fetched)
        except BaseException:
            # Free the message at once, so a waiting copy or WeChat's retry handles it.
            _leases.release(self.redis, k)
            self.redis.eval(_RELEASE, 3, k, waiting, woken, RETRY, WAITING_TTL_MS, "drop", token)
            raise
        _leases.release(self.redis, k)
        # One round trip: what the handler changed first, then the reply (which wakes the waiting copies).
        pipe = self.redis.pipeline(transaction=False)
        write(pipe)
        pipe.eval(_RELEASE, 3, k, waiting, woken, reply, WAITING_TTL_MS, "keep", KEEP_SECONDS)
        pipe.execute()
        return reply
