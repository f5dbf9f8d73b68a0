"""活动, 更多, 活动 N / 详情 N."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from bot.domain.timefmt import fmt, to_utc_naive
from bot.storage.models import Activity, utc_now


def test_list_is_soonest_first_ten_at_a_time(wx, db, make_activity):
    ids = [make_activity(f"活动{chr(0x4E00 + i)}", start=utc_now() + timedelta(days=12 - i), hours_long=1) for i in range(12)]
    past = make_activity("已过去的活动", start=utc_now() - timedelta(days=1))
    cancelled = make_activity("停办的活动")
    db.execute(Activity.__table__.update().where(Activity.id == cancelled).values(status="cancelled"))
    first = wx.say("活动")
    soonest = list(reversed(ids))
    assert first.count("【") == 10
    positions = [first.index(f"【{i}】") for i in soonest[:10]]
    assert positions == sorted(positions)
    assert "更多" in first and f"【{past}】" not in first and f"【{cancelled}】" not in first
    second = wx.say("更多")
    assert second.count("【") == 2 and f"【{soonest[10]}】" in second and f"【{soonest[11]}】" in second
    assert "没有更多" in wx.say("更多")
    assert wx.click("EVENTS") == first


def test_list_shows_places_left_or_waitlist(wx, make_activity, communities):
    full = make_activity("满员活动", capacity=1)
    roomy = make_activity("宽松活动", capacity=5, start=utc_now() + timedelta(days=5))
    wx.register(user="a")
    wx.say(f"报名 {full}", user="a")
    listing = wx.say("活动")
    assert "已满，可候补" in listing.split(f"【{full}】")[1].split("【")[0]
    assert "余 5 个名额" in listing.split(f"【{roomy}】")[1]


def test_empty_list(wx):
    assert "没有可报名" in wx.say("活动")


def test_detail_in_full_in_shanghai_time(wx, communities, make_activity):
    start = to_utc_naive(datetime(2030, 11, 30, 9, 0))  # a Saturday
    activity_id = make_activity(
        "健康知识讲座",
        kind="lecture",
        start=start,
        hours_long=2,
        capacity=40,
        hours="1.5",
        community_id=communities[2],
        place="南学街社区卫生服务站",
    )
    reply = wx.say(f"活动 {activity_id}")
    assert "11月30日(周六) 09:00 – 11:00" in reply
    assert "健康知识讲座" in reply and "讲座" in reply and "南学街社区卫生服务站" in reply
    assert "南学街社区" in reply and "40 人" in reply and "1.5 小时" in reply and f"报名 {activity_id}" in reply
    assert wx.say(f"详情{activity_id}") == reply == wx.say(f"活动　{activity_id}".replace(str(activity_id), _fullwidth(activity_id)))
    assert fmt(start) == "11月30日(周六) 09:00"


def test_detail_of_unknown_or_without_number(wx):
    assert "没有编号为 42 的活动" in wx.say("活动 42")
    assert "详情 3" in wx.say("详情")


def test_words_that_merely_start_like_a_command_are_not_it(wx, make_activity):
    make_activity()
    assert "没听懂" in wx.say("活动室在哪里")


def _fullwidth(number: int) -> str:
    return "".join(chr(ord(d) - ord("0") + ord("０")) for d in str(number))


def test_browsing_does_not_wait_for_a_writer(wx, services, make_activity):
    """Replies that only read take no transaction: on SQLite they do not queue for the write lock."""
    activity_id = make_activity("写锁期间的活动")
    if services.db.dialect != "sqlite":
        # PostgreSQL readers never wait for writers; the lock below is SQLite's.
        assert f"【{activity_id}】" in wx.say("活动")
        return
    wx.say("帮助", user="reader")  # contact noted for the minute: what follows only reads
    writer = services.db.engine.connect()
    # Its first statement begins the transaction with BEGIN IMMEDIATE (bot.storage.db): the
    # database's one write lock, held until the rollback below.
    writer.exec_driver_sql("SELECT 1")
    try:
        started = time.monotonic()
        listing = wx.say("活动", user="reader")
        detail = wx.say(f"活动 {activity_id}", user="reader")
        mine = wx.say("我的报名", user="reader")
        assert time.monotonic() - started < 5  # a queued read would wait out the 30 s busy timeout
    finally:
        writer.rollback()
        writer.close()
    assert f"【{activity_id}】" in listing and "写锁期间的活动" in listing and "写锁期间的活动" in detail and "没有报名" in mine
