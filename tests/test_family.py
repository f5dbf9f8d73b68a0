"""Family members (SPEC §11): an adult adds children or parents without WeChat and acts for them."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from sqlalchemy import select, update

from bot.domain import checkin_codes, exports, families, residents, signups
from bot.domain.timefmt import to_local
from bot.runtime import worker
from bot.storage.models import Resident, Signup, utc_now
from config import texts
from jobs import sweeps
from tests.organizer_helpers import make_organizer

THIS_YEAR = to_local(utc_now()).year


def add_member(wx, name: str = "小明", relation: str = "1", year: int | None = None, *, user: str = "parent") -> str:  # type: ignore[no-untyped-def]
    """Run the whole 添加家人 dialog with consent; returns the last reply."""
    wx.say("添加家人", user=user)
    wx.say(name, user=user)
    wx.say(relation, user=user)
    wx.say(str(year or THIS_YEAR - 8), user=user)
    return wx.say("同意", user=user)


def member_row(db, name: str) -> Resident:  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.execute(select(Resident).where(Resident.name == name, Resident.proxy_id.is_not(None))).scalar_one()


@pytest.fixture
def parent(wx, communities):  # type: ignore[no-untyped-def]
    wx.register(name="张三", phone="13800138000", user="parent")
    return "parent"


def test_adding_a_child_records_the_guardians_consent(wx, db, parent):
    assert wx.say("添加家人", user=parent) == texts.FAMILY_ASK_NAME
    assert "是您的" in wx.say("小明", user=parent)
    assert "出生年份" in wx.say("儿子", user=parent)  # a relation word works as well as its number
    assert "监护人" in wx.say(f"{THIS_YEAR - 8}年", user=parent)
    done = wx.say("同意", user=parent)
    assert "已添加家人：小明（子女" in done and "志愿者编号：ZY" in done
    member = member_row(db, "小明")
    proxy = db.execute(select(Resident).where(Resident.openid == parent)).scalar_one()
    assert (member.proxy_id, member.relation, member.birth_year) == (proxy.id, "child", THIS_YEAR - 8)
    assert (member.consent_kind, member.consent_by_id) == ("guardian", proxy.id) and member.consent_at is not None
    assert member.volunteer_no and member.volunteer_no != proxy.volunteer_no
    assert member.community_id == proxy.community_id and not member.subscribed and member.phone is None


def test_an_adult_member_is_added_with_the_proxys_word_that_they_agreed(wx, db, parent):
    wx.say("添加家人", user=parent)
    wx.say("李桂兰", user=parent)
    wx.say("2", user=parent)
    assert "本人已同意" in wx.say("1950", user=parent)
    assert "已添加家人：李桂兰（父母，1950年生）" in wx.say("同意", user=parent)
    assert member_row(db, "李桂兰").consent_kind == "agreed"


def test_refusals_bad_year_bad_relation_duplicate_and_no_consent_change_nothing(wx, db, parent):
    wx.say("添加家人", user=parent)
    assert wx.say("1", user=parent) == texts.FAMILY_BAD_NAME  # a number is no name
    wx.say("小红", user=parent)
    assert wx.say("邻居家的", user=parent) == texts.FAMILY_BAD_RELATION
    wx.say("1", user=parent)
    for bad in ("16", str(THIS_YEAR + 1), "1800", "明年"):
        assert wx.say(bad, user=parent) == texts.FAMILY_BAD_YEAR
    wx.say(str(THIS_YEAR - 5), user=parent)
    assert wx.say("嗯？", user=parent) == texts.FAMILY_CONSENT_AGAIN
    assert wx.say("不同意", user=parent) == texts.FAMILY_NO_CONSENT.format(name="小红")
    assert db.execute(select(Resident).where(Resident.proxy_id.is_not(None))).first() is None
    # 退出 leaves at any step, nothing kept.
    wx.say("添加家人", user=parent)
    wx.say("小红", user=parent)
    assert "已退出" in wx.say("退出", user=parent)
    assert db.execute(select(Resident).where(Resident.proxy_id.is_not(None))).first() is None
    # The same name twice would make `报名 N 小明` ambiguous.
    add_member(wx, "小明", user=parent)
    wx.say("添加家人", user=parent)
    assert wx.say("小明", user=parent) == texts.FAMILY_DUPLICATE_NAME.format(name="小明")


def test_only_a_registered_person_adds_family(wx, communities):
    assert wx.say("添加家人", user="stranger") == texts.FAMILY_REGISTER_FIRST


def test_my_family_lists_them_numbered_and_removing_one_erases_it(wx, db, parent):
    assert wx.say("我的家人", user=parent) == texts.FAMILY_NONE
    add_member(wx, "小明", user=parent)
    add_member(wx, "李桂兰", relation="2", year=1950, user=parent)
    listing = wx.say("我的家人", user=parent)
    assert "1. 小明（子女" in listing and "2. 李桂兰（父母，1950年生）" in listing
    assert "没有序号为 3" in wx.say("删除家人 3", user=parent)
    assert "删除家人 1" in wx.say("删除家人", user=parent)
    assert "已删除家人小明" in wx.say("删除家人 1", user=parent)
    listing = wx.say("我的家人", user=parent)
    assert "小明" not in listing and "1. 李桂兰" in listing
    db.expire_all()
    erased = db.execute(select(Resident).where(Resident.erased_at.is_not(None))).scalar_one()
    assert erased.name is None and erased.birth_year is None and erased.volunteer_no is None


def test_erasing_the_proxy_erases_their_family(wx, db, parent):
    add_member(wx, "小明", user=parent)
    add_member(wx, "李桂兰", relation="2", year=1950, user=parent)
    asked = wx.say("注销", user=parent)
    assert "2 位家人" in asked and "小明" in asked
    assert "已注销" in wx.say("确认注销", user=parent)
    db.expire_all()
    people = db.execute(select(Resident)).scalars().all()
    assert all(p.erased_at is not None and p.name is None for p in people)


def test_another_person_cannot_see_or_remove_someone_elses_family(wx, parent):
    add_member(wx, "小明", user=parent)
    wx.register(name="李四", phone="13900139000", user="neighbour")
    assert wx.say("我的家人", user="neighbour") == texts.FAMILY_NONE
    assert "没有序号为 1" in wx.say("删除家人 1", user="neighbour")
    assert "小明" in wx.say("我的家人", user=parent)




# ── signing up for them ────────────────────────────────────────────────────


def _places(db, activity_id: int) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(name, status) of everyone holding a place or waiting, in sign-up order."""
    db.expire_all()
    rows = db.execute(
        select(Resident.name, Signup.status)
        .join(Signup, Signup.resident_id == Resident.id)
        .where(Signup.activity_id == activity_id, Signup.status.in_(("confirmed", "waitlisted")))
        .order_by(Signup.seq)
    )
    return [tuple(r) for r in rows]


