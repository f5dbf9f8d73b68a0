"""`注销` erases a profile after a confirmation; phone numbers never reach a log."""

import logging
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from bot.domain import residents
from bot.runtime.logs import mask_phones
from bot.storage.models import HourEntry, Notice, Resident, Signup, utc_now
from tests.organizer_helpers import make_residents, sign_up_all


def _person(services, resident_id: int) -> Resident:  # type: ignore[no-untyped-def]
    with services.db.transaction() as session:
        return session.get(Resident, resident_id)


def test_erasure_needs_the_confirmation_and_keeps_anonymous_hours(services, wx, communities, make_activity):
    wx.register(name="李四", phone="13912345678", community=2, party=True, employer="西安市第一医院", user="li")
    with services.db.transaction() as session:
        li = session.execute(select(Resident).where(Resident.openid == "li")).scalar_one()
        li_id, volunteer_no = li.id, li.volunteer_no
    past = make_activity(title="义务植树", start=utc_now() - timedelta(days=3))
    with services.db.transaction() as session:
        session.add(HourEntry(resident_id=li_id, activity_id=past, kind="credit", hours=Decimal("2.5")))
    full = make_activity(title="敬老院慰问", capacity=1, start=utc_now() + timedelta(days=4))
    assert "报名成功" in wx.say(f"报名 {full}", user="li")
    waiting = make_residents(services, 1, communities[1])
    sign_up_all(services, waiting, full)  # waits behind 李四

    ask = wx.say("注销", user="li")
    assert "确认注销" in ask and "匿名" in ask
    assert "请回复“确认注销”" in wx.say("好", user="li")  # anything else asks again
    assert _person(services, li_id).erased_at is None
    done = wx.say("确认注销", user="li")
    assert "已注销" in done and "1 个未开始活动的报名已取消" in done

    erased = _person(services, li_id)
    assert erased.erased_at is not None and erased.openid.startswith("erased:") and erased.openid != "li"
    assert (erased.name, erased.phone, erased.employer, erased.volunteer_no) == (None, None, None, None)
    assert not erased.is_party_member and not erased.subscribed and erased.role == "resident"
    with services.db.transaction() as session:
        # The hours stay, attached to the anonymous row; the volunteer number is gone from everywhere.
        assert session.execute(select(HourEntry.hours).where(HourEntry.resident_id == li_id)).scalars().all() == [Decimal("2.5")]
        assert session.execute(select(Resident).where(Resident.volunteer_no == volunteer_no)).first() is None
        statuses = dict(session.execute(select(Signup.resident_id, Signup.status).where(Signup.activity_id == full)).all())
        assert statuses == {li_id: "cancelled", waiting[0]: "confirmed"}  # the waitlist moved up
        promoted = session.execute(select(Notice).where(Notice.resident_id == waiting[0], Notice.kind == "promotion")).scalar_one()
        assert promoted.activity_id == full
    # Nothing noted of the erased person waits to be written back under their WeChat account.
    assert residents.pending_contact(services.redis, "li") == (None, None)
    residents.flush_contacts(services.redis, services.db)
    with services.db.transaction() as session:
        assert session.execute(select(Resident).where(Resident.openid == "li")).first() is None
    # The same WeChat user writing again is a new, unregistered person.
    assert "登记" in wx.say("报名 " + str(full), user="li")
    with services.db.transaction() as session:
        fresh = session.execute(select(Resident).where(Resident.openid == "li")).scalar_one()
        assert fresh.id != li_id and fresh.name is None


def test_exit_keeps_the_profile(services, wx, communities):
    wx.register(user="keep")
    wx.say("注销", user="keep")
    assert "已退出" in wx.say("退出", user="keep")
    assert "请先回复“注销”" in wx.say("确认注销", user="keep")
    with services.db.transaction() as session:
        person = session.execute(select(Resident).where(Resident.openid == "keep")).scalar_one()
        assert person.erased_at is None and person.name == "张三"


def test_nothing_to_erase_for_someone_unregistered(wx, communities):
    assert "无需注销" in wx.say("注销", user="stranger")


def test_pending_notices_of_an_erased_person_are_dropped(services, wx, communities, make_activity):
    wx.register(user="gone")
    activity_id = make_activity(start=utc_now() + timedelta(days=2))
    wx.say(f"报名 {activity_id}", user="gone")
    with services.db.transaction() as session:
        gone = session.execute(select(Resident).where(Resident.openid == "gone")).scalar_one()
        session.add(Notice(key="test:pending", resident_id=gone.id, kind="notify", text="明天见", fields={}, status="pending", attempts=0))
    wx.say("注销", user="gone")
    wx.say("确认注销", user="gone")
    with services.db.transaction() as session:
        notice = session.execute(select(Notice).where(Notice.key == "test:pending")).scalar_one()
        assert (notice.status, notice.reason) == ("dropped", "erased")


def test_mask_phones():
    text = "call 13800138000, +8613912345678 or 137 0000 1111; not 213800138000 nor 1380013800"
    assert mask_phones(text) == "call 138****8000, +86139****5678 or 137****1111; not 213800138000 nor 1380013800"


def test_phone_numbers_never_reach_a_log(app, wx, communities, capfd, caplog):
    caplog.set_level(logging.INFO)
    log = logging.getLogger("some.module")
    log.info("registering %s with phone %s", "张三", "13800138000")
    log.warning("raw message 13912345678 typed by someone")
    try:
        raise ValueError("bad value 13700001111")
    except ValueError:
        log.exception("failed for %s", "15000002222")
    wx.register(name="王五", phone="13612345678")  # through the real webhook too
    captured = caplog.text + capfd.readouterr().err
    for phone in ("13800138000", "13912345678", "13700001111", "15000002222", "13612345678"):
        assert phone not in captured
    assert "138****8000" in captured and "139****5678" in captured and "137****1111" in captured and "150****2222" in captured
