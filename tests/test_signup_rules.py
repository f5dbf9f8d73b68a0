"""Sign-up, waitlist and cancellation rules (SPEC §5), through the chat."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.domain import signups
from bot.storage.models import Activity, Notice, Signup, utc_now
from config import texts


def _register(wx, *openids):  # type: ignore[no-untyped-def]
    for i, openid in enumerate(openids):
        assert "登记完成" in wx.register(name=f"居民{chr(0x4E00 + i)}", phone=f"1390000{i:04d}", user=openid)


def _statuses(db, activity_id):  # type: ignore[no-untyped-def]
    db.expire_all()
    rows = db.execute(select(Signup).where(Signup.activity_id == activity_id).order_by(Signup.seq)).scalars()
    return [(s.resident.openid, s.status) for s in rows]


def test_signup_confirms_until_full_then_waitlists_in_order(wx, db, communities, make_activity):
    activity_id = make_activity(capacity=2)
    _register(wx, "a", "b", "c", "d")
    assert "报名成功" in wx.say(f"报名 {activity_id}", user="a")
    assert "报名成功" in wx.say(f"报名{activity_id}", user="b")
    assert "候补第1位" in wx.say(f"报名 {activity_id}", user="c")
    assert "候补第2位" in wx.say(f"报名 {activity_id}", user="d")
    assert _statuses(db, activity_id) == [("a", "confirmed"), ("b", "confirmed"), ("c", "waitlisted"), ("d", "waitlisted")]


def test_one_signup_per_person(wx, db, communities, make_activity):
    activity_id = make_activity(capacity=1)
    _register(wx, "a", "b")
    wx.say(f"报名 {activity_id}", user="a")
    assert "无需重复报名" in wx.say(f"报名 {activity_id}", user="a")
    wx.say(f"报名 {activity_id}", user="b")
    assert "当前第1位" in wx.say(f"报名 {activity_id}", user="b")
    assert db.execute(select(func.count()).select_from(Signup)).scalar_one() == 2


def test_cancel_promotes_first_in_line_and_tells_them(wx, db, communities, make_activity):
    activity_id = make_activity(capacity=1)
    _register(wx, "a", "b", "c")
    for openid in ("a", "b", "c"):
        wx.say(f"报名 {activity_id}", user=openid)
    assert "已取消" in wx.say(f"取消 {activity_id}", user="a")
    assert _statuses(db, activity_id) == [("a", "cancelled"), ("b", "confirmed"), ("c", "waitlisted")]
    notice = db.execute(select(Notice).where(Notice.kind == "promotion")).scalar_one()
    assert notice.resident.openid == "b" and notice.activity_id == activity_id and "有了名额" in notice.text
    assert "候补第1位" in wx.say("我的报名", user="c")
    assert "已报名" in wx.say("我的报名", user="b")


def test_cancelling_a_waitlist_place_promotes_nobody(wx, db, communities, make_activity):
    activity_id = make_activity(capacity=1)
    _register(wx, "a", "b", "c")
    for openid in ("a", "b", "c"):
        wx.say(f"报名 {activity_id}", user=openid)
    assert "已取消" in wx.say(f"取消 {activity_id}", user="b")
    assert _statuses(db, activity_id) == [("a", "confirmed"), ("b", "cancelled"), ("c", "waitlisted")]
    assert "候补第1位" in wx.say("我的报名", user="c")
    assert db.execute(select(func.count()).select_from(Notice)).scalar_one() == 0


def test_signing_up_again_after_cancelling_goes_to_the_end_of_the_line(wx, db, communities, make_activity):
    activity_id = make_activity(capacity=1)
    _register(wx, "a", "b", "c")
    for openid in ("a", "b", "c"):
        wx.say(f"报名 {activity_id}", user=openid)
    wx.say(f"取消 {activity_id}", user="b")
    assert "候补第2位" in wx.say(f"报名 {activity_id}", user="b")


def test_cancel_without_signup_or_after_start_is_refused(wx, db, communities, make_activity):
    activity_id = make_activity(capacity=3)
    _register(wx, "a")
    assert "没有报名" in wx.say(f"取消 {activity_id}", user="a")
    wx.say(f"报名 {activity_id}", user="a")
    db.execute(
        Activity.__table__.update()
        .where(Activity.id == activity_id)
        .values(start_at=utc_now() - timedelta(minutes=5), deadline_at=utc_now() - timedelta(minutes=5))
    )
    db.commit()
    assert "已开始" in wx.say(f"取消 {activity_id}", user="a")
    assert _statuses(db, activity_id) == [("a", "confirmed")]


def test_signups_close_at_the_deadline(wx, db, communities, make_activity):
    closed = make_activity(deadline=utc_now() - timedelta(minutes=1))
    _register(wx, "a")
    assert "报名已截止" in wx.say(f"报名 {closed}", user="a")
    assert _statuses(db, closed) == []


def test_no_two_confirmed_places_in_overlapping_activities(wx, db, communities, make_activity):
    start = utc_now() + timedelta(days=3)
    first = make_activity("义务清扫", start=start, hours_long=2)
    overlapping = make_activity("健康讲座", start=start + timedelta(hours=1), hours_long=2)
    after = make_activity("读书会", start=start + timedelta(hours=2), hours_long=1)
    _register(wx, "a")
    wx.say(f"报名 {first}", user="a")
    reply = wx.say(f"报名 {overlapping}", user="a")
    assert "同一时间" in reply and f"取消 {first}" in reply
    assert "报名成功" in wx.say(f"报名 {after}", user="a")  # back to back is fine
    assert _statuses(db, overlapping) == []


def test_promotion_passes_over_someone_now_busy_elsewhere(wx, db, communities, make_activity):
    start = utc_now() + timedelta(days=3)
    full = make_activity("敬老院慰问", start=start, capacity=1)
    clash = make_activity("文艺汇演", start=start, capacity=5)
    _register(wx, "a", "b", "c")
    wx.say(f"报名 {full}", user="a")
    wx.say(f"报名 {full}", user="b")  # waitlisted
    wx.say(f"报名 {full}", user="c")  # waitlisted
    wx.say(f"报名 {clash}", user="b")  # b now holds an overlapping place
    wx.say(f"取消 {full}", user="a")
    assert _statuses(db, full) == [("a", "cancelled"), ("b", "waitlisted"), ("c", "confirmed")]


def test_cancelled_activity_refuses_signups(wx, db, communities, make_activity):
    activity_id = make_activity()
    db.execute(Activity.__table__.update().where(Activity.id == activity_id).values(status="cancelled"))
    db.commit()
    _register(wx, "a")
    assert "已停办" in wx.say(f"报名 {activity_id}", user="a")


def test_unknown_activity_and_missing_number(wx, communities):
    _register(wx, "a")
    assert "没有编号为 999 的活动" in wx.say("报名 999", user="a")
    # Bare, they are free text (SPEC §9): nothing to choose from here, and it says so.
    assert wx.say("报名", user="a") == texts.FREE_NOTHING_OPEN
    assert wx.say("取消", user="a") == texts.FREE_NONE_HELD.format(action="取消报名")


def test_unregistered_person_registers_first_then_is_signed_up(wx, db, communities, make_activity):
    activity_id = make_activity()
    first = wx.say(f"报名 {activity_id}", user="new")
    assert "先登记" in first and "姓名" in first
    assert _statuses(db, activity_id) == []
    wx.say("李四", user="new")
    wx.say("13912345678", user="new")
    wx.say("2", user="new")
    last = wx.say("否", user="new")
    assert "登记完成" in last and "报名成功" in last
    assert _statuses(db, activity_id) == [("new", "confirmed")]


def test_my_signups_lists_places_and_positions_not_cancelled(wx, communities, make_activity):
    one = make_activity("楼院清扫", capacity=1, start=utc_now() + timedelta(days=1))
    two = make_activity("反诈讲座", capacity=5, start=utc_now() + timedelta(days=4))
    three = make_activity("读书会", capacity=5, start=utc_now() + timedelta(days=6))
    _register(wx, "a", "b")
    assert "没有报名" in wx.say("我的报名", user="b")
    wx.say(f"报名 {one}", user="a")
    wx.say(f"报名 {one}", user="b")
    wx.say(f"报名 {two}", user="b")
    wx.say(f"报名 {three}", user="b")
    wx.say(f"取消 {three}", user="b")
    reply = wx.say("我的报名", user="b")
    assert f"【{one}】" in reply and "候补第1位" in reply
    assert f"【{two}】" in reply and "已报名" in reply
    assert f"【{three}】" not in reply
    assert reply.index(f"【{one}】") < reply.index(f"【{two}】")  # soonest first
    assert wx.click("MY_SIGNUPS", user="b") == reply


def test_domain_is_callable_without_a_chat(services, communities, make_activity):
    """SPEC §9: every rule callable without a message (the web console will)."""
    from bot.domain import residents

    activity_id = make_activity(capacity=1)
    with services.db.transaction() as session:
        person = residents.get_or_create(session, "console-made")
        residents.save_profile(
            session, person, name="王五", phone="13700000000", community_id=communities[0], is_party_member=False, employer=None
        )
        result = signups.sign_up(session, person.id, activity_id)
        assert result.confirmed and result.position == 0
