"""The flask commands of SPEC §7."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import create_engine, inspect

from bot.domain.timefmt import to_utc_naive
from bot.storage.models import Activity, Community, HourEntry, Resident
from config import demo
from config.demo import COMMUNITIES as DEMO_COMMUNITIES


def _cli(app, *args):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=list(args), catch_exceptions=False)


def test_db_upgrade_creates_the_schema(make_app, tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    app = make_app(DATABASE_URL=url)
    result = _cli(app, "db", "upgrade")
    assert result.exit_code == 0, result.output
    tables = set(inspect(create_engine(url)).get_table_names())
    assert {"communities", "residents", "activities", "signups", "notices", "hour_entries", "alembic_version"} <= tables
    assert _cli(app, "db", "upgrade").exit_code == 0  # running it again is harmless


def test_seed_demo_loads_communities_in_order_once(app, db):
    result = _cli(app, "seed-demo")
    assert result.exit_code == 0, result.output
    names = [c.name for c in db.query(Community).order_by(Community.position)]
    assert names == list(DEMO_COMMUNITIES)
    organizer = db.query(Resident).filter_by(openid="demo-organizer").one()
    assert organizer.role == "organizer"
    kinds = {a.kind for a in db.query(Activity)}
    assert kinds == {"cleanup", "lecture", "culture", "visit", "training"}
    count = db.query(Activity).count()
    assert count >= 10
    # Volunteers who already served (a family member among them), credited through the usual close.
    credited = sum(len(past[-1]) for past in demo.HISTORY)
    assert db.query(HourEntry).filter_by(kind="credit").count() == credited
    assert db.query(Resident).filter(Resident.proxy_id.is_not(None)).count() == len(demo.FAMILY)
    _cli(app, "seed-demo")
    assert db.query(Activity).count() == count and db.query(Community).count() == 5
    assert db.query(HourEntry).count() == credited
    listing = _cli(app, "communities", "list").output.splitlines()
    assert [line.split("\t")[1] for line in listing] == list(DEMO_COMMUNITIES)


def test_communities_add_and_list(app):
    assert _cli(app, "communities", "add", "东关社区").exit_code == 0
    assert _cli(app, "communities", "add", "东关社区").exit_code == 0
    assert _cli(app, "communities", "list").output.count("东关社区") == 1


def test_events_create_with_every_option_prints_the_id_last(app, db, communities):
    result = _cli(
        app,
        "events",
        "create",
        "--title",
        "义务植树",
        "--kind",
        "cleanup",
        "--start",
        "2030-03-12 09:00",
        "--end",
        "2030-03-12 11:30:00",
        "--place",
        "护城河沿线绿地",
        "--capacity",
        "30",
        "--hours",
        "2.5",
        "--community",
        "西大街社区",
        "--deadline",
        "2030-03-11 18:00",
        "--content",
        "补植行道树",
        "--min-age",
        "16",
        "--max-age",
        "70",
    )
    assert result.exit_code == 0, result.output
    activity_id = int(result.output.strip().splitlines()[-1])
    activity = db.get(Activity, activity_id)
    assert activity.title == "义务植树" and activity.kind == "cleanup" and activity.place == "护城河沿线绿地"
    assert activity.start_at == to_utc_naive(datetime(2030, 3, 12, 9, 0)) == datetime(2030, 3, 12, 1, 0)
    assert activity.end_at == datetime(2030, 3, 12, 3, 30)
    assert activity.deadline_at == datetime(2030, 3, 11, 10, 0)
    assert activity.capacity == 30 and activity.hours == Decimal("2.5") and activity.content == "补植行道树"
    assert activity.community.name == "西大街社区"
    assert (activity.min_age, activity.max_age) == (16, 70)


def test_events_create_defaults_and_past_entries(app, db):
    result = _cli(app, "events", "create", "--title", "补录讲座", "--kind", "lecture", "--start", "2020-01-01 09:00",
                  "--end", "2020-01-01 10:00", "--place", "活动室", "--capacity", "10", "--hours", "1")  # fmt: skip
    assert result.exit_code == 0
    assert "warning" in result.output and "补录" in result.output
    activity = db.get(Activity, int(result.output.strip().splitlines()[-1]))
    assert activity.community_id is None and activity.deadline_at == activity.start_at


def test_events_create_refuses_bad_input_and_writes_nothing(app, db, communities):
    base = ["events", "create", "--title", "T", "--kind", "cleanup", "--place", "P", "--capacity", "5", "--hours", "2"]
    cases = [
        ["--start", "2030-01-01 10:00", "--end", "2030-01-01 09:00"],  # ends before it starts
        ["--start", "tomorrow", "--end", "2030-01-01 09:00"],
        ["--start", "2030-01-01 09:00", "--end", "2030-01-01 10:00", "--community", "不存在社区"],
        ["--start", "2030-01-01 09:00", "--end", "2030-01-01 10:00", "--deadline", "2030-01-02 09:00"],
        ["--start", "2030-01-01 09:00", "--end", "2030-01-01 10:00", "--min-age", "12", "--max-age", "3"],
        ["--start", "2030-01-01 09:00", "--end", "2030-01-01 10:00", "--min-age", "-1"],
    ]
    runner = app.test_cli_runner()
    for extra in cases:
        result = runner.invoke(args=base + extra)
        assert result.exit_code != 0, extra
    assert runner.invoke(args=base[:-2] + ["--hours", "0.3", "--start", "2030-01-01 09:00", "--end", "2030-01-01 10:00"]).exit_code != 0
    bad_kind = ["events", "create", "--title", "T", "--kind", "party", "--place", "P", "--capacity", "5", "--hours", "2"]
    assert runner.invoke(args=bad_kind + ["--start", "2030-01-01 09:00", "--end", "2030-01-01 10:00"]).exit_code != 0
    assert db.query(Activity).count() == 0


def test_users_grant_and_revoke(app, db, communities):
    assert _cli(app, "users", "grant", "oOrg1", "organizer", "--community", "南学街社区").exit_code == 0
    person = db.query(Resident).filter_by(openid="oOrg1").one()
    assert person.role == "organizer" and person.role_community.name == "南学街社区"
    assert _cli(app, "users", "grant", "oAdmin", "admin").exit_code == 0
    assert _cli(app, "users", "revoke", "oOrg1").exit_code == 0
    db.expire_all()
    assert db.query(Resident).filter_by(openid="oOrg1").one().role == "resident"
    assert app.test_cli_runner().invoke(args=["users", "revoke", "nobody"]).exit_code != 0
    assert app.test_cli_runner().invoke(args=["users", "grant", "x", "king"]).exit_code != 0


def test_every_command_has_help(app):
    runner = app.test_cli_runner()
    for args in (["db", "upgrade"], ["seed-demo"], ["communities", "add"], ["communities", "list"], ["events", "create"],
                 ["users", "grant"], ["users", "revoke"], ["chat"]):  # fmt: skip
        result = runner.invoke(args=[*args, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output, args
