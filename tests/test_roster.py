"""`名单 N`: places in order, the waitlist in order, check-in state, phones masked, paged for a phone."""

import re
from datetime import timedelta

from sqlalchemy import select

from bot.storage.models import Signup, utc_now
from tests.organizer_helpers import counts, make_organizer, make_residents, sign_up_all

REPLY_LIMIT = 2048


def test_roster_shows_status_order_checkin_and_masked_phones(services, wx, communities, make_activity):
    make_organizer(services, "org", community_id=communities[0])
    activity_id = make_activity(capacity=2, community_id=communities[0])
    people = make_residents(services, 4, communities[0], phone_base=13812340000)
    sign_up_all(services, people, activity_id)
    with services.db.transaction() as session:
        first = session.execute(select(Signup).where(Signup.resident_id == people[0])).scalar_one()
        second = session.execute(select(Signup).where(Signup.resident_id == people[1])).scalar_one()
        first.checked_in_at = utc_now() - timedelta(hours=1)
        first.checked_out_at = utc_now()
        second.checked_in_at = utc_now() - timedelta(minutes=5)
    roster = wx.say(f"名单 {activity_id}", user="org")
    assert "已报名 2/2" in roster and "候补 2" in roster and "已签到 2" in roster
    lines = roster.splitlines()
    assert lines.index(next(x for x in lines if "居民r0" in x)) < lines.index(next(x for x in lines if "居民r1" in x))
    assert re.search(r"1\. 居民r0 138\*\*\*\*0000 已签到\d\d:\d\d 签退\d\d:\d\d", roster)
    assert re.search(r"2\. 居民r1 138\*\*\*\*0001 已签到\d\d:\d\d$", roster, re.M)
    assert "候补1. 居民r2 138****0002" in roster and "候补2. 居民r3 138****0003" in roster
    assert not re.search(r"\d{11}", roster)  # no phone number in full


def test_two_hundred_signups_are_paged_within_wechats_reply_size(services, wx, communities, make_activity):
    make_organizer(services, "org")
    activity_id = make_activity(capacity=150, community_id=communities[0])
    people = make_residents(services, 200, communities[0])
    sign_up_all(services, people, activity_id)
    first = wx.say(f"名单 {activity_id}", user="org")
    pages = int(re.search(r"第 1/(\d+) 页", first).group(1))
    assert pages > 1
    texts = [first] + [wx.say(f"名单 {activity_id} {n}", user="org") for n in range(2, pages + 1)]
    seen: list[str] = []
    for n, text in enumerate(texts, 1):
        assert len(text.encode()) <= REPLY_LIMIT
        assert f"第 {n}/{pages} 页" in text
        assert "已报名 150/150，候补 50" in text  # every page says whose roster it is
        seen += re.findall(r"居民r\d+", text)
        assert not re.search(r"\d{11}", text)
    assert f"名单 {activity_id} 2" in texts[0] and "最后一页" in texts[-1]
    assert sorted(seen) == sorted(f"居民r{i}" for i in range(200))  # everyone, once
    assert texts[-1].count("候补") > 1 and "候补50." in texts[-1]
    assert wx.say(f"名单 {activity_id} 99", user="org") == texts[-1]  # past the end: the last page


def test_an_empty_roster(services, wx, communities, make_activity):
    make_organizer(services, "org")
    activity_id = make_activity()
    assert "还没有人报名" in wx.say(f"名单{activity_id}", user="org")


def test_roster_refused_for_residents_and_other_communities(services, wx, communities, make_activity):
    make_organizer(services, "mine", community_id=communities[0])
    make_organizer(services, "theirs", community_id=communities[1])
    activity_id = make_activity(community_id=communities[0])
    whole = make_activity(title="义务植树", start=utc_now() + timedelta(days=5), community_id=None)
    people = make_residents(services, 3, communities[0])
    sign_up_all(services, people, activity_id)
    before = counts(services)
    assert "无权" in wx.say(f"名单 {activity_id}", user="resident")
    assert "无权" in wx.say("名单", user="resident")
    assert "无权" in wx.say("名单 9999", user="resident")  # no hint whether the activity exists
    assert "无权" in wx.say(f"名单 {activity_id}", user="theirs")
    assert "无权" in wx.say(f"名单 {whole}", user="mine")  # a 全街道 activity is not one community's
    assert counts(services) == before
    assert "居民r0" in wx.say(f"名单 {activity_id}", user="mine")
    make_organizer(services, "everywhere")
    assert "义务植树" in wx.say(f"名单 {whole}", user="everywhere")
