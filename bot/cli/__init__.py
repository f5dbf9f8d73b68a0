"""The `flask --app wsgi …` commands. Each prints what it did; errors exit non-zero."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from bot.cli import organizers as cli_organizers
from bot.cli.export import export_cli
from bot.domain import activities, residents
from bot.domain.errors import UserError
from bot.domain.timefmt import fmt, parse_local, to_local, to_utc_naive
from bot.storage.models import ACTIVITY_KINDS, Activity, utc_now
from bot.storage.schema import upgrade_database

ROOT = Path(__file__).resolve().parents[2]


def _services():  # type: ignore[no-untyped-def]
    return current_app.extensions["bot"]


# ── db ──────────────────────────────────────────────────────────────────────
db_cli = AppGroup("db", help="Database schema.")


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema to the newest revision."""
    services = _services()
    upgrade_database(services.db.url)
    click.echo(f"schema up to date ({services.db.dialect})")


# ── communities ─────────────────────────────────────────────────────────────
communities_cli = AppGroup("communities", help="The residential communities (社区).")


@communities_cli.command("add")
@click.argument("name")
def communities_add(name: str) -> None:
    """Add a community (kept if it exists)."""
    with _services().db.transaction() as session:
        community = residents.add_community(session, name)
        click.echo(f"{community.id}\t{community.name}")


@communities_cli.command("list")
def communities_list() -> None:
    """List communities in the order residents choose from."""
    with _services().db.transaction() as session:
        for community in residents.communities(session):
            click.echo(f"{community.id}\t{community.name}")


# ── events ──────────────────────────────────────────────────────────────────
events_cli = AppGroup("events", help="Activities.")


class LocalTime(click.ParamType):
    name = "YYYY-MM-DD HH:MM"

    def convert(self, value, param, ctx):  # type: ignore[no-untyped-def]
        try:
            return parse_local(value)
        except ValueError:
            self.fail(f"{value!r} is not a time like 2026-11-28 09:00 (Asia/Shanghai)", param, ctx)


@events_cli.command("create")
@click.option("--title", required=True)
@click.option("--kind", required=True, type=click.Choice(ACTIVITY_KINDS))
@click.option("--start", "start", required=True, type=LocalTime(), help="Asia/Shanghai, YYYY-MM-DD HH:MM[:SS]")
@click.option("--end", "end", required=True, type=LocalTime(), help="Asia/Shanghai, YYYY-MM-DD HH:MM[:SS]")
@click.option("--place", required=True)
@click.option("--capacity", required=True, type=click.IntRange(min=1))
@click.option("--hours", required=True, help="Service hours credited, in steps of 0.5")
@click.option("--community", default=None, help="Community name; omit for the whole subdistrict")
@click.option("--deadline", default=None, type=LocalTime(), help="Sign-up deadline (default: the start)")
@click.option("--content", default="", help="Service content (服务内容)")
def events_create(title, kind, start, end, place, capacity, hours, community, deadline, content) -> None:  # type: ignore[no-untyped-def]
    """Publish an activity; prints its id alone on the last line."""
    try:
        with _services().db.transaction() as session:
            scope = activities.community_for(session, community)
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
            )
            activity = activities.create(session, draft)
            if activity.start_at <= utc_now():
                click.echo(f"warning: activity starts in the past ({fmt(activity.start_at)}); entered as a record (补录)", err=True)
            new_id = activity.id
    except UserError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(new_id)


# ── users ───────────────────────────────────────────────────────────────────
users_cli = AppGroup("users", help="Roles: organizer and admin.")


@users_cli.command("grant")
@click.argument("openid")
@click.argument("role", type=click.Choice(["organizer", "admin"]))
@click.option("--community", default=None, help="Limit an organizer to one community")
def users_grant(openid: str, role: str, community: str | None) -> None:
    """Give OPENID the organizer or admin role."""
    try:
        with _services().db.transaction() as session:
            scope = activities.community_for(session, community)
            residents.grant_role(session, openid, role, scope)
    except UserError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"{openid} is now {role}" + (f" of {community}" if community else ""))


@users_cli.command("revoke")
@click.argument("openid")
def users_revoke(openid: str) -> None:
    """Take OPENID's organizer or admin role away."""
    try:
        with _services().db.transaction() as session:
            residents.revoke_role(session, openid)
    except UserError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"{openid} is now a resident")


