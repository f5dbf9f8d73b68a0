"""Signing in to the console from WeChat (SPEC §10): the code, the QR, the session's life,
and every refusal — no session, a resident, a reused or expired code, guessing, revoking."""

from __future__ import annotations

import time

import pytest

from bot.domain import console_login
from bot.storage.keys import key
from tests.console_helpers import BROWSER, csrf_token, login_code, sign_in
from tests.organizer_helpers import make_organizer

PAGES = [
    "/console/",
    "/console/activities",
    "/console/activities/new",
    "/console/activities/1",
    "/console/activities/1/sign-in-sheet",
    "/console/activities/1/display",
    "/console/hours",
    "/console/broadcasts",
    "/console/people",
    "/console/exports",
    "/console/exports/hours.csv",
    "/console/exports/hours.xlsx",
    "/console/audit",
]


@pytest.mark.parametrize("path", PAGES)
def test_without_a_session_every_page_sends_you_to_the_login_page(app, path):
    response = app.test_client().get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/login"


def test_an_htmx_request_without_a_session_is_told_to_go_to_the_login_page(app):
    response = app.test_client().get("/console/charts/hours-by-month", headers={"HX-Request": "true"})
    assert response.status_code == 401 and response.headers["HX-Redirect"] == "/console/login"


def test_an_organizer_signs_in_by_sending_the_code_and_the_page_moves_on(app, wx, services, communities):
    make_organizer(services, "org", name="王组织")
    client = app.test_client()
    page = client.get("/console/login", headers={"User-Agent": BROWSER}).get_data(as_text=True)
    assert '<meta name="renderer" content="webkit">' in page
    code = login_code(client)
    assert client.get("/console/login/status").status_code == 204  # waiting
    reply = wx.say(f"登录{code}", user="org")
    assert "已登录工作台" in reply and "Chrome 120 · Windows" in reply and "退出登录" in reply
    status = client.get("/console/login/status")
    assert status.status_code == 200 and status.headers["HX-Redirect"] == "/console/"
    cookie = status.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie  # development: plain http
    dashboard = client.get("/console/")
    assert dashboard.status_code == 200 and "王组织" in dashboard.get_data(as_text=True)
    # The approval is picked up once: a second poll starts nothing new.
    assert client.get("/console/login/status").status_code == 286


def test_the_code_is_bound_to_the_browser_that_showed_it(app, wx, services, communities):
    make_organizer(services, "org")
    shown = app.test_client()
    other = app.test_client()
    code = login_code(shown)
    login_code(other)  # the other browser has its own challenge
    wx.say(f"登录 {code}", user="org")
    assert other.get("/console/login/status").status_code == 204
    assert other.get("/console/").status_code == 302
    assert shown.get("/console/login/status").status_code == 200


def test_a_resident_is_refused_and_the_browser_stays_signed_out(app, wx, services, communities):
    client = app.test_client()
    code = login_code(client)
    wx.register(user="someone")
    assert "无权" in wx.say(f"登录 {code}", user="someone")
    assert client.get("/console/login/status").status_code == 204
    assert client.get("/console/").status_code == 302
    # The code was not spent by the refusal: an organizer can still use it.
    make_organizer(services, "org")
    assert "已登录工作台" in wx.say(f"登录 {code}", user="org")


def test_a_code_works_once(app, wx, services, communities):
    make_organizer(services, "org")
    make_organizer(services, "org2", name="李组织")
    client = app.test_client()
    code = login_code(client)
    assert "已登录工作台" in wx.say(f"登录 {code}", user="org")
    assert "不对或已过期" in wx.say(f"登录 {code}", user="org2")
    assert "不对或已过期" in wx.say(f"登录 {code}", user="org")
    client.get("/console/login/status")
    assert len(services.redis.keys(key("console", "session", "*"))) == 1


def test_a_code_expires_after_its_time(app, wx, services, communities, monkeypatch):
    make_organizer(services, "org")
    monkeypatch.setattr(console_login, "CODE_TTL", 1)
    client = app.test_client()
    code = login_code(client)
    time.sleep(1.3)
    assert "不对或已过期" in wx.say(f"登录 {code}", user="org")
    expired = client.get("/console/login/status")
    assert expired.status_code == 286 and "已过期" in expired.get_data(as_text=True)
    assert client.get("/console/").status_code == 302


def test_the_default_code_lifetime_is_two_minutes(app, services):
    client = app.test_client()
    code = login_code(client)
    ttl = services.redis.ttl(key("console", "code", code))
    assert 110 <= ttl <= 120


def test_wrong_codes_are_limited_per_person(app, wx, services, communities):
    make_organizer(services, "org")
    client = app.test_client()
    code = login_code(client)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(console_login.MAX_WRONG_CODES):
        assert "不对或已过期" in wx.say(f"登录 {wrong}", user="org")
    assert "太多" in wx.say(f"登录 {code}", user="org")  # even the right one now waits
    assert client.get("/console/login/status").status_code == 204
    make_organizer(services, "org2")
    assert "已登录工作台" in wx.say(f"登录 {code}", user="org2")  # someone else is not held up


