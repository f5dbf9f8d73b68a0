"""Dialog state per person, kept in Redis as JSON with a timeout (PTB's ConversationHandler).

A dialog (`注册`, `发布`) is a name, a named state and the answers so far. It expires
after `CONVERSATION_TIMEOUT` of silence; `退出` clears it at any point.

The webhook reads it in its first Redis round trip and writes it in its last: a
handler sees it through `ConversationStore`, whose `set` and `clear` are gathered
(`Later`) and sent with the reply, never on their own.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from redis.client import Pipeline

from bot.storage.keys import key


@dataclass
class Conversation:
    name: str
    state: str
    data: dict = field(default_factory=dict)


def conversation_key(openid: str) -> str:
    return key("conv", openid)


def decode(raw: bytes | str | None) -> Conversation | None:
    """The stored JSON as a Conversation; None when there is none or it is unreadable."""
    if raw is None:
        return None
    try:
        value = json.loads(raw)
        return Conversation(value["name"], value["state"], value.get("data") or {})
    except (ValueError, KeyError, TypeError):
        return None


def encode(conversation: Conversation) -> str:
    return json.dumps({"name": conversation.name, "state": conversation.state, "data": conversation.data}, ensure_ascii=False)


class Later:
    """Redis writes gathered while a message is handled, sent in the webhook's one pipeline after it."""

    def __init__(self) -> None:
        self._writes: list[Callable[[Pipeline], None]] = []

    def add(self, write: Callable[[Pipeline], None]) -> None:
        self._writes.append(write)

    def set(self, name: str, value: str | int, ex: int) -> None:
        self.add(lambda pipe: pipe.set(name, value, ex=ex))

    def delete(self, name: str) -> None:
        self.add(lambda pipe: pipe.delete(name))

    def into(self, pipe: Pipeline) -> None:
        """Add every gathered write to `pipe`, in the order they were made."""
        for write in self._writes:
            write(pipe)

    def __len__(self) -> int:
        return len(self._writes)


class ConversationStore:
    """One person's dialog state while their message is handled."""

    def __init__(self, openid: str, timeout: int, raw: bytes | str | None, later: Later):
        self.key = conversation_key(openid)
        self.timeout = timeout
        self.later = later
        self._current = decode(raw)
        if raw is not None and self._current is None:
            later.delete(self.key)  # unreadable: forget it

    def get(self) -> Conversation | None:
        return self._current

    def set(self, name: str, state: str, data: dict | None = None) -> Conversation:
        self._current = Conversation(name, state, data or {})
        self.later.set(self.key, encode(self._current), ex=self.timeout)
        return self._current

    def clear(self) -> bool:
        """Forget the dialog; True if there was one."""
        had = self._current is not None
        self._current = None
        if had:
            self.later.delete(self.key)
        return had
