"""Exports too slow to build while a browser waits: the hours 台账 as XLSX.

`build_hours_xlsx` is safe to run twice: a build already done is left alone, and one
left half-way (its worker killed) is written again from the start.
"""

from __future__ import annotations

from bot.domain import export_builds
from bot.runtime.services import for_jobs


def build_hours_xlsx(build_id: str) -> int:
    """Write the hours 台账 workbook an organizer asked for, ready for them to download; returns its rows."""
    services = for_jobs()
    return export_builds.build(services.redis, services.db, build_id, services.settings.ORG_NAME)