def test_signing_up_everyone_with_two_places_for_three_keeps_the_order(wx, db, parent, make_activity):
    add_member(wx, "小明", user=parent)
    add_member(wx, "李桂兰", relation="2", year=1950, user=parent)
    activity_id = make_activity("儿童读书会", kind="culture", capacity=2)
    asked = wx.say(f"报名 {activity_id}", user=parent)
    assert "为谁报名" in asked and "1. 本人" in asked and "2. 小明" in asked and "3. 李桂兰" in asked and "4. 全部" in asked
    assert _places(db, activity_id) == []  # nothing before the answer
    assert "请回复序号" in wx.say("隔壁老王", user=parent)
    done = wx.say("4", user=parent)
    assert "本人：报名成功" in done and "小明：报名成功" in done and "李桂兰：名额已满，候补第1位" in done
    assert _places(db, activity_id) == [("张三", "confirmed"), ("小明", "confirmed"), ("李桂兰", "waitlisted")]
    mine = wx.say("我的报名", user=parent)
    assert mine.count(f"【{activity_id}】") == 3 and "——小明" in mine and "候补第1位" in mine


def test_naming_the_member_signs_up_only_them_and_cancelling_one_leaves_the_proxys_place(wx, db, parent, make_activity):
    add_member(wx, "小明", user=parent)
    activity_id = make_activity("儿童读书会", kind="culture", capacity=5)
    assert "小明：报名成功" in wx.say(f"报名 {activity_id} 小明", user=parent)
    assert _places(db, activity_id) == [("小明", "confirmed")]
    assert "本人：报名成功" in wx.say(f"报名 {activity_id} 本人", user=parent)
    assert "已报名" in wx.say(f"报名 {activity_id} 小明", user=parent)  # one place per person
    assert "没有找到名为“小红”" in wx.say(f"报名 {activity_id} 小红", user=parent)
    assert "（家人小明）已取消" in wx.say(f"取消 {activity_id} 小明", user=parent)
    assert _places(db, activity_id) == [("张三", "confirmed")]


