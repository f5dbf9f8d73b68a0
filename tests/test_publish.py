"""The `发布` dialog: every step, asking again on bad answers, the confirmation, `退出` anywhere."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.domain import publishing
from bot.domain.errors import Forbidden
from bot.domain.timefmt import to_local
from bot.runtime import queue
from bot.storage.models import Activity, Resident
from config import texts
from tests.organizer_helpers import counts, make_organizer


def _activities(services) -> list[Activity]:  # type: ignore[no-untyped-def]
    with services.db.transaction() as session:
        return list(session.execute(select(Activity).order_by(Activity.id)).scalars())


def _answers_until_community(org):  # type: ignore[no-untyped-def]
    assert "请选择类型" in org.say("发布")
    assert "标题" in org.say("1")
    assert "活动时间" in org.say("楼院义务清扫")
    assert "地点" in org.say("明天上午9点到11点")
    assert "名额" in org.say("南乾元社区3号院")
    assert "服务时长" in org.say("20人")
    return org.say("2")


def test_an_organizer_publishes_with_every_answer_confirmed(services, wx, communities):
    organizer_id = make_organizer(services, "org")
    org = wx.as_user("org")
    ask_community = _answers_until_community(org)
    assert "全街道" in ask_community and "1. 南乾元社区" in ask_community
    assert org.say("1") == texts.PUBLISH_ASK_AGES
    summary = org.say("不限")
    for shown in ("志愿清扫", "楼院义务清扫", "09:00 – 11:00", "南乾元社区3号院", "20 人", "2 小时"):
        assert shown in summary
    for shown in ("社区：南乾元社区", "年龄：不限", "确认"):
        assert shown in summary
    assert _activities(services) == []  # nothing saved before 确认
    done = org.say("确认")
    assert "已发布活动" in done
    [activity] = _activities(services)
    assert f"【{activity.id}】" in done
    assert activity.kind == "cleanup" and activity.title == "楼院义务清扫" and activity.place == "南乾元社区3号院"
    assert activity.capacity == 20 and activity.hours == Decimal("2") and activity.community_id == communities[0]
    assert activity.organizer_id == organizer_id and activity.status == "published"
    local_start = to_local(activity.start_at)
    assert (local_start.hour, local_start.minute) == (9, 0) and activity.end_at - activity.start_at == timedelta(hours=2)
    assert activity.deadline_at == activity.start_at
    assert (activity.min_age, activity.max_age) == (None, None)
    # Its reminders are scheduled by the worker (the sweep would create them anyway).
    scheduled = [j for j in queue.get(services.redis).get_jobs() if j.func_name == queue.SCHEDULE_REMINDERS]
    assert [j.args for j in scheduled] == [[activity.id]]
    assert "楼院义务清扫" in wx.say("活动", user="someone")  # residents see it at once


def test_publishing_for_the_whole_subdistrict(services, wx, communities):
    make_organizer(services, "org")
    org = wx.as_user("org")
    _answers_until_community(org)
    org.say(str(len(communities) + 1))
    assert "社区：全街道" in org.say("不限")
    org.say("确认")
    [activity] = _activities(services)
    assert activity.community_id is None


def test_anything_but_confirm_asks_again_and_saves_nothing(services, wx, communities):
    make_organizer(services, "org")
    org = wx.as_user("org")
    _answers_until_community(org)
    org.say("2")
    org.say("不限")
    again = org.say("好的")
    assert "请回复“确认”" in again and "楼院义务清扫" in again
    assert _activities(services) == []
    assert "已发布" in org.say("确认")


def test_bad_answers_are_asked_again(services, wx, communities):
    make_organizer(services, "org")
    org = wx.as_user("org")
    org.say("发布")
    assert "请回复类型序号" in org.say("9")
    assert "标题" in org.say("讲座")  # by name
    assert "2–30" in org.say("讲")
    org.say("反诈骗知识讲座")
    assert "歧义" in org.say("2点到4点")
    assert "已经过去" in org.say("2020-01-01 09:00-10:00")
    assert "结束时间" in org.say("明天上午9点")
    assert "地点" in org.say("周六 14:30-16:00")
    assert "2–60" in org.say("x")
    org.say("南顺城街社区活动室")
    assert "整数" in org.say("很多")
    assert "整数" in org.say("0")
    hours_question = org.say("40")
    assert "“1.5”" in hours_question  # suggested from 14:30–16:00
    assert "0.5 的倍数" in org.say("1.2")
    assert "所属社区" in org.say("1.5")
    assert "列表中的序号" in org.say("99")
    assert org.say("南顺城街") == texts.PUBLISH_ASK_AGES
    assert org.say("老人") == texts.PUBLISH_BAD_AGES
    assert org.say("12-3") == texts.PUBLISH_BAD_AGES  # the minimum above the maximum
    summary = org.say("60岁以上")
    assert "年龄：60 岁以上" in summary
    assert "讲座" in summary and "14:30 – 16:00" in summary and "1.5 小时" in summary and "40 人" in summary
    org.say("确认")
    [activity] = _activities(services)
    assert activity.kind == "lecture" and activity.community_id == communities[1]
    assert (activity.min_age, activity.max_age) == (60, None)


@pytest.mark.parametrize("steps", range(9))
def test_exit_leaves_at_every_step(services, wx, communities, steps):
    make_organizer(services, "org")
    org = wx.as_user("org")
    answers = ["发布", "1", "楼院义务清扫", "明天上午9点到11点", "南乾元社区3号院", "20", "2", "1", "3-12"][: steps + 1]
    for answer in answers:
        org.say(answer)
    assert "已退出" in org.say("退出")
    assert _activities(services) == []
    assert "已发布" not in org.say("确认")
    assert _activities(services) == []


def test_a_scoped_organizer_is_not_asked_and_publishes_for_their_own_community(services, wx, communities):
    make_organizer(services, "scoped", community_id=communities[2])
    org = wx.as_user("scoped")
    org.say("发布")
    for answer in ("2", "健康知识讲座", "明天下午2点到4点", "南学街社区卫生服务站", "50"):
        org.say(answer)
    assert org.say("2") == texts.PUBLISH_ASK_AGES  # hours, then no community question
    summary = org.say("3到12岁")
    assert "社区：南学街社区" in summary and "年龄：3–12 岁" in summary and "确认" in summary
    org.say("确认")
    [activity] = _activities(services)
    assert activity.community_id == communities[2] and (activity.min_age, activity.max_age) == (3, 12)


def test_publishing_is_refused_for_residents_and_for_another_community(services, wx, communities, db):
    make_organizer(services, "scoped", community_id=communities[2])
    before = counts(services)
    assert "无权" in wx.say("发布", user="resident")
    assert "无权" in wx.say("发布活动", user="resident")
    assert counts(services) == before
    # The dialog never offers a scoped organizer another community; the domain refuses it too.
    scoped = db.execute(select(Resident).where(Resident.openid == "scoped")).scalar_one()
    draft = publishing.Draft(
        kind="cleanup", title="义务清扫", place="西大街", capacity=5, hours=Decimal(2), community_id=communities[0]
    )
    when = publishing.read_time("明天上午9点到11点", publishing.utc_now())
    draft.start, draft.end = when.start, when.end
    with pytest.raises(Forbidden) as refused:
        publishing.publish(db, scoped, draft)
    assert "无权" in refused.value.message
    draft.community_id = None  # nor the whole subdistrict
    with pytest.raises(Forbidden):
        publishing.publish(db, scoped, draft)
    db.rollback()
    assert counts(services) == before


def test_a_dialog_outliving_the_start_asks_for_a_new_time(services, wx, communities):
    make_organizer(services, "org")
    org = wx.as_user("org")
    _answers_until_community(org)
    org.say("1")
    org.say("不限")
    conversation = org.app.extensions["bot"]
    from bot.chat.conversation import ConversationStore

    store = ConversationStore(conversation.redis, "org", 600)
    state = store.get()
    state.data["start"] = (publishing.utc_now() - timedelta(minutes=1)).isoformat()
    store.set(state.name, state.state, state.data)
    assert "重新输入活动时间" in org.say("确认")
    assert "地点" in org.say("后天上午9点到11点")