# ── demo data ───────────────────────────────────────────────────────────────
DEMO_COMMUNITIES = ("南乾元社区", "南顺城街社区", "南学街社区", "西大街社区", "夕阳楼社区")
DEMO_ORGANIZER = "demo-organizer"
# (days from today, start hour, minutes, hours long, kind, title, place, community index or None, capacity, content)
DEMO_ACTIVITIES = (
    (2, 9, 0, 2, "cleanup", "楼院义务清扫", "南乾元社区3号院", 0, 20, "清扫楼道、院落垃圾，整理乱堆杂物"),
    (3, 15, 0, 1.5, "lecture", "反诈骗知识讲座", "南顺城街社区活动室", 1, 40, "民警讲解常见电信诈骗手法与防范"),
    (4, 19, 0, 2, "culture", "百姓大舞台文艺汇演", "西大街文化广场", None, 60, "居民自编自演节目，志愿者负责秩序与后勤"),
    (5, 9, 30, 2.5, "visit", "敬老院慰问", "夕阳楼社区敬老院", 4, 12, "陪老人聊天、打扫房间、表演小节目"),
    (6, 14, 30, 1.5, "lecture", "健康知识讲座", "南学街社区卫生服务站", 2, 50, "社区医生讲解冬季心脑血管疾病预防"),
    (7, 9, 0, 3, "cleanup", "义务植树", "护城河沿线绿地", None, 30, "补植行道树、浇水培土"),
    (8, 10, 0, 1.5, "culture", "儿童读书会", "南乾元社区书屋", 0, 15, "带领小朋友共读绘本，维持秩序"),
    (9, 14, 0, 2, "training", "志愿者服务技能培训", "街道办三楼会议室", None, 80, "志愿服务礼仪、急救常识与安全须知"),
    (10, 9, 0, 2, "visit", "儿童福利院义务理发", "市儿童福利院", None, 8, "为福利院儿童理发，需有理发经验"),
    (11, 15, 0, 1.5, "lecture", "法治宣传讲座", "南顺城街社区活动室", 1, 40, "民法典中与居民生活相关的条款解读"),
    (12, 9, 0, 2, "culture", "好妈妈课堂", "西大街社区活动中心", 3, 25, "家庭教育经验分享，志愿者负责签到与照看儿童"),
    (13, 9, 0, 2, "lecture", "礼仪讲座", "夕阳楼社区会议室", 4, 30, "日常待人接物与志愿服务礼仪"),
)


def seed_demo(session) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Load the demo communities, organizer and activities; running it twice adds nothing."""
    communities = [residents.add_community(session, name) for name in DEMO_COMMUNITIES]
    organizer = residents.grant_role(session, DEMO_ORGANIZER, "organizer")
    if organizer.name is None:
        organizer.name = "王组织"
    today = to_local(utc_now()).date()
    created = 0
    for days, hour, minute, length, kind, title, place, community_index, capacity, content in DEMO_ACTIVITIES:
        if session.query(Activity).filter(Activity.title == title, Activity.start_at > utc_now()).first():
            continue
        start = to_utc_naive(datetime(today.year, today.month, today.day, hour, minute) + timedelta(days=days))
        activities.create(
            session,
            activities.ActivityDraft(
                kind=kind,
                title=title,
                start_at=start,
                end_at=start + timedelta(hours=length),
                place=place,
                capacity=capacity,
                hours=activities.parse_hours(str(length)),
                community_id=communities[community_index].id if community_index is not None else None,
                content=content,
                organizer_id=organizer.id,
            ),
        )
        created += 1
    return len(communities), created


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Load the five demo communities, an organizer and sample activities."""
    with _services().db.transaction() as session:
        communities, created = seed_demo(session)
    click.echo(f"{communities} communities, organizer {DEMO_ORGANIZER}, {created} new activities")


# ── chat simulator ──────────────────────────────────────────────────────────
@click.command("chat")
@click.option("--url", default="http://127.0.0.1:8000/wechat", show_default=True, help="The webhook to talk to")
@click.option("--user", "openid", default="sim-resident", show_default=True, help="The openid to speak as")
@with_appcontext
def chat_command(url: str, openid: str) -> None:
    """The terminal simulator: signs (and encrypts) each line as WeChat does."""
    from bot.wechat.peer import Simulator

    Simulator(_services().settings, url, openid).repl()


def register_cli(app: Flask) -> None:
    for group in (db_cli, communities_cli, events_cli, users_cli):
        app.cli.add_command(group)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(chat_command)
    app.cli.add_command(export_cli)
    cli_organizers.register(app)
    from bot.cli import jobs as cli_jobs

    cli_jobs.register(app)
