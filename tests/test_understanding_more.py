"""Free text through the real webhook (SPEC §9, §11), on small pinned worlds: a narrowed
list that goes on with `更多`, `签到码…` from a resident, family members named in free text,
one's own community, holidays and `下个月6号`."""

from __future__ import annotations

from sqlalchemy import select

from bot.storage.models import Resident, Signup
from config import texts
from tests import understanding_eval as ev

NOW = "2026-04-23 14:30"  # a Thursday; next week is April 27th to May 3rd


def _world(activities: list[dict], **resident) -> dict:
    spec = {"community": "南乾元社区", "holds": [], "waiting": [], **resident}
    for n, a in enumerate(activities, 1):
        a.setdefault("id", n)
        a.setdefault("end", a["start"][:-5] + "23:00")
        a.setdefault("place", "南乾元社区活动室")
        a.setdefault("community", "南乾元社区")
        a.setdefault("capacity", 10)
        a.setdefault("hours", "2")
    return {"now": NOW, "resident": spec, "activities": activities}


def _places(db, people: dict[str, int]) -> dict[tuple[str, int], str]:  # type: ignore[no-untyped-def]
    whose = {person: name for name, person in people.items()}
    db.expire_all()
    rows = db.execute(select(Signup).where(Signup.resident_id.in_(list(whose)))).scalars()
    return {(whose[s.resident_id], s.activity_id): s.status for s in rows}


def test_more_goes_on_with_the_narrowed_list_not_the_whole_one(wx, services):
    lectures = [{"kind": "lecture", "title": f"第{n}期健康讲座", "start": f"2026-04-{27 + n % 4} {8 + n:02d}:00"} for n in range(13)]
    cleanups = [{"kind": "cleanup", "title": f"楼院清扫{n}", "start": f"2026-04-{27 + n} 07:00"} for n in range(3)]
    world = _world([*lectures, *cleanups])
    with ev.pinned(world):
        ev.build(services, world)
        ev.resident(services, world, "browser")
        first = wx.say("下礼拜有啥讲座", user="browser")
        assert first.startswith(texts.FREE_LIST_HEADER.format(count=10)) and texts.EVENTS_MORE in first
        more = wx.say("更多", user="browser")
        assert more.startswith(texts.FREE_LIST_MORE)
        assert more.count("健康讲座") == 3 and "清扫" not in more  # the rest of the lectures, nothing else
        assert {line for line in first.splitlines() if "讲座" in line}.isdisjoint(more.splitlines())
        assert wx.say("更多", user="browser") == texts.EVENTS_NO_MORE
        wx.say("活动", user="browser")
        assert wx.say("更多", user="browser").startswith(texts.EVENTS_HEADER.format(page=2))  # the whole list pages on


def test_a_resident_writing_the_code_word_checks_in(wx, db, services):
    world = _world(
        [{"kind": "cleanup", "title": "楼道清扫", "start": "2026-04-23 14:00", "end": "2026-04-23 16:00", "code": "386514"}],
        holds=[1],
    )
    with ev.pinned(world):
        ev.build(services, world)
        people = ev.resident(services, world, "arrived")
        assert wx.say("签到码386514签到", user="arrived").startswith("签到成功")
        db.expire_all()
        signup = db.execute(select(Signup).where(Signup.resident_id == people[""])).scalar_one()
        assert signup.checked_in_at is not None
        assert "无权" in wx.say("签到码 1", user="arrived")  # the organizers' command is theirs still


