"""The 注册 dialog: validation, editing, leaving, party members."""

from __future__ import annotations

from bot.storage.models import Resident
from config import texts


def _resident(db, openid="user-1"):  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.query(Resident).filter_by(openid=openid).one_or_none()


def test_registration_stores_a_validated_profile(wx, db, communities):
    assert "姓名" in wx.say("注册")
    assert "2–20" in wx.say("张")  # too short: asked again
    assert "手机号" in wx.say("张三")
    assert "11 位" in wx.say("12345")
    assert "1 开头" in wx.say("23800138000")
    reply = wx.say("138 0013 8000")
    assert "1. 南乾元社区" in reply and "5. 夕阳楼社区" in reply
    assert "序号" in wx.say("9")
    assert "党员" in wx.say("南学街")  # by name too
    assert "是" in wx.say("也许")
    done = wx.say("否")
    assert "登记完成" in done and "138****8000" in done and "13800138000" not in done
    person = _resident(db)
    assert person.name == "张三" and person.phone == "13800138000"
    assert person.community.name == "南学街社区" and person.is_party_member is False and person.employer is None
    assert person.volunteer_no.startswith("ZY") and person.registered_at is not None


def test_party_member_gives_employer(wx, db, communities):
    done = wx.register(name="赵党员", phone="13612345678", community=4, party=True, employer="西安市第三中学")
    assert "在职单位：西安市第三中学" in done
    person = _resident(db)
    assert person.is_party_member and person.employer == "西安市第三中学"


def test_leaving_the_dialog_at_any_step_changes_nothing(wx, db, communities):
    for steps in ([], ["张三"], ["张三", "13800138000"], ["张三", "13800138000", "1"]):
        wx.say("注册", user="quitter")
        for answer in steps:
            wx.say(answer, user="quitter")
        assert "已退出" in wx.say("退出", user="quitter")
        person = _resident(db, "quitter")
        assert person.registered_at is None and person.name is None
    assert "没有进行中" in wx.say("退出", user="quitter")
    # After leaving, text is read as commands again.
    assert wx.say("活动", user="quitter") == texts.EVENTS_EMPTY


def test_running_it_again_edits_and_keeps_values(wx, db, communities):
    wx.register(name="张三", phone="13800138000", community=1)
    number = _resident(db).volunteer_no
    assert "当前姓名：张三" in wx.say("登记")
    assert "138****8000" in wx.say("不变")
    wx.say("13900001111")
    wx.say("不变")
    done = wx.say("是")
    assert "在职单位" in done  # becoming a party member asks the employer
    wx.say("街道卫生院")
    person = _resident(db)
    assert (person.name, person.phone, person.community.name) == ("张三", "13900001111", "南乾元社区")
    assert person.is_party_member and person.employer == "街道卫生院"
    assert person.volunteer_no == number  # the number never changes


def test_menu_register_click_starts_the_dialog(wx, communities):
    assert "姓名" in wx.click("REGISTER")


def test_help_depends_on_role(wx, services, communities):
    from bot.domain import residents

    resident_help = wx.say("帮助")
    assert "报名" in resident_help and "群发" not in resident_help
    assert wx.say("菜单") == resident_help == wx.say("?") == wx.say("？") == wx.click("HELP")
    with services.db.transaction() as session:
        residents.grant_role(session, "user-1", "organizer")
    assert "群发" in wx.say("帮助")