def test_ages_are_checked_per_person(wx, db, parent, make_activity, services):
    add_member(wx, "小明", user=parent, year=THIS_YEAR - 8)
    add_member(wx, "李桂兰", relation="2", year=1950, user=parent)
    reading = make_activity("儿童读书会", kind="culture", capacity=10, min_age=3, max_age=12)
    done = wx.say(f"报名 {reading} 全部", user=parent)
    assert "小明：报名成功" in done
    assert "李桂兰" in done and "岁，本活动限 3–12 岁" in done
    assert "本活动限 3–12 岁（面向未成年人）" in done  # the proxy: an adult, birth year unknown
    assert _places(db, reading) == [("小明", "confirmed")]
    seniors = make_activity("健康知识讲座", kind="lecture", min_age=60, start=utc_now() + timedelta(days=5))
    done = wx.say(f"报名 {seniors} 全部", user=parent)
    assert "本人：报名成功" in done and "李桂兰：报名成功" in done  # an adult without a birth year is not refused for a minimum
    assert "小明 8 岁，本活动限 60 岁以上" in done


# ── on site, hours and records ─────────────────────────────────────────────


def test_the_proxys_code_checks_the_member_in_and_the_member_gets_hours_record_and_certificate(wx, db, services, parent, make_activity):
    add_member(wx, "小明", user=parent)
    organizer_id = make_organizer(services, "org")
    activity_id = make_activity("儿童读书会", kind="culture", start=utc_now() - timedelta(minutes=10), organizer_id=organizer_id)
    with services.db.transaction() as session:
        member = session.execute(select(Resident).where(Resident.name == "小明")).scalar_one()
        signups.sign_up(session, member.id, activity_id, now=utc_now() - timedelta(minutes=20))  # before the start
        code = checkin_codes.ensure_code(session, activity_id).checkin_code
    roster = wx.say(f"名单 {activity_id}", user="org")
    assert "小明（代报：张三）" in roster and "138****8000" in roster  # whom to call: the proxy
    assert wx.say(f"签到 {code}", user=parent).startswith("（家人小明）签到成功")
    db.expire_all()
    assert db.execute(select(Signup.checked_in_at).where(Signup.activity_id == activity_id)).scalar_one() is not None
    assert "已为 1 人记录服务时长，合计 2 小时" in wx.say(f"结束 {activity_id}", user="org")
    hours_reply = wx.say("时长 小明", user=parent)
    assert "小明（志愿者编号 ZY" in hours_reply and "2 小时" in hours_reply
    assert "没有找到名为“小红”" in wx.say("时长 小红", user=parent)
    rows = list(exports.hours_rows(services.db))
    assert [(r[1], r[10]) for r in rows] == [("小明（代报：张三）", "2.0")]
    # The CSV (on PostgreSQL rendered by the database itself) says the same.
    assert ",小明（代报：张三）," in b"".join(exports.HoursExport(services.db).csv_chunks()).decode()
    link = re.search(r"https?://\S+/records/\S+", wx.say("证明 小明", user=parent)).group(0)
    page = wx.client.get(urlparse(link).path).get_data(as_text=True)
    assert "小明" in page and "张三" not in page  # the certificate names the member, not the proxy


def test_a_reminder_about_a_member_goes_to_the_proxy_and_names_them(make_app, wechat_api, wx, db, parent, make_activity):
    live = make_app(
        WECHAT_APP_SECRET="s3cret",
        WECHAT_API_BASE_URL=wechat_api.url,
        WECHAT_TEMPLATE_REMINDER="TPL-REMINDER",
        SEND_RATE_PER_SECOND="0",
        REMINDER_OFFSETS="3h",
    ).extensions["bot"]
    add_member(wx, "小明", user=parent)  # the proxy has just written: WeChat's 48-hour window is open
    soon = make_activity("儿童读书会", start=utc_now() + timedelta(hours=1), hours_long=0.5)
    later = make_activity("好妈妈课堂", start=utc_now() + timedelta(hours=2), hours_long=0.5)

    def remind(activity_id: int) -> dict:
        with live.db.transaction() as session:
            member = session.execute(select(Resident).where(Resident.name == "小明")).scalar_one()
            signups.sign_up(session, member.id, activity_id, now=utc_now() - timedelta(days=3))
        sweeps.sweep(live)  # the 3 h reminder is due
        worker.build(live).work(burst=True)
        [sent] = wechat_api.delivered()[-1:]
        return sent

    sent = remind(soon)
    assert (sent["channel"], sent["touser"]) == ("custom", parent)
    assert sent["text"].startswith("【家人小明】") and "儿童读书会" in sent["text"]
    # Outside the window, the template names the member in its title.
    with live.db.transaction() as session:
        session.execute(update(Resident).where(Resident.openid == parent).values(last_message_at=utc_now() - timedelta(days=3)))
    sent = remind(later)
    assert (sent["channel"], sent["touser"], sent["template_id"]) == ("template", parent, "TPL-REMINDER")
    assert sent["data"]["thing1"]["value"] == "小明：好妈妈课堂"


