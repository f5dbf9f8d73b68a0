"""Commands for the background half: `worker`, `jobs status`, and `events change`."""

from __future__ import annotations

from datetime import datetime, timedelta

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from rq import Worker as RQWorker
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

from bot.domain import activity_changes
from bot.domain import notices as notice_rows
from bot.domain.errors import UserError
from bot.domain.timefmt import fmt, parse_local
from bot.runtime import queue
from bot.storage.models import utc_now


def _services():  # type: ignore[no-untyped-def]
    return current_app.extensions["bot"]


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty (one-off runs, tests).")
@click.option("--name", default=None, help="Worker name shown by `jobs status` (default: a random id).")
@click.option(
    "--log-level", default="INFO", show_default=True, type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]), help="RQ's log level."
)
@with_appcontext
def worker_command(burst: bool, name: str | None, log_level: str) -> None:
    """Run all background work: an RQ worker with its scheduler, and the periodic sweeps."""
    from bot.runtime import worker

    worker.run(_services(), burst=burst, name=name, log_level=log_level)


# ── jobs ────────────────────────────────────────────────────────────────────
jobs_cli = AppGroup("jobs", help="Background work: queues, workers and notices.")


@jobs_cli.command("status")
def jobs_status() -> None:
    """Show queues (waiting, scheduled, running, failed), workers, and notices due, claimed, failed or undeliverable."""
    services = _services()
    redis = services.redis
    click.echo("queues:")
    for name in queue.QUEUE_NAMES:
        q = queue.get(redis, name)
        click.echo(
            f"  {name:<8} waiting {len(q):>6}   scheduled {len(ScheduledJobRegistry(queue=q)):>5}"
            f"   running {len(StartedJobRegistry(queue=q)):>4}   failed {len(FailedJobRegistry(queue=q)):>5}"
        )
    workers = RQWorker.all(connection=redis)
    click.echo(f"workers: {len(workers)}")
    for w in sorted(workers, key=lambda w: w.name):
        job = w.get_current_job_id()
        click.echo(f"  {w.name}  {w.hostname or '-'}:{w.pid or '-'}  {w.get_state()}{'  ' + job if job else ''}")

    now = utc_now()
    stale_before = now - timedelta(seconds=services.settings.notice_claim_timeout)
    with services.db.session() as session:
        counts = notice_rows.counts(session, now, stale_before)
        reasons = notice_rows.reasons(session)
    click.echo("notices:")
    click.echo(f"  pending        {counts['pending']:>7}   (due now {counts['pending_due']})")
    click.echo(f"  claimed        {counts['claimed']:>7}   (stale, to be resent {counts['claimed_stale']})")
    for status in ("sent", "undeliverable", "dropped", "failed"):
        click.echo(f"  {status:<14} {counts[status]:>7}")
    if reasons:
        click.echo("not sent, by reason:")
        for status, reason, count in reasons:
            click.echo(f"  {count:>7}  {status:<13} {reason}")


# ── events change ───────────────────────────────────────────────────────────
def _local_time(ctx, param, value):  # type: ignore[no-untyped-def]
    if value is None:
        return None
    try:
        return parse_local(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a time like 2026-11-28 09:00 (Asia/Shanghai)") from None


@click.command("change")
@click.argument("activity_id", type=int)
@click.option("--start", callback=_local_time, help="New start, Asia/Shanghai YYYY-MM-DD HH:MM (the end moves with it)")
@click.option("--end", callback=_local_time, help="New end, Asia/Shanghai YYYY-MM-DD HH:MM")
@click.option("--place", default=None, help="New place")
@with_appcontext
def events_change(activity_id: int, start: datetime | None, end: datetime | None, place: str | None) -> None:
    """Change an activity's time or place; everyone signed up or waiting is told."""
    try:
        with _services().db.transaction() as session:
            result = activity_changes.change(session, activity_id, start_at=start, end_at=end, place=place)
            a = result.activity
            summary = f"{a.id}\t{fmt(a.start_at)}\t{a.place}"
    except UserError as exc:
        raise click.ClickException(exc.message) from exc
    if not result.changed:
        click.echo(f"nothing changed: {summary}")
        return
    click.echo(f"changed {', '.join(result.changed)}: {summary}; {result.notified} people will be told")


def register(app: Flask) -> None:
    """Add these commands to the app's CLI (`events change` joins the existing `events` group)."""
    app.cli.add_command(worker_command)
    app.cli.add_command(jobs_cli)
    events = app.cli.commands.get("events")
    if isinstance(events, click.Group):
        events.add_command(events_change)
