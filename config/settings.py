"""Settings: the environment wins over `.env`, which wins over the development defaults.

Every setting the product reads is declared here, once, with its default and what it
means; the README lists the same table.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from decimal import Decimal
from pathlib import Path

from dotenv import dotenv_values

ROOT = Path(__file__).resolve().parent.parent


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class SettingsError(RuntimeError):
    """A setting is missing or malformed; the message names it."""


def parse_duration(text: str) -> int:
    """Turn `90s`, `15m`, `2h` or `1d` into seconds."""
    text = text.strip().lower()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if not text or text[-1] not in units:
        raise ValueError(f"duration {text!r} needs a unit: s, m, h or d")
    number = float(text[:-1])
    if number < 0:
        raise ValueError(f"duration {text!r} is negative")
    return int(number * units[text[-1]])


@dataclass(frozen=True)
class Settings:
    APP_ENV: str = "development"
    WECHAT_TOKEN: str = "devtoken"
    WECHAT_APP_ID: str = "wx0000000000000000"
    WECHAT_APP_SECRET: str = ""
    WECHAT_ENCODING_AES_KEY: str = ""
    WECHAT_ENCODING_AES_KEY_PREVIOUS: str = ""
    WECHAT_API_BASE_URL: str = "https://api.weixin.qq.com/cgi-bin/"
    WECHAT_TEMPLATE_REMINDER: str = ""
    WECHAT_TEMPLATE_NOTICE: str = ""
    DATABASE_URL: str = f"sqlite:///{ROOT / 'instance' / 'volunteer.db'}"
    REDIS_URL: str = "redis://127.0.0.1:6379/0"
    REMINDER_OFFSETS: str = "24h,2h"
    SEND_RATE_PER_SECOND: str = "20"
    PARTY_MEMBER_YEARLY_TARGET_HOURS: str = "12"
    STAR_LEVEL_HOURS: str = "100,300,600,1000,1500"
    ORG_NAME: str = "示例街道办事处"
    SECRET_KEY: str = "dev-secret-change-me"
    PUBLIC_BASE_URL: str = "http://127.0.0.1:8000"
    CONVERSATION_TIMEOUT: str = "10m"
    HTTP_TIMEOUT_SECONDS: str = "5"
    AUTO_CLOSE_AFTER: str = "2h"
    NOTICE_CLAIM_TIMEOUT: str = "2m"
    SWEEP_INTERVAL: str = "30s"
    BROADCAST_BATCH_SIZE: str = "500"
    LOG_LEVEL: str = "INFO"
    # How many reverse proxies stand in front of the app (0: none). The console then trusts
    # their X-Forwarded-For/-Proto/-Host, so it sees https and the visitor's address.
    TRUSTED_PROXIES: str = "0"
    extra: dict = field(default_factory=dict, compare=False, repr=False)

    # Settings that have no safe default in production.
    REQUIRED_IN_PRODUCTION = (
        "WECHAT_TOKEN",
        "WECHAT_APP_ID",
        "WECHAT_APP_SECRET",
        "DATABASE_URL",
        "REDIS_URL",
        "SECRET_KEY",
    )

    @classmethod
    def load(cls, overrides: dict | None = None, env_file: Path | None = None) -> Settings:
        """Read settings: overrides > environment > `.env` > defaults.

        In production a required setting that is missing raises SettingsError naming it.
        """
        names = {f.name for f in fields(cls) if f.name != "extra"}
        env_path = env_file if env_file is not None else ROOT / ".env"
        from_file = {k: v for k, v in dotenv_values(env_path).items() if v is not None} if env_path.exists() else {}
        values: dict[str, str] = {}
        for name in names:
            if overrides and name in overrides:
                values[name] = str(overrides[name])
            elif name in os.environ:
                values[name] = os.environ[name]
            elif name in from_file:
                values[name] = from_file[name]
        extra = {k: v for k, v in (overrides or {}).items() if k not in names}
        settings = cls(**values, extra=extra)
        settings.validate(explicit=set(values))
        return settings

    @property
    def production(self) -> bool:
        return self.APP_ENV == "production"

    def validate(self, explicit: set[str] | None = None) -> None:
        if self.APP_ENV not in ("development", "production"):
            raise SettingsError(f"APP_ENV must be development or production, not {self.APP_ENV!r}")
        if self.production:
            missing = [n for n in self.REQUIRED_IN_PRODUCTION if not explicit or n not in explicit or not getattr(self, n)]
            if missing:
                raise SettingsError("missing required setting(s) in production: " + ", ".join(missing))
        for key_name in ("WECHAT_ENCODING_AES_KEY", "WECHAT_ENCODING_AES_KEY_PREVIOUS"):
            value = getattr(self, key_name)
            if value and len(value) != 43:
                raise SettingsError(f"{key_name} must be the 43 characters WeChat shows, got {len(value)}")
        if self.LOG_LEVEL.upper() not in LOG_LEVELS:
            raise SettingsError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {self.LOG_LEVEL!r}")
        # Parse every derived setting once so a typo stops start-up, not a job at 3 a.m.
        derived = {
            "reminder_offsets": "REMINDER_OFFSETS",
            "star_levels": "STAR_LEVEL_HOURS",
            "send_rate": "SEND_RATE_PER_SECOND",
            "party_target_hours": "PARTY_MEMBER_YEARLY_TARGET_HOURS",
            "conversation_timeout": "CONVERSATION_TIMEOUT",
            "notice_claim_timeout": "NOTICE_CLAIM_TIMEOUT",
            "sweep_interval": "SWEEP_INTERVAL",
            "auto_close_after": "AUTO_CLOSE_AFTER",
            "broadcast_batch_size": "BROADCAST_BATCH_SIZE",
            "trusted_proxies": "TRUSTED_PROXIES",
        }
        for prop, name in derived.items():
            try:
                getattr(self, prop)
            except (ValueError, ArithmeticError) as exc:
                raise SettingsError(f"{name}={getattr(self, name)!r} is not valid: {exc}") from exc

    @property
    def reminder_offsets(self) -> list[int]:
        """Seconds before the start at which reminders go out, largest first."""
        parts = [p for p in self.REMINDER_OFFSETS.split(",") if p.strip()]
        return sorted({parse_duration(p) for p in parts}, reverse=True)

    @property
    def star_levels(self) -> list[Decimal]:
        try:
            levels = [Decimal(p.strip()) for p in self.STAR_LEVEL_HOURS.split(",") if p.strip()]
        except ArithmeticError as exc:
            raise ValueError(f"STAR_LEVEL_HOURS is not a list of numbers: {self.STAR_LEVEL_HOURS!r}") from exc
        if levels != sorted(levels):
            raise ValueError("STAR_LEVEL_HOURS must be ascending")
        return levels

    @property
    def send_rate(self) -> float:
        """Messages per second across all workers; 0 means unlimited."""
        value = float(self.SEND_RATE_PER_SECOND)
        if value < 0:
            raise ValueError("SEND_RATE_PER_SECOND must be 0 (unlimited) or positive")
        return value

    @property
    def party_target_hours(self) -> Decimal:
        return Decimal(self.PARTY_MEMBER_YEARLY_TARGET_HOURS)

    @property
    def conversation_timeout(self) -> int:
        return parse_duration(self.CONVERSATION_TIMEOUT)

    @property
    def notice_claim_timeout(self) -> int:
        """Seconds after which a notice claimed by a worker that never finished is sent again."""
        return max(1, parse_duration(self.NOTICE_CLAIM_TIMEOUT))

    @property
    def sweep_interval(self) -> int:
        """Seconds between the periodic sweeps that create due reminders and enqueue due notices."""
        return max(1, parse_duration(self.SWEEP_INTERVAL))

    @property
    def broadcast_batch_size(self) -> int:
        """Notices a broadcast fan-out creates per transaction."""
        value = int(self.BROADCAST_BATCH_SIZE)
        if value < 1:
            raise ValueError("BROADCAST_BATCH_SIZE must be a positive number")
        return value

    @property
    def trusted_proxies(self) -> int:
        """Reverse proxies in front of the app whose X-Forwarded-* headers are believed."""
        value = int(self.TRUSTED_PROXIES)
        if value < 0:
            raise ValueError("TRUSTED_PROXIES must be 0 or more")
        return value

    @property
    def auto_close_after(self) -> int:
        """Seconds after an activity's end before the periodic job closes it, if no organizer did."""
        return parse_duration(self.AUTO_CLOSE_AFTER)

    @property
    def aes_keys(self) -> list[str]:
        """The current key first, then the previous one during a key change."""
        return [k for k in (self.WECHAT_ENCODING_AES_KEY, self.WECHAT_ENCODING_AES_KEY_PREVIOUS) if k]

    @property
    def sandbox(self) -> bool:
        """Without an app secret nothing goes to WeChat; outbound messages are recorded."""
        return not self.WECHAT_APP_SECRET
