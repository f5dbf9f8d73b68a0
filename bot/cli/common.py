"""What the command modules share: the app's services, and times typed in Asia/Shanghai."""

from __future__ import annotations

import click
from flask import current_app

from bot.domain.timefmt import parse_local
from bot.runtime.services import Services


def services() -> Services:
    """The services of the app the command runs in."""
    return current_app.extensions["bot"]


class LocalTime(click.ParamType):
    """`2026-11-28 09:00` (seconds optional), read in Asia/Shanghai."""

    name = "YYYY-MM-DD HH:MM"

    def convert(self, value, param, ctx):  # type: ignore[no-untyped-def]
        if value is None or not isinstance(value, str):
            return value
        try:
            return parse_local(value)
        except ValueError:
            self.fail(f"{value!r} is not a time like 2026-11-28 09:00 (Asia/Shanghai)", param, ctx)
