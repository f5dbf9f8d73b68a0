"""Dialog state per person, kept in Redis as JSON with a timeout (PTB's ConversationHandler).

A dialog (`注册`, `发布`) is a name, a named state and the answers so far. It expires
after `CONVERSATION_TIMEOUT` of silence; `退出` clears it at any point.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from redis import Redis

from bot.storage.keys import key


@dataclass
class Conversation:
    name: str
    state: str
    data: dict = field(default_factory=dict)


class ConversationStore:
    """Dialog state of one person."""

    def __init__(self, redis: Redis, openid: str, timeout: int):
        self.redis = redis
        self.key = key("conv", openid)
        self.timeout = timeout

    def get(self) -> Conversation | None:
        raw = self.redis.get(self.key)
        if raw is None:
            return None
        try:
            value = json.loads(raw)
            return Conversation(value["name"], value["state"], value.get("data") or {})
        except (ValueError, KeyError, TypeError):
            self.clear()
            return None

    def set(self, name: str, state: str, data: dict | None = None) -> Conversation:
        conversation = Conversation(name, state, data or {})
        payload = json.dumps({"name": name, "state": state, "data": conversation.data}, ensure_ascii=False)
        self.redis.set(self.key, payload, ex=self.timeout)
        return conversation

    def clear(self) -> bool:
        """Forget the dialog; True if there was one."""
        return bool(self.redis.delete(self.key))
