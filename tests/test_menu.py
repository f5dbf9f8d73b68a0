"""`flask --app wsgi menu push`: the §3 menu installed through wechatpy, against the local fake WeChat API."""

import pytest

from bot.wechat import menu


def test_menu_push_installs_every_click_key_in_three_buttons(make_app, wechat_api):
    app = make_app(WECHAT_APP_SECRET="secret", WECHAT_API_BASE_URL=wechat_api.url)
    app.extensions["bot"].redis.flushdb()
    result = app.test_cli_runner().invoke(args=["menu", "push"])
    assert result.exit_code == 0, result.output
    [installed] = wechat_api.menus
    top = installed["button"]
    assert 1 <= len(top) <= 3
    keys = []
    for button in top:
        for item in button.get("sub_button") or [button]:
            assert item["type"] == "click"
            keys.append(item["key"])
    assert sorted(keys) == sorted(["EVENTS", "MY_SIGNUPS", "MY_HOURS", "REGISTER", "HELP"])
    assert "近期活动" in str(installed) and "使用帮助" in str(installed)
    assert wechat_api.stats()["calls"].get("stable_token") == 1  # the token came through the shared client


SAME_AS = {"EVENTS": "活动", "MY_SIGNUPS": "我的报名", "MY_HOURS": "时长", "REGISTER": "注册", "HELP": "帮助"}


def test_every_menu_key_is_answered_like_its_text_command(wx, communities):
    keys = [item["key"] for button in menu.definition()["button"] for item in button.get("sub_button") or [button]]
    assert sorted(keys) == sorted(SAME_AS)
    for key in keys:
        clicked = wx.click(key, user=f"click-{key}")
        assert clicked and clicked == wx.say(SAME_AS[key], user=f"text-{key}")


def test_menu_push_reports_wechats_refusal(make_app, wechat_api):
    app = make_app(WECHAT_APP_SECRET="secret", WECHAT_API_BASE_URL=wechat_api.url)
    app.extensions["bot"].redis.flushdb()
    wechat_api.script("menu", 45009)
    result = app.test_cli_runner().invoke(args=["menu", "push"])
    assert result.exit_code != 0 and "45009" in result.output


def test_menu_push_refreshes_a_refused_token_once(make_app, wechat_api):
    app = make_app(WECHAT_APP_SECRET="secret", WECHAT_API_BASE_URL=wechat_api.url)
    app.extensions["bot"].redis.flushdb()
    wechat_api.script("menu", 40001)
    result = app.test_cli_runner().invoke(args=["menu", "push"])
    assert result.exit_code == 0, result.output
    assert len(wechat_api.menus) == 1 and wechat_api.stats()["force_refreshes"] == 1


def test_menu_push_needs_an_app_secret(make_app):
    result = make_app(WECHAT_APP_SECRET="").test_cli_runner().invoke(args=["menu", "push"])
    assert result.exit_code != 0 and "WECHAT_APP_SECRET" in result.output


def test_a_menu_breaking_wechats_limits_is_refused():
    with pytest.raises(ValueError):
        menu.check({"button": [{"type": "click", "name": "帮助", "key": "HELP"}] * 4})
    with pytest.raises(ValueError):
        menu.check({"button": [{"type": "click", "name": "帮助", "key": "NOPE"}]})
