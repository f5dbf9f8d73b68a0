"""Jinja filters of the console's templates: times in Shanghai, hours and numbers as people read them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from bot.domain.timefmt import fmt, fmt_hours, fmt_time, to_local
from bot.web.console.blueprint import bp


@bp.app_template_filter("local")
def local(moment: datetime | None) -> str:
    """`11月28日(周六) 09:00`."""
    return fmt(moment) if moment else ""


@bp.app_template_filter("local_time")
def local_clock(moment: datetime | None) -> str:
    return fmt_time(moment) if moment else ""


@bp.app_template_filter("local_full")
def local_full(moment: datetime | None) -> str:
    """`2026-11-28 09:00`, where the year matters (ledgers, the audit log)."""
    return f"{to_local(moment):%Y-%m-%d %H:%M}" if moment else ""


@bp.app_template_filter("hours")
def hours(value: Decimal | float | int | None) -> str:
    return fmt_hours(Decimal(str(value))) if value is not None else ""


@bp.app_template_filter("number")
def number(value: Decimal | float | int | None) -> str:
    """`2`, `2.5`, `1234`: no trailing `.0`."""
    if value is None:
        return ""
    return fmt_hours(Decimal(str(value)))
