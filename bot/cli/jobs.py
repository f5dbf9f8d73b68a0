"""`flask --app wsgi jobs status`: queues, workers, and notices due, claimed, failed or undeliverable."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup
from rq import Worker as RQWorker
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

from bot.cli.common import services
from bot.domain import notices as notice_rows
from bot.runtime import queue
from bot.storage.models import utc_now

jobs_cli = AppGroup("jobs", help="Background work: queues, workers and notices.")


@jobs_cli.command("status")
def jobs_status() -> None:
    """Show queues (waiting, scheduled, running, failed), workers, and notices due, claimed, failed or undeliverable."""
    bot = services()
    redis = bot.redis
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
    stale_before = now - timedelta(seconds=bot.settings.notice_claim_timeout)
    with bot.db.session() as session:
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
