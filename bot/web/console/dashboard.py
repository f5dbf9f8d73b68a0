"""The dashboard: what is coming and how full it is, what needs attention, and three charts.

The charts are fragments htmx loads after the page (each one aggregate query), each
drawn by Chart.js with a table of the very same numbers beneath it.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

from flask import abort, g, render_template

from bot.domain import activity_list, reports
from bot.domain.timefmt import fmt_hours, to_local
from bot.storage.models import utc_now
from bot.web.console.auth import services
from bot.web.console.blueprint import bp
from config import texts

PROGRESS_LABELS = {"none": "尚未参加", "under_half": "不足一半", "half": "过半未达标", "done": "已达标"}


@bp.get("/")
def dashboard() -> str:
    """Upcoming activities with fill and waitlists, open disputes, failing notices, hours this month."""
    now = utc_now()
    begin, end = reports.month_bounds(now)
    return render_template(
        "console/dashboard.html",
        upcoming=activity_list.upcoming(g.db, g.scope, now),
        disputes=reports.open_disputes(g.db, g.scope),
        failing=reports.failing_notices(g.db, g.scope, now - timedelta(days=7)),
        month_hours=fmt_hours(reports.hours_between(g.db, g.scope, begin, end)),
        month=to_local(now).month,
        kinds=texts.KIND_NAMES,
    )


def _chart(title: str, kind: str, labels: list[str], datasets: list[dict], *, stacked: bool = False, unit: str = "") -> str:
    spec = {"type": kind, "labels": labels, "datasets": datasets, "stacked": stacked}
    return render_template(
        "console/_chart.html", title=title, spec=json.dumps(spec, ensure_ascii=False), labels=labels, datasets=datasets, unit=unit
    )


def _number(value: Decimal | int) -> float | int:
    return float(value) if isinstance(value, Decimal) else value


@bp.get("/charts/<name>")
def chart(name: str) -> str:
    """One of the dashboard's charts, with its table."""
    now = utc_now()
    year = to_local(now).year
    if name == "hours-by-month":
        series = reports.hours_by_month(g.db, g.scope, now)
        datasets = [
            {"label": community or texts.WHOLE_SUBDISTRICT, "data": [_number(v) for v in values]}
            for community, values in series.series.items()
        ]
        return _chart("近 12 个月服务时长（小时，按社区）", "bar", series.labels, datasets, stacked=True, unit="小时")
    if name == "participants-by-kind":
        counts = reports.participants_by_kind(g.db, g.scope, year)
        labels = [texts.KIND_NAMES[k] for k in texts.KIND_NAMES if k in counts]
        data = [counts[k] for k in texts.KIND_NAMES if k in counts]
        return _chart(f"{year} 年参与人次（按活动类型）", "doughnut", labels, [{"label": "人次", "data": data}], unit="人次")
    if name == "party-progress":
        target = services().settings.party_target_hours
        counts = reports.party_progress(g.db, g.scope, year, target)
        labels = [PROGRESS_LABELS[k] for k in reports.PROGRESS_BUCKETS]
        data = [counts[k] for k in reports.PROGRESS_BUCKETS]
        title = f"{year} 年在职党员年度目标进度（目标 {fmt_hours(target)} 小时）"
        return _chart(title, "bar", labels, [{"label": "党员人数", "data": data}], unit="人")
    abort(404)
