"""`通知 N 文字`: one notice to each person holding a place or waiting for one, never twice."""

from datetime import datetime, timedelta

from sqlalchemy import select

from bot.domain import broadcasts
from bot.storage.models import Resident
from tests.organizer_helpers import counts, make_organizer, make_residents, notices_for, sign_up_all


def test_notify_reaches_confirmed_and_waitlisted_once(services, wx, communities, make_activity):
    make_organizer(services, "org", community_id=communities[0])
    activity_id = make_activity(capacity=2, community_id=communities[0])
    people = make_residents(services, 3, communities[0])
    sign_up_all(services, people, activity_id)
    other = make_residents(services, 1, communities[0], prefix="x")
    reply = wx.say(f"通知 {activity_id} 集合地点改到3号院门口", user="org")
    assert "3 位报名者" in reply
    sent = notices_for(services, activity_id=activity_id, kind="notify")
    assert sorted(n.resident_id for n in sent) == sorted(people)
    assert other[0] not in [n.resident_id for n in sent]
    assert all("集合地点改到3号院门口" in n.text and "楼院义务清扫" in n.text for n in sent)
    assert len({n.key for n in sent}) == 3 and all(n.key.startswith(f"notify:{activity_id}:") for n in sent)
    # The same text again (a double tap, a resend after a slow reply): nobody gets it twice.
    assert "不再重复" in wx.say(f"通知 {activity_id} 集合地点改到3号院门口", user="org")
    assert len(notices_for(services, activity_id=activity_id, kind="notify")) == 3
    # Different text is a different notice.
    assert "3 位报名者" in wx.say(f"通知{activity_id} 请带手套", user="org")
    assert len(notices_for(services, activity_id=activity_id, kind="notify")) == 6


def test_notify_skips_cancelled_places(services, wx, communities, make_activity):
    make_organizer(services, "org")
    activity_id = make_activity(capacity=5)
    wx.register(user="stays")
    wx.register(user="leaves", phone="13900000001")
    wx.say(f"报名 {activity_id}", user="stays")
    wx.say(f"报名 {activity_id}", user="leaves")
    wx.say(f"取消 {activity_id}", user="leaves")
    assert "1 位报名者" in wx.say(f"通知 {activity_id} 明天见", user="org")
    with services.db.transaction() as session:
        stays = session.execute(select(Resident.id).where(Resident.openid == "stays")).scalar_one()
    assert [n.resident_id for n in notices_for(services, kind="notify")] == [stays]


def test_the_key_is_deterministic_per_text_and_time_window(services, communities, make_activity):
    organizer_id = make_organizer(services, "org")
    activity_id = make_activity()
    sign_up_all(services, make_residents(services, 2, communities[0]), activity_id)
    now = datetime(2026, 11, 26, 2, 0, 5)  # 5 s into a 10-minute window
    with services.db.transaction() as session:
        actor = session.get(Resident, organizer_id)
        first = broadcasts.notify_participants(session, actor, activity_id, "改期通知", now)
        again = broadcasts.notify_participants(session, actor, activity_id, "改期通知", now + timedelta(seconds=1))
        later = broadcasts.notify_participants(session, actor, activity_id, "改期通知", now + timedelta(hours=1))
    assert (first.created, again.created, later.created) == (2, 0, 2)


def test_notify_usage_and_nobody_signed_up(services, wx, communities, make_activity):
    make_organizer(services, "org")
    activity_id = make_activity()
    assert "请这样写" in wx.say("通知", user="org")
    assert "请这样写" in wx.say(f"通知 {activity_id}", user="org")
    assert "还没有人报名" in wx.say(f"通知 {activity_id} 你好", user="org")
    assert "没有编号为 999" in wx.say("通知 999 你好", user="org")


def test_notify_refused_for_residents_and_other_communities(services, wx, communities, make_activity):
    make_organizer(services, "mine", community_id=communities[0])
    make_organizer(services, "theirs", community_id=communities[1])
    activity_id = make_activity(community_id=communities[0])
    sign_up_all(services, make_residents(services, 2, communities[0]), activity_id)
    before = counts(services)
    assert "无权" in wx.say(f"通知 {activity_id} 明天见", user="resident")
    assert "无权" in wx.say("通知", user="resident")
    assert "无权" in wx.say(f"通知 {activity_id} 明天见", user="theirs")
    assert counts(services) == before
    assert "2 位报名者" in wx.say(f"通知 {activity_id} 明天见", user="mine")
