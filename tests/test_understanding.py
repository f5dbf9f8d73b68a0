"""Free text through the real webhook (SPEC §9): the behaviours one by one, each on a small
world of its own. The evaluation set (test_understanding_eval.py) covers the breadth."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.storage.models import Activity, Resident, Signup, utc_now
from config import texts
from config import vocabulary as v
from tests import understanding_eval as ev


def _places(db, openid: str) -> dict[int, str]:  # type: ignore[no-untyped-def]
    db.expire_all()
    rows = db.execute(select(Signup).join(Resident, Resident.id == Signup.resident_id).where(Resident.openid == openid)).scalars()
    return {s.activity_id: s.status for s in rows}


def _vocabulary_words() -> set[str]:
    words: set[str] = set()
    for name, value in vars(v).items():
        if not name.isupper():
            continue
        if isinstance(value, dict):
            for key, item in value.items():
                words.add(key)
                words.update(item if isinstance(item, tuple) else (item,))
        elif isinstance(value, tuple):
            words.update(value)
    return {w for w in words if isinstance(w, str)}  # not the numbers (a holiday's month and days)


def test_a_new_activity_is_found_by_its_own_words_with_no_vocabulary_change(wx, db, make_activity):
    assert not any("消防" in w or "太极" in w for w in _vocabulary_words())
    fire = make_activity("冬季消防培训", kind="training", content="灭火器使用")
    taiji = make_activity("太极拳晨练", kind="other", content="公园里一起练拳", start=utc_now() + timedelta(days=5))
    wx.register(user="learner")
    assert wx.say("消防那个 给我报上", user="learner").startswith("报名成功")
    assert wx.say("打太极的那个，算我一个", user="learner").startswith("报名成功")
    assert _places(db, "learner") == {fire: "confirmed", taiji: "confirmed"}


def test_henan_words_a_relative_day_and_a_kind_select_one_activity(wx, db, make_activity):
    day_after = (utc_now() + timedelta(days=2)).replace(hour=1, minute=0)  # 09:00 in Shanghai
    cleanup = make_activity("楼院义务清扫", kind="cleanup", start=day_after)
    make_activity("礼仪讲座", kind="lecture", start=day_after + timedelta(hours=5))
    make_activity("西大街楼院清扫", kind="cleanup", start=day_after + timedelta(days=3))
    wx.register(user="henan")
    reply = wx.say("后天打扫卫生那个给俺也算上", user="henan")
    assert reply.startswith("报名成功") and "楼院义务清扫" in reply
    assert _places(db, "henan") == {cleanup: "confirmed"}


def test_several_candidates_are_listed_and_a_short_answer_settles_it(wx, db, make_activity):
    first = make_activity("楼院义务清扫", kind="cleanup")
    second = make_activity("西大街楼院清扫", kind="cleanup", start=utc_now() + timedelta(days=5))
    wx.register(user="chooser")
    question = wx.say("打扫卫生给我报上", user="chooser")
    assert question.startswith("您想报名哪一个") and f"1. 【{first}】" in question and f"2. 【{second}】" in question
    assert _places(db, "chooser") == {}
    assert "请回复序号" in wx.say("俺也不知道", user="chooser")  # not an answer: asked again
    assert wx.say("西大街那个", user="chooser").startswith("报名成功")
    assert _places(db, "chooser") == {second: "confirmed"}


def test_none_of_them_and_leaving_change_nothing(wx, db, make_activity):
    make_activity("楼院义务清扫", kind="cleanup")
    make_activity("西大街楼院清扫", kind="cleanup", start=utc_now() + timedelta(days=5))
    wx.register(user="undecided")
    wx.say("打扫卫生给我报上", user="undecided")
    assert wx.say("都不是", user="undecided") == texts.FREE_DROPPED.format(action="报名")
    wx.say("打扫卫生给我报上", user="undecided")
    assert wx.say("退出", user="undecided") == texts.EXITED
    assert wx.say("1", user="undecided").startswith("没听懂")  # the question is gone
    assert _places(db, "undecided") == {}


def test_a_number_that_is_also_a_day_is_asked_about(wx, db, services):
    # Activity 6 is on the 30th; another is on the 6th of next month: `报名6号` reads both ways.
    world = {"now": "2025-11-26 10:00", "resident": {"community": "南乾元社区", "holds": [], "waiting": []}, "activities": []}
    days = ("11-27", "11-28", "11-28", "11-29", "11-29", "11-30", "12-06")
    for n, day in enumerate(days, 1):
        world["activities"].append(
            {"id": n, "kind": "other", "title": f"活动{n}", "start": f"2025-{day} 09:00", "end": f"2025-{day} 11:00",
             "place": "南乾元社区活动室", "community": "南乾元社区", "capacity": 10, "hours": "2"}
        )
    with ev.pinned(world):
        ev.build(services, world)
        ev.resident(services, world, "sixer")
        question = wx.say("报名6号", user="sixer")
        assert question.startswith("您想报名哪一个") and "1. 【6】" in question and "2. 【7】" in question
        assert _places(db, "sixer") == {}
        assert wx.say("2", user="sixer").startswith("报名成功")
        assert _places(db, "sixer") == {7: "confirmed"}
        assert wx.say("报名6号活动", user="other").startswith("报名前需要先登记")  # `6号活动`: activity 6 only


def test_a_question_riding_along_is_answered_in_the_same_reply(wx, db, make_activity):
    activity = make_activity("楼院义务清扫", kind="cleanup", place="南乾元社区3号院")
    wx.register(user="asker")
    reply = wx.say("楼院清扫我去，在哪儿集合？", user="asker")
    assert reply.startswith("报名成功")
    assert reply.endswith(texts.FREE_ANSWER_PLACE.format(place="南乾元社区3号院"))
    assert _places(db, "asker") == {activity: "confirmed"}


def test_giving_a_place_up_looks_among_ones_own_places(wx, db, make_activity):
    held = make_activity("法治宣传讲座", kind="lecture", start=utc_now() + timedelta(days=6))
    make_activity("礼仪讲座", kind="lecture", start=utc_now() + timedelta(days=7))
    wx.register(user="leaver")
    wx.say(f"报名 {held}", user="leaver")
    reply = wx.say("那个讲座我来不了了", user="leaver")  # two lectures, one held: that one
    assert reply == texts.LEAVE_OK_NO_WAITLIST.format(id=held, title="法治宣传讲座")
    assert _places(db, "leaver") == {held: "left"}


def test_cancelling_what_one_does_not_hold_says_so(wx, db, make_activity):
    visit = make_activity("敬老院慰问", kind="visit", place="市第一敬老院")
    lecture = make_activity("礼仪讲座", kind="lecture", start=utc_now() + timedelta(days=4))
    wx.register(user="holder")
    wx.say(f"报名 {lecture}", user="holder")
    reply = wx.say("取消敬老院", user="holder")
    assert reply == texts.FREE_NOT_HELD.format(id=visit, title="敬老院慰问", action="取消报名")
    assert _places(db, "holder") == {lecture: "confirmed"}


def test_not_found_says_so_and_offers_what_is_near(wx, db, make_activity):
    lecture = make_activity("反诈骗知识讲座", kind="lecture")
    wx.register(user="seeker")
    reply = wx.say("报名太极拳", user="seeker")
    assert reply.startswith(texts.FREE_NOT_FOUND) and f"【{lecture}】" in reply
    assert _places(db, "seeker") == {}


def test_a_list_narrowed_by_day_and_kind(wx, make_activity):
    tomorrow = make_activity("健康知识讲座", kind="lecture", start=utc_now() + timedelta(days=1))
    later = make_activity("法治宣传讲座", kind="lecture", start=utc_now() + timedelta(days=9))
    cleanup = make_activity("楼院义务清扫", kind="cleanup", start=utc_now() + timedelta(days=1, hours=1))
    reply = wx.say("有讲座吗", user="browser")
    assert reply.startswith(texts.FREE_LIST_HEADER.format(count=2))
    assert f"【{tomorrow}】" in reply and f"【{later}】" in reply and f"【{cleanup}】" not in reply


def test_unsure_of_the_request_it_asks_yes_or_no(wx, db, make_activity):
    activity = make_activity("儿童读书会", kind="culture")
    wx.register(user="maybe")
    asked = wx.say("读书会参加", user="maybe")  # `参加` alone is a weak cue
    assert asked.startswith("您是想报名【") and "回复“是”确认" in asked
    assert _places(db, "maybe") == {}
    assert wx.say("中", user="maybe").startswith("报名成功")  # Henan for "OK"
    assert _places(db, "maybe") == {activity: "confirmed"}


def test_someone_else_is_not_signed_up_as_the_sender(wx, db, make_activity):
    make_activity("楼院义务清扫", kind="cleanup")
    wx.register(user="proxy")
    assert wx.say("帮俺老伴也报个名，楼院清扫", user="proxy") == texts.FREE_PROXY
    assert _places(db, "proxy") == {}


def test_a_check_in_code_in_chinese_numerals(wx, db, services, make_activity):
    activity = make_activity("楼道清扫", kind="cleanup", start=utc_now() - timedelta(minutes=10))
    wx.register(user="on-site")
    wx.say(f"报名 {activity}", user="on-site")  # too late to sign up, but a walk-in may check in
    with services.db.transaction() as session:
        session.get(Activity, activity).checkin_code = "952701"
    assert wx.say("签到 九五二七", user="on-site") == texts.CHECKIN_WRONG_CODE  # read as 9527: a wrong code
    assert wx.say("签到九五二七零幺", user="on-site").startswith("签到成功")
    db.expire_all()
    assert db.execute(select(Signup.checked_in_at).where(Signup.activity_id == activity)).scalar_one() is not None


def test_strict_commands_go_straight_through(wx, db, make_activity):
    activity = make_activity("楼院义务清扫", kind="cleanup")
    wx.register(user="strict")
    assert wx.say(f"报名{activity}", user="strict").startswith("报名成功")
    assert wx.say(f"取消 {activity}", user="strict").startswith("已取消")
    assert wx.say("我的报名", user="strict") == texts.MY_SIGNUPS_EMPTY


def test_a_greeting_gets_a_friendly_hint(wx):
    assert wx.say("你好", user="greeter") == texts.FREE_GREETING
    assert wx.say("谢谢你啊", user="greeter") == texts.FREE_THANKS
