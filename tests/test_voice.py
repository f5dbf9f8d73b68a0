"""Voice messages (issue 14): read through WeChat's recognition like typed text, through the
real webhook with signed voice XML as WeChat sends it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.storage.models import Resident, Signup, utc_now
from config import texts


def _places(db, openid: str) -> dict[int, str]:  # type: ignore[no-untyped-def]
    db.expire_all()
    rows = db.execute(select(Signup).join(Resident, Resident.id == Signup.resident_id).where(Resident.openid == openid)).scalars()
    return {s.activity_id: s.status for s in rows}


def test_a_sign_up_by_voice_acts_and_echoes_what_was_heard(wx, db, make_activity):
    cleanup = make_activity("楼院义务清扫", kind="cleanup", capacity=5)
    make_activity("反诈骗知识讲座", kind="lecture", start=utc_now() + timedelta(days=3))
    wx.register(user="talker")
    heard = "嗯那个，楼院清扫给我报个名。"
    reply = wx.speak(heard, user="talker")
    assert reply.startswith("报名成功")
    assert texts.VOICE_HEARD.format(text=heard) in reply
    assert _places(db, "talker") == {cleanup: "confirmed"}


def test_a_voice_request_resting_on_a_bare_number_is_asked_first(wx, db, make_activity):
    activity = make_activity("楼院义务清扫", kind="cleanup")
    wx.register(user="numbers")
    asked = wx.speak(f"报名{activity}。", user="numbers")
    assert asked.startswith("您是想报名【") and "楼院义务清扫" in asked
    assert texts.VOICE_HEARD.format(text=f"报名{activity}。") in asked
    assert _places(db, "numbers") == {}
    assert wx.speak("是的。", user="numbers").startswith("报名成功")
    assert _places(db, "numbers") == {activity: "confirmed"}


def test_a_voice_answer_inside_the_registration_dialog(wx, db, communities):
    assert wx.speak("注册。", user="speaker") == texts.REG_ASK_NAME
    assert wx.speak("张三。", user="speaker") == texts.REG_ASK_PHONE
    wx.speak("13800138000。", user="speaker")
    wx.speak("1。", user="speaker")
    assert "登记完成" in wx.speak("否。", user="speaker")
    db.expire_all()
    person = db.query(Resident).filter_by(openid="speaker").one()
    assert person.name == "张三" and person.phone == "13800138000"  # the recogniser's full stop is not kept


def test_a_voice_answer_to_which_one(wx, db, make_activity):
    first = make_activity("健康知识讲座", kind="lecture", start=utc_now() + timedelta(days=2))
    second = make_activity("法治宣传讲座", kind="lecture", start=utc_now() + timedelta(days=4))
    wx.register(user="chooser")
    question = wx.speak("讲座我想去", user="chooser")
    assert "您想报名哪一个" in question and f"1. 【{first}】" in question and f"2. 【{second}】" in question
    reply = wx.speak("第二个。", user="chooser")
    assert reply.startswith("报名成功") and texts.VOICE_HEARD.format(text="第二个。") in reply
    assert _places(db, "chooser") == {second: "confirmed"}


def test_a_retried_voice_message_has_one_effect_and_the_same_reply(wx, db, make_activity):
    make_activity("楼院义务清扫", kind="cleanup", capacity=5)
    wx.register(user="retry")
    first = wx.speak("报名楼院义务清扫", user="retry", msg_id=987654321)
    again = wx.speak("报名楼院义务清扫", user="retry", msg_id=987654321)
    assert first.startswith("报名成功") and again == first
    assert len(_places(db, "retry")) == 1


def test_a_voice_message_without_recognition_says_how_to_speak_or_type(wx, db, make_activity):
    make_activity()
    wx.register(user="silent")
    assert wx.speak(None, user="silent") == texts.VOICE_UNRECOGNISED  # recognition switched off
    assert wx.speak("", user="silent") == texts.VOICE_UNRECOGNISED  # recognised nothing
    assert wx.speak("。", user="silent") != ""  # punctuation only: still an answer, never silence
    assert _places(db, "silent") == {}


def test_reading_by_voice_needs_no_echo(wx, make_activity):
    make_activity("楼院义务清扫")
    reply = wx.speak("最近有什么活动。", user="browser")
    assert reply.startswith(texts.EVENTS_HEADER.format(page=1)) and "语音识别为" not in reply


def test_the_simulator_sends_voice_messages(app, make_activity):
    """`/voice TEXT` in `make chat` sends a voice message with TEXT as its recognition; `/voice` one without."""
    import threading

    from werkzeug.serving import make_server

    from bot.cli.chat import Simulator

    make_activity("楼院义务清扫")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        simulator = Simulator(app.extensions["bot"].settings, f"http://127.0.0.1:{server.server_port}/wechat", "sim-voice")
        assert simulator.line("/voice 最近有什么活动。").startswith(texts.EVENTS_HEADER.format(page=1))
        assert simulator.line("/voice") == texts.VOICE_UNRECOGNISED
    finally:
        server.shutdown()
        thread.join(timeout=5)
