"""Versions kept in Redis that tell each process when what it cached is stale.

A version is a random token, never a counter: after a Redis flush the first reader sets
a new one (`bot.wechat.dedupe`'s first round trip does), so a process never mistakes
an old cache for the current one because a counter restarted at the same number.
"""

from __future__ import annotations

import secrets

from bot.storage.keys import key


def version_key(name: str) -> str:
    """`cvb:version:<name>`."""
    return key("version", name)


def fresh() -> str:
    """A version no process has seen."""
    return secrets.token_hex(8)


def bump(redis, *names: str) -> None:  # type: ignore[no-untyped-def]
    """Give each named version a new value (`redis` may be a pipeline)."""
    for name in names:
        redis.set(version_key(name), fresh())