def test_new_codes_are_limited_per_address(app, services):
    client = app.test_client()
    for _ in range(console_login.MAX_CHALLENGES_PER_IP):
        assert client.get("/console/login").status_code == 200
    refused = client.get("/console/login")
    assert refused.status_code == 429 and "过于频繁" in refused.get_data(as_text=True)
    other = app.test_client().get("/console/login", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200


def test_saying_logout_in_chat_ends_every_console_session(app, wx, services, communities):
    make_organizer(services, "org")
    first = sign_in(app, wx, "org")
    second = sign_in(app, wx, "org")
    assert first.get("/console/").status_code == 200 and second.get("/console/").status_code == 200
    assert "已退出 2 个工作台登录" in wx.say("退出登录", user="org")
    assert first.get("/console/").status_code == 302 and second.get("/console/").status_code == 302
    assert "没有登录中的工作台" in wx.say("退出登录", user="org")


def test_logging_out_ends_this_session_only_and_needs_the_token(app, wx, services, communities):
    make_organizer(services, "org")
    client = sign_in(app, wx, "org")
    other = sign_in(app, wx, "org")
    assert client.post("/console/logout").status_code == 400  # no CSRF token: refused, still signed in
    assert client.get("/console/").status_code == 200
    token = csrf_token(client)
    out = client.post("/console/logout", data={"csrf_token": token})
    assert out.status_code == 302 and out.headers["Location"] == "/console/login"
    assert client.get("/console/").status_code == 302
    assert other.get("/console/").status_code == 200


def test_taking_the_role_away_ends_the_session_at_the_next_request(app, wx, services, communities):
    make_organizer(services, "org")
    client = sign_in(app, wx, "org")
    assert client.get("/console/").status_code == 200
    with services.db.transaction() as session:
        from bot.domain import residents

        residents.revoke_role(session, "org")
    assert client.get("/console/").status_code == 302
    assert services.redis.keys(key("console", "session", "*")) == []


def test_sessions_end_after_two_idle_hours_or_twelve_hours_in_all(services, communities):
    make_organizer(services, "org")
    redis = services.redis
    live = console_login._open_session(redis, 1, "Chrome", "127.0.0.1")
    start = live.created
    assert console_login.load(redis, live.sid, start + 3600) is not None  # an hour idle: still there (and touched)
    assert console_login.load(redis, live.sid, start + 3600 + console_login.SESSION_IDLE + 1) is None  # then two idle hours
    live = console_login._open_session(redis, 1, "Chrome", "127.0.0.1")
    start = live.created
    for hour in range(1, 12):  # busy all day: never idle, yet over at twelve hours
        assert console_login.load(redis, live.sid, start + hour * 3600) is not None
    assert console_login.load(redis, live.sid, start + console_login.SESSION_ABSOLUTE) is None
    # The Redis entry itself expires after two idle hours.
    live = console_login._open_session(redis, 1, "Chrome", "127.0.0.1")
    assert 0 < redis.ttl(key("console", "session", live.sid)) <= console_login.SESSION_IDLE


def test_in_production_the_cookie_is_secure_and_the_qr_logs_in_too(make_app, test_env, wechat_api, services, communities):
    app = make_app(
        APP_ENV="production",
        WECHAT_APP_SECRET="s3cret",
        WECHAT_API_BASE_URL=wechat_api.url,
        DATABASE_URL=test_env["DATABASE_URL"],
        REDIS_URL=test_env["REDIS_URL"],
        WECHAT_TOKEN=test_env["WECHAT_TOKEN"],
        WECHAT_APP_ID=test_env["WECHAT_APP_ID"],
        SECRET_KEY="prod-secret",
    )
    make_organizer(services, "org")
    from bot.wechat.peer import WeChatPeer
    from tests.conftest import Wx

    wx = Wx(app, WeChatPeer.from_settings(app.extensions["bot"].settings))
    client = app.test_client()
    page = client.get("/console/login", base_url="https://console.example", headers={"User-Agent": BROWSER})
    html = page.get_data(as_text=True)
    assert "showqrcode?ticket=" in html
    [create] = [body for endpoint, _, body in wechat_api.requests if endpoint == "qrcode"]
    assert create["action_name"] == "QR_STR_SCENE"
    scene = create["action_info"]["scene"]["scene_str"]
    assert scene.startswith("login:") and len(scene.split(":", 1)[1]) >= 22  # 16 random bytes, base64: 128 bits
    assert "无权" in wx.scan(scene, user="a-resident")  # refused, and the QR is still good
    reply = wx.scan(scene, user="org")
    assert "已登录工作台" in reply
    # The QR works once (a scan a second later: not WeChat's retry of the same event).
    again = wx.peer.event_xml("org", "SCAN", scene, create_time=int(time.time()) + 1)
    assert "已过期或已使用" in wx.peer.read_reply(wx.post_xml(again).data)["Content"]
    status = client.get("/console/login/status", base_url="https://console.example")
    assert status.status_code == 200
    assert "Secure" in status.headers["Set-Cookie"]
