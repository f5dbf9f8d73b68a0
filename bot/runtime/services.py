"""The long-lived parts one process shares: settings, database, Redis.

Built once by the app factory (web) or by the worker; handlers reach them through
their `Context`, jobs through `current_services()`. Nothing connects at import time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from redis import Redis

from bot.storage.db import Database

if TYPE_CHECKING:
    from bot.chat.router import Router
from config import Settings


@dataclass
class Services:
    settings: Settings
    db: Database
    redis: Redis
    # The web app's router (None in workers, which answer no messages).
    router: Router | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        return cls(
            settings=settings,
            db=Database(settings.DATABASE_URL),
            redis=Redis.from_url(settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=2),
        )

    def close(self) -> None:
        self.db.dispose()
        self.redis.close()


_current: Services | None = None


def set_current(services: Services) -> None:
    """Make these the services that jobs in this process use."""
    global _current
    _current = services


def current_services() -> Services:
    """The services of this process; jobs build them from the settings on first use."""
    global _current
    if _current is None:
        _current = Services.from_settings(Settings.load())
    return _current
