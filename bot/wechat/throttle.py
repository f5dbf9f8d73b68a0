"""SEND_RATE_PER_SECOND across every worker on every machine: one schedule of send slots in Redis.

Each send reserves the next free slot, 1/rate seconds after the previous one, by an
atomic Lua script that reads Redis's own clock (so machines' clocks may differ), then
sleeps until its slot. Slots stay 1/rate apart, so over any stretch of time the sends
are at most rate × time, plus a small burst: a send may take a slot up to BURST
seconds in the past, so workers whose timing jitters around the limit still reach it
(over any second, at most rate × (1 + BURST) + 1 messages, 2.5% over).
"""

from __future__ import annotations

import time

from redis import Redis

from bot.storage.keys import key

BURST = 0.025

# KEYS[1]: the next free slot (µs since the epoch, Redis's clock). ARGV[1]: µs per send;
# ARGV[2]: how far in the past a free slot may still be taken (µs).
# Returns {slot, now}: the caller sends at `slot`, or at once if it has passed. Numbers
# pass as '%.0f' strings: Lua's tostring would round 16-digit µs counts to 14 digits.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
local earliest = now - tonumber(ARGV[2])
if slot < earliest then slot = earliest end
local step = tonumber(ARGV[1])
-- Kept until a second after the last reserved slot; then the schedule starts afresh.
redis.call('SET', KEYS[1], string.format('%.0f', slot + step), 'PX', math.ceil((slot + step - now) / 1000) + 1000)
return {string.format('%.0f', slot), string.format('%.0f', now)}
"""


class RateLimiter:
    """`wait()` blocks until this process may send one more message."""

    def __init__(self, redis: Redis, rate: float, name: str = "send"):
        self.redis = redis
        self.rate = rate
        self.key = key("rate", name)
        self._reserve = redis.register_script(_RESERVE)

    def reserve(self) -> tuple[int, int]:
        """Take the next slot; returns (slot, now) in µs of Redis's clock."""
        slot, now = self._reserve(keys=[self.key], args=[int(1_000_000 / self.rate), int(BURST * 1_000_000)])
        return int(slot), int(now)

    def wait(self) -> float:
        """Sleep until this send's slot; returns the seconds slept (0 when unlimited)."""
        if self.rate <= 0:
            return 0.0
        slot, now = self.reserve()
        delay = (slot - now) / 1_000_000
        if delay > 0:
            time.sleep(delay)
        return delay
