"""The hours ledger: the crediting rule, `结束`, the periodic close, `时长`, disputes and corrections."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from bot.domain import attendance, hours
from bot.storage.models import Activity, HourEntry, Resident, utc_now
from bot.wechat.peer import WeChatPeer
from jobs.tally import close_overdue_activities, tally_activity
from tests.conftest import Wx
from tests.ledger_helpers import activity_at, entries, notices_for, organizer, person, sign_up

ROOT = Path(__file__).resolve().parent.parent
START = utc_now().replace(microsecond=0) + timedelta(days=10)


def _attend(services, resident_id: int, activity_id: int, checked_in, checked_out=None) -> None:  # type: ignore[no-untyped-def]
    with services.db.transaction() as session:
        resident = session.get(Resident, resident_id)
        attendance.check_in(session, resident, activity_id, checked_in)
        if checked_out is not None:
            attendance.check_out(session, resident, activity_id, checked_out)


def _net(services, resident_id: int, activity_id: int) -> Decimal:  # type: ignore[no-untyped-def]
    with services.db.transaction() as session:
        return hours.net_hours(session, resident_id, activity_id)


# ── the crediting rule ─────────────────────────────────────────────────────
@pytest.mark.parametrize(
    ("checked_in", "checked_out", "planned", "expected"),
    [
        (0, 89, "2", "1.0"),  # 1 h 29 min rounds down to 1
        (0, 90, "2", "1.5"),
        (0, 119, "2", "1.5"),
        (-30, 120, "2", "2.0"),  # time before the start does not count
        (45, 120, "2", "1.0"),  # 75 minutes
        (0, 120, "1.5", "1.5"),  # capped at the activity's hours
        (0, 20, "2", "0.0"),
        (30, None, "2", "1.5"),  # forgotten check-out: counted to the scheduled end
    ],
)
def test_attended_hours_rounds_down_and_caps(checked_in, checked_out, planned, expected):
    activity = Activity(start_at=START, end_at=START + timedelta(hours=2), hours=Decimal(planned))
    out = START + timedelta(minutes=checked_out) if checked_out is not None else None
    assert hours.attended_hours(activity, START + timedelta(minutes=checked_in), out) == Decimal(expected)


def test_the_database_refuses_a_second_credit(services, communities):
    volunteer = person(services, "vol-1", community_id=communities[0])
    activity_id = activity_at(services, START)
    with services.db.transaction() as session:
        assert hours.credit(session, resident_id=volunteer, activity_id=activity_id, hours=Decimal("2"), reason="test") is not None
        assert hours.credit(session, resident_id=volunteer, activity_id=activity_id, hours=Decimal("1"), reason="again") is None
    with pytest.raises(IntegrityError), services.db.transaction() as session:
        session.add(HourEntry(resident_id=volunteer, activity_id=activity_id, kind="credit", hours=Decimal("1")))
        session.flush()
    assert [e.hours for e in entries(services, activity_id)] == [Decimal("2.0")]


# ── 结束 N ──────────────────────────────────────────────────────────────────
@pytest.fixture
def started(services, communities):  # type: ignore[no-untyped-def]
    """An activity that started 90 minutes ago; one volunteer checked in and out, one only in, one absent."""
    org = organizer(services, community_id=communities[0])
    start = utc_now().replace(microsecond=0) - timedelta(minutes=90)
    activity_id = activity_at(services, start, hours="2", community_id=communities[0], organizer_id=org)
    left_early = person(services, "vol-1", "李四", community_id=communities[0])
    stayed = person(services, "vol-2", "赵六", community_id=communities[0])
    absent = person(services, "vol-3", "孙七", community_id=communities[0])
    for rid in (left_early, stayed, absent):
        sign_up(services, rid, activity_id)
    _attend(services, left_early, activity_id, start - timedelta(minutes=5), start + timedelta(minutes=65))
    _attend(services, stayed, activity_id, start + timedelta(minutes=10))
    return activity_id, left_early, stayed, absent


def test_close_credits_actual_time_or_planned_hours_and_tells_each_volunteer(wx, services, started):
    activity_id, left_early, stayed, absent = started
    reply = wx.say(f"结束 {activity_id}", user="org-1")
    assert "已为 2 人记录服务时长" in reply and "合计 3 小时" in reply and "未签到：1 人" in reply
    assert _net(services, left_early, activity_id) == Decimal("1.0")  # 65 minutes, rounded down
    assert _net(services, stayed, activity_id) == Decimal("2.0")  # no check-out: the planned hours
    assert _net(services, absent, activity_id) == Decimal("0")
    with services.db.transaction() as session:
        assert session.get(Activity, activity_id).status == "closed"
    notice = notices_for(services, left_early, "credited")
    assert len(notice) == 1 and notice[0].key == f"credited:{activity_id}:{left_early}" and "1 小时" in notice[0].text
    assert "2 小时" in notices_for(services, stayed, "credited")[0].text
    assert notices_for(services, absent, "credited") == []


def test_second_close_says_already_closed_and_credits_nothing(wx, services, started):
    activity_id = started[0]
    wx.say(f"结束 {activity_id}", user="org-1")
    before = entries(services, activity_id)
    assert "已经结束" in wx.say(f"结束 {activity_id}", user="org-1")
    assert [e.id for e in entries(services, activity_id)] == [e.id for e in before]


def test_close_before_the_start_is_refused(wx, services, communities):
    org = organizer(services, community_id=communities[0])
    activity_id = activity_at(services, utc_now() + timedelta(hours=1), community_id=communities[0], organizer_id=org)
    assert "开始后才能结束" in wx.say(f"结束 {activity_id}", user="org-1")
    with services.db.transaction() as session:
        assert session.get(Activity, activity_id).status == "published"


def test_close_is_refused_to_a_resident_and_another_communitys_organizer(wx, services, started, communities):
    activity_id = started[0]
    assert "无权" in wx.say(f"结束 {activity_id}", user="vol-1")
    organizer(services, "org-2", "陈组织", community_id=communities[1], scope=communities[1])
    assert "无权" in wx.say(f"结束 {activity_id}", user="org-2")
    assert entries(services, activity_id) == []
    with services.db.transaction() as session:
        assert session.get(Activity, activity_id).status == "published"


# ── the periodic close ─────────────────────────────────────────────────────
def test_overdue_activity_is_closed_by_the_job_with_the_forgotten_check_out_rule(services, communities):
    org = organizer(services, community_id=communities[0])
    activity_id = activity_at(services, START, hours="2", organizer_id=org)
    forgot = person(services, "vol-1", "李四", community_id=communities[0])
    left = person(services, "vol-2", "赵六", community_id=communities[0])
    for rid in (forgot, left):
        sign_up(services, rid, activity_id)
    _attend(services, forgot, activity_id, START + timedelta(minutes=40))
    _attend(services, left, activity_id, START, START + timedelta(minutes=50))
    end = START + timedelta(hours=2)

    assert close_overdue_activities(now=end + timedelta(hours=1)) == []  # inside AUTO_CLOSE_AFTER (2h)
    assert close_overdue_activities(now=end + timedelta(hours=2, minutes=1)) == [activity_id]
    assert _net(services, forgot, activity_id) == Decimal("1.0")  # 40 min in → 80 min to the end
    assert _net(services, left, activity_id) == Decimal("0.5")
    told = notices_for(services, org, "auto_closed")
    assert len(told) == 1 and "系统已自动结束" in told[0].text
    assert len(notices_for(services, forgot, "credited")) == 1

    assert tally_activity(activity_id, now=end + timedelta(hours=5)) == 0  # twice: nothing more
    assert close_overdue_activities(now=end + timedelta(hours=5)) == []
    assert len(entries(services, activity_id)) == 2


def test_crediting_one_activity_from_two_processes_at_once_writes_one_entry_each(services, communities):
    activity_id = activity_at(services, START, capacity=40)
    names = ["志愿者" + "甲乙丙丁戊己庚辛壬癸"[i % 10] * (1 + i // 10) for i in range(30)]  # names carry no digits
    people = [person(services, f"vol-{i}", name, community_id=communities[0]) for i, name in enumerate(names)]
    for rid in people:
        sign_up(services, rid, activity_id)
        _attend(services, rid, activity_id, START)
    now = (START + timedelta(hours=5)).isoformat()
    go = time.time() + 2.0
    # Each process races both ways in: the job (under the activity lock) and raw credits (the unique index alone).
    script = (
        "import sys, time\n"
        "from datetime import datetime\n"
        "from decimal import Decimal\n"
        "from bot.domain import hours\n"
        "from bot.runtime.services import for_jobs\n"
        "from jobs.tally import tally_activity\n"
        f"time.sleep(max(0, {go} - time.time()))\n"
        f"tally_activity({activity_id}, now=datetime.fromisoformat('{now}'))\n"
        "with for_jobs().db.transaction() as session:\n"
        f"    for rid in {people!r}:\n"
        f"        hours.credit(session, resident_id=rid, activity_id={activity_id}, hours=Decimal('1'), reason='race')\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=dict(os.environ)) for _ in range(2)]
    for proc in procs:
        assert proc.wait(timeout=60) == 0
    rows = entries(services, activity_id)
    assert sorted(e.resident_id for e in rows) == sorted(people)
    assert {e.hours for e in rows} == {Decimal("2.0")}


# ── 时长 ────────────────────────────────────────────────────────────────────
def _credit(services, resident_id: int, activity_id: int, amount: str) -> None:  # type: ignore[no-untyped-def]
    with services.db.transaction() as session:
        hours.credit(session, resident_id=resident_id, activity_id=activity_id, hours=Decimal(amount), reason="test")


def test_my_hours_shows_year_total_stars_and_recent(make_app, app, services, communities):
    custom = make_app(STAR_LEVEL_HOURS="3,5")
    wx = Wx(custom, WeChatPeer.from_settings(custom.extensions["bot"].settings))
    volunteer = person(services, "vol-1", "李四", community_id=communities[0])
    now = utc_now()
    last_year = activity_at(services, now - timedelta(days=400), title="义务植树")
    this_year = activity_at(services, now - timedelta(hours=5), title="敬老院慰问")
    _credit(services, volunteer, last_year, "2")
    _credit(services, volunteer, this_year, "1.5")
    reply = wx.say("时长", user="vol-1")
    year = (now + timedelta(hours=8)).year
    assert f"{year}年：1.5 小时" in reply
    assert "累计：3.5 小时" in reply
    assert "星级：★" in reply and "再服务 1.5 小时可达 ★★" in reply
    assert reply.index("敬老院慰问") < reply.index("义务植树")  # newest first
    assert "党员" not in reply
    assert wx.click("MY_HOURS", user="vol-1") == reply
    assert wx.say("我的记录", user="vol-1") == reply


def test_party_member_sees_the_yearly_target_and_progress(wx, services, communities):
    member = person(services, "party-1", "周党员", community_id=communities[0], party=True, employer="市第一医院")
    activity_id = activity_at(services, utc_now() - timedelta(hours=5))
    _credit(services, member, activity_id, "3")
    reply = wx.say("我的时长", user="party-1")
    assert "党员年度目标 12 小时，今年已完成 3 小时（25%）" in reply
    assert "星级：暂无（累计满 100 小时为一星）" in reply


def test_hours_before_registering_and_with_no_record(wx, services, communities):
    assert "回复“注册”" in wx.say("时长", user="stranger")
    person(services, "vol-1", community_id=communities[0])
    assert "还没有服务时长记录" in wx.say("时长", user="vol-1")


# ── disputes and corrections ───────────────────────────────────────────────
@pytest.fixture
def closed(wx, services, started):  # type: ignore[no-untyped-def]
    activity_id = started[0]
    wx.say(f"结束 {activity_id}", user="org-1")
    return started


def test_dispute_then_correction_by_the_organizer(wx, services, closed):
    activity_id, left_early, *_ = closed
    org = wx.say("纠错", user="org-1")
    assert "没有待处理" in org
    reply = wx.say(f"纠错 {activity_id} 我一直待到结束，只记了1小时", user="vol-1")
    assert "已收到" in reply and "目前记录 1 小时" in reply
    dispute_id = int(reply.split("#", 1)[1].split("）", 1)[0])
    organizer_id = _organizer_id(services)
    told = notices_for(services, organizer_id, "dispute")
    assert len(told) == 1 and "只记了1小时" in told[0].text
    assert "正在处理中" in wx.say(f"纠错 {activity_id} 再说一次", user="vol-1")

    listing = wx.say("纠错", user="org-1")
    assert f"#{dispute_id}" in listing and "李四" in listing and "记录 1 小时" in listing

    assert "无权" in wx.say(f"纠错 处理 {dispute_id} 2 核对签到表", user="vol-1")
    assert "0 到 2 之间" in wx.say(f"纠错 处理 {dispute_id} 3 核对签到表", user="org-1")
    assert "格式" in wx.say(f"纠错 处理 {dispute_id} 2", user="org-1")  # a reason is required
    reply = wx.say(f"纠错 处理 {dispute_id} 1.5小时 核对签到表，提前半小时离开", user="org-1")
    assert "1 → 1.5 小时" in reply

    rows = entries(services, activity_id, left_early)
    assert [(e.kind, e.hours) for e in rows] == [("credit", Decimal("1.0")), ("correction", Decimal("0.5"))]
    assert rows[1].author_id == organizer_id and "核对签到表" in rows[1].reason
    assert _net(services, left_early, activity_id) == Decimal("1.5")
    resolved = notices_for(services, left_early, "dispute_resolved")
    assert len(resolved) == 1 and resolved[0].key == f"dispute_resolved:{dispute_id}" and "1.5 小时" in resolved[0].text
    assert "已经处理过" in wx.say(f"纠错 处理 {dispute_id} 2 再改", user="org-1")
    assert len(entries(services, activity_id, left_early)) == 2


def _organizer_id(services) -> int:  # type: ignore[no-untyped-def]
    with services.db.transaction() as session:
        return session.query(Resident).filter(Resident.openid == "org-1").one().id


def test_dispute_needs_a_closed_activity_and_a_reason(wx, services, started):
    activity_id = started[0]
    assert "还没有结束" in wx.say(f"纠错 {activity_id} 没记上", user="vol-1")
    wx.say(f"结束 {activity_id}", user="org-1")
    assert "请说明哪里有误" in wx.say(f"纠错 {activity_id}", user="vol-1")
    assert "纠错 活动编号 说明" in wx.say("纠错", user="vol-1")  # a resident's bare 纠错 explains itself


def test_another_communitys_organizer_cannot_resolve(wx, services, closed, communities):
    activity_id = closed[0]
    reply = wx.say(f"纠错 {activity_id} 没记全", user="vol-2")
    dispute_id = int(reply.split("#", 1)[1].split("）", 1)[0])
    organizer(services, "org-2", "陈组织", community_id=communities[1], scope=communities[1])
    assert "没有待处理" in wx.say("纠错", user="org-2")
    assert "无权" in wx.say(f"纠错 处理 {dispute_id} 1 不对", user="org-2")
    assert len(entries(services, activity_id, closed[2])) == 1


def test_a_correction_to_the_same_total_writes_no_entry_but_closes_the_dispute(wx, services, closed):
    activity_id, _, stayed, _ = closed
    reply = wx.say(f"纠错 {activity_id} 请核实", user="vol-2")
    dispute_id = int(reply.split("#", 1)[1].split("）", 1)[0])
    assert "2 → 2 小时" in wx.say(f"纠错 处理 {dispute_id} 2 核实无误", user="org-1")
    assert len(entries(services, activity_id, stayed)) == 1
    assert "维持 2 小时" in notices_for(services, stayed, "dispute_resolved")[0].text


def test_the_workers_periodic_sweep_closes_overdue_activities_and_the_notices_arrive(app, wx, services, communities):
    from bot.runtime import worker
    from jobs import sweeps

    org = organizer(services, community_id=communities[0])
    start = utc_now().replace(microsecond=0) - timedelta(hours=5)
    activity_id = activity_at(services, start, hours="2", organizer_id=org)
    volunteer = person(services, "vol-1", "李四", community_id=communities[0])
    sign_up(services, volunteer, activity_id)
    _attend(services, volunteer, activity_id, start + timedelta(minutes=30))
    for openid in ("vol-1", "org-1"):
        wx.say("帮助", user=openid)  # a recent message opens WeChat's customer-service window

    sweeps.sweep_due_notices()
    worker.build(services).work(burst=True)

    with services.db.transaction() as session:
        assert session.get(Activity, activity_id).status == "closed"
    assert _net(services, volunteer, activity_id) == Decimal("1.5")

    def outbox(openid: str) -> str:
        body = app.test_client().get("/sandbox/outbox", query_string={"openid": openid}).get_json()
        return "\n".join(m["text"] for m in body["messages"])

    assert "为您记录服务时长 1.5 小时" in outbox("vol-1")
    assert "系统已自动结束" in outbox("org-1")
