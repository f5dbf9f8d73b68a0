"""`flask --app wsgi events create | change`: activities from the command line."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import AppGroup

from bot.cli.common import LocalTime, services
from bot.domain import activities, activity_changes, audit, communities
from bot.domain.errors import UserError
from bot.domain.timefmt import fmt
from bot.storage.models import ACTIVITY_KINDS, utc_now

events_cli = AppGroup("events", help="Activities.")


@events_cli.command("create")
@click.option("--title", required=True)
@click.option("--kind", required=True, type=click.Choice(ACTIVITY_KINDS))
@click.option("--start", "start", required=True, type=LocalTime(), help="Asia/Shanghai, YYYY-MM-DD HH:MM[:SS]")
@click.option("--end", "end", required=True, type=LocalTime(), help="Asia/Shanghai, YYYY-MM-DD HH:MM[:SS]")
@click.option("--place", required=True)
@click.option("--capacity", required=True, type=click.IntRange(min=1))
@click.option("--hours", required=True, help="Service hours credited, in steps of 0.5")
@click.option("--community", default=None, help="Community name; omit for the whole subdistrict")
@click.option("--deadline", default=None, type=LocalTime(), help="Sign-up deadline (default: the start; any time before the end)")
@click.option("--content", default="", help="Service content (服务内容)")
@click.option("--min-age", type=click.IntRange(0, 120), default=None, help="Youngest age allowed (in the activity's year)")
@click.option("--max-age", type=click.IntRange(0, 120), default=None, help="Oldest age allowed (in the activity's year)")
def events_create(title, kind, start, end, place, capacity, hours, community, deadline, content, min_age, max_age) -> None:  # type: ignore[no-untyped-def]
    """Publish an activity; prints its id alone on the last line."""
    try:
        with services().db.transaction() as session:
            scope = communities.required(session, community)
            draft = activities.ActivityDraft(
                kind=kind,
                title=title,
                start_at=start,
                end_at=end,
                place=place,
                capacity=capacity,
                hours=activities.parse_hours(hours),
                community_id=scope.id if scope else None,
                deadline_at=deadline,
                content=content,
                min_age=min_age,
                max_age=max_age,
            )
            activity = activities.create(session, draft)
            if activity.start_at <= utc_now():
                click.echo(f"warning: activity starts in the past ({fmt(activity.start_at)}); entered as a record (补录)", err=True)
            new_id = activity.id
    except UserError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(new_id)


@events_cli.command("change")
@click.argument("activity_id", type=int)
@click.option("--start", type=LocalTime(), help="New start, Asia/Shanghai YYYY-MM-DD HH:MM (the end moves with it)")
@click.option("--end", type=LocalTime(), help="New end, Asia/Shanghai YYYY-MM-DD HH:MM")
@click.option("--place", default=None, help="New place")
def events_change(activity_id: int, start: datetime | None, end: datetime | None, place: str | None) -> None:
    """Change an activity's time or place; everyone signed up or waiting is told."""
    try:
        with services().db.transaction() as session:
            before = audit.activity_snapshot(activities.get(session, activity_id))
            result = activity_changes.change(session, activity_id, start_at=start, end_at=end, place=place)
            a = result.activity
            if result.changed:
                old, new = audit.changed_fields(before, audit.activity_snapshot(a))
                audit.record(session, None, "cli", "change", activity=a, summary=", ".join(result.changed), before=old, after=new)
            summary = f"{a.id}\t{fmt(a.start_at)}\t{a.place}"
    except UserError as exc:
        raise click.ClickException(exc.message) from exc
    if not result.changed:
        click.echo(f"nothing changed: {summary}")
        return
    click.echo(f"changed {', '.join(result.changed)}: {summary}; {result.notified} people will be told")