def test_family_members_named_in_free_text_are_signed_up_or_asked_about(wx, db, services):
    world = _world(
        [
            {"kind": "culture", "title": "亲子读书会", "start": "2026-04-26 10:00", "content": "家长和孩子一起读绘本"},
            {"kind": "lecture", "title": "中医养生讲座", "start": "2026-04-24 09:30"},
            {"kind": "cleanup", "title": "背街小巷清扫", "start": "2026-04-25 08:30"},
            {"kind": "cleanup", "title": "熊儿河捡拾垃圾", "start": "2026-05-03 08:00"},
        ],
        family=[{"name": "豆豆", "relation": "child", "born": 2017}, {"name": "李秀兰", "relation": "spouse", "born": 1955}],
    )
    with ev.pinned(world):
        ev.build(services, world)
        people = ev.resident(services, world, "grandpa", family=True)
        reply = wx.say("给俺孙子豆豆报上读书会", user="grandpa")
        assert "豆豆" in reply and "【1】亲子读书会" in reply
        assert _places(db, people) == {("豆豆", 1): "confirmed"}
        wx.say("给俺老伴报个中医讲座", user="grandpa")  # the one spouse among the members
        assert _places(db, people)[("李秀兰", 2)] == "confirmed"
        reply = wx.say("中医讲座给俺也报上", user="grandpa")  # the sender: no "for whom?" question
        assert not reply.startswith("为谁报名") and _places(db, people)[("", 2)] == "confirmed"
        assert wx.say("给小明报上读书会", user="grandpa") == texts.FREE_PROXY  # nobody of that name
        question = wx.say("打扫卫生的给豆豆报上", user="grandpa")  # two cleanups: which one, for 豆豆
        assert question.startswith("您想报名哪一个")
        wx.say("熊儿河那个", user="grandpa")
        assert _places(db, people) == {("豆豆", 1): "confirmed", ("李秀兰", 2): "confirmed", ("", 2): "confirmed", ("豆豆", 4): "confirmed"}
        wx.say("取消豆豆的读书会", user="grandpa")
        assert _places(db, people)[("豆豆", 1)] == "cancelled"


def test_someone_without_family_members_is_pointed_to_adding_them(wx, db, services):
    world = _world([{"kind": "culture", "title": "亲子读书会", "start": "2026-04-26 10:00"}])
    with ev.pinned(world):
        ev.build(services, world)
        people = ev.resident(services, world, "alone")
        assert wx.say("给俺孙子豆豆也报上读书会", user="alone") == texts.FREE_PROXY
        assert _places(db, people) == {}


def test_our_own_community_is_the_one_the_person_registered_in(wx, services):
    world = _world(
        [
            {"kind": "cleanup", "title": "楼院清扫", "start": "2026-04-25 08:30"},
            {"kind": "lecture", "title": "礼仪讲座", "start": "2026-04-26 09:00", "community": "西大街社区", "place": "西大街社区活动室"},
        ]
    )
    with ev.pinned(world):
        ev.build(services, world)
        ev.resident(services, world, "local")
        reply = wx.say("俺们社区有啥活动", user="local")
        assert "楼院清扫" in reply and "礼仪讲座" not in reply


def test_holidays_and_a_day_of_next_month(wx, db, services):
    world = _world(
        [
            {"kind": "culture", "title": "五一文艺汇演", "start": "2026-04-30 19:30"},
            {"kind": "visit", "title": "敬老院送温暖", "start": "2026-05-02 09:00", "place": "管城区敬老院"},
            {"kind": "lecture", "title": "心理健康讲座", "start": "2026-05-06 15:00"},
            {"kind": "lecture", "title": "法律讲堂", "start": "2026-04-29 09:00"},
        ]
    )
    with ev.pinned(world):
        ev.build(services, world)
        people = ev.resident(services, world, "holiday")
        listed = wx.say("五一有啥活动", user="holiday")
        assert "敬老院送温暖" in listed and "五一文艺汇演" in listed and "讲座" not in listed  # the show is named for it
        assert wx.say("下个月六号那个讲座给我报上", user="holiday").startswith("报名成功")
        assert _places(db, people) == {("", 3): "confirmed"}


def test_the_family_fixture_is_what_the_world_says(db, services):
    world = _world([], family=[{"name": "豆豆", "relation": "child", "born": 2017}])
    with ev.pinned(world):
        ev.build(services, world)
        people = ev.resident(services, world, "checked", family=True)
    member = db.get(Resident, people["豆豆"])
    assert member.proxy_id == people[""] and member.name == "豆豆"


def test_not_going_never_confirms_and_a_contest_of_something_else_signs_up_nobody(wx, db, services):
    world = _world(
        [
            {"kind": "lecture", "title": "秋冬养生讲座", "start": "2026-04-28 15:00"},
            {"kind": "culture", "title": "社区广场舞比赛", "start": "2026-04-30 19:00"},
        ],
        holds=[1],
    )
    with ev.pinned(world):
        ev.build(services, world)
        people = ev.resident(services, world, "me")
        wx.say("象棋比赛报一个", user="me")
        assert _places(db, people) == {("", 1): "confirmed"}
        wx.say("养生讲座俺不打算去了", user="me")
        assert _places(db, people) == {("", 1): "cancelled"}