# ── at the same time ───────────────────────────────────────────────────────

FAMILIES = 6
SINGLES = 12
RUSH_CAPACITY = 7


def _rush(messages: list[tuple[str, str]], barrier, results) -> None:  # type: ignore[no-untyped-def]
    """In a fresh process: send each (openid, text) from three threads at once, through the webhook."""
    import threading

    from bot.app import create_app
    from bot.wechat.peer import WeChatPeer

    app = create_app()
    peer = WeChatPeer.from_settings(app.extensions["bot"].settings)

    def run(chunk: list[tuple[str, str]]) -> None:
        client = app.test_client()
        for openid, text in chunk:
            request = peer.signed(peer.text_xml(openid, text))
            assert client.post("/wechat", query_string=request.query, data=request.body).status_code == 200

    threads = [threading.Thread(target=run, args=(messages[i::3],)) for i in range(3)]
    barrier.wait()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put(len(messages))


def test_families_and_single_residents_at_once_never_exceed_capacity_and_keep_each_familys_order(services, make_activity, communities):
    import multiprocessing

    now = utc_now()
    with services.db.transaction() as session:
        families_of: dict[int, list[int]] = {}
        for i in range(FAMILIES):
            proxy = residents.get_or_create(session, f"proxy-{i}")
            residents.save_profile(session, proxy, name=f"家长{chr(0x4E00 + i)}", phone=f"1390000{i:04d}",
                                   community_id=communities[0], is_party_member=False, employer=None)  # fmt: skip
            kid = f"孩子{chr(0x4E00 + i)}"
            kids = [families.add(session, proxy, families.NewMember(kid + k, "child", THIS_YEAR - 8), now) for k in "甲乙"]
            families_of[proxy.id] = [proxy.id, *(kid.id for kid in kids)]
        for i in range(SINGLES):
            single = residents.get_or_create(session, f"single-{i}")
            residents.save_profile(session, single, name=f"居民{chr(0x4E00 + i)}", phone=f"1370000{i:04d}",
                                   community_id=communities[0], is_party_member=False, employer=None)  # fmt: skip
    activity_id = make_activity(capacity=RUSH_CAPACITY)
    messages = [(f"proxy-{i}", f"报名 {activity_id} 全部") for i in range(FAMILIES)]
    messages += [(f"single-{i}", f"报名 {activity_id}") for i in range(SINGLES)]
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    processes = [ctx.Process(target=_rush, args=(messages[i::2], barrier, results)) for i in range(2)]
    for p in processes:
        p.start()
    assert sum(results.get(timeout=180) for _ in processes) == len(messages)
    for p in processes:
        p.join(timeout=30)
        assert p.exitcode == 0

    with services.db.transaction() as session:
        rows = session.execute(select(Signup).where(Signup.activity_id == activity_id).order_by(Signup.seq)).scalars().all()
    assert len(rows) == FAMILIES * 3 + SINGLES
    assert sum(1 for s in rows if s.status == "confirmed") == RUSH_CAPACITY
    assert len({s.seq for s in rows}) == len(rows)
    by_person = {s.resident_id: s for s in rows}
    for people in families_of.values():
        seqs = [by_person[p].seq for p in people]
        # One family, one transaction: consecutive places in the order given …
        assert seqs == list(range(seqs[0], seqs[0] + 3))
        # … so nobody later in a family holds a place while someone earlier waits.
        statuses = [by_person[p].status for p in people]
        assert statuses == sorted(statuses)  # "confirmed" sorts before "waitlisted"
    # First come, first served across everyone: places go to the lowest sequence numbers.
    assert [s.status for s in rows] == ["confirmed"] * RUSH_CAPACITY + ["waitlisted"] * (len(rows) - RUSH_CAPACITY)
