"""Check-in and check-out: the window, scans, codes, walk-ins and the organizer's `签到码`."""

from __future__ import annotations

import io
import time
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from PIL import Image

from bot.domain import attendance, checkin_codes
from bot.domain.errors import CheckinRefused, NotRegistered
from bot.storage.models import Activity, Resident, utc_now
from bot.wechat.peer import WeChatPeer
from tests.conftest import Wx
from tests.ledger_helpers import activity_at, organizer, person, sign_up, signup_row

START = utc_now().replace(microsecond=0) + timedelta(days=10)


@pytest.fixture
def site(services, communities):  # type: ignore[no-untyped-def]
    """An activity at START (two hours, capacity 2) and one volunteer with a place."""
    volunteer = person(services, "vol-1", "李四", community_id=communities[0])
    activity_id = activity_at(services, START, capacity=2, community_id=communities[0])
    sign_up(services, volunteer, activity_id)
    return volunteer, activity_id


def _check_in(services, resident_id: int, activity_id: int, now):  # type: ignore[no-untyped-def]
    with services.db.transaction() as session:
        return attendance.check_in(session, session.get(Resident, resident_id), activity_id, now).action


def _check_out(services, resident_id: int, activity_id: int, now):  # type: ignore[no-untyped-def]
    with services.db.transaction() as session:
        return attendance.check_out(session, session.get(Resident, resident_id), activity_id, now).action


def _scan(services, resident_id: int, activity_id: int, now):  # type: ignore[no-untyped-def]
    with services.db.transaction() as session:
        return attendance.scan(session, session.get(Resident, resident_id), activity_id, now).action


# ── the window ─────────────────────────────────────────────────────────────
def test_check_in_opens_exactly_30_minutes_before_start(services, site):
    volunteer, activity_id = site
    with pytest.raises(CheckinRefused, match="还没到签到时间"):
        _check_in(services, volunteer, activity_id, START - timedelta(minutes=30, seconds=1))
    assert signup_row(services, volunteer, activity_id).checked_in_at is None
    assert _check_in(services, volunteer, activity_id, START - timedelta(minutes=30)) == "in"
    assert signup_row(services, volunteer, activity_id).checked_in_at == START - timedelta(minutes=30)


def test_check_in_is_open_until_the_end_and_not_after(services, site, communities):
    volunteer, activity_id = site
    end = START + timedelta(hours=2)
    with pytest.raises(CheckinRefused, match="已过签到时间"):
        _check_in(services, volunteer, activity_id, end + timedelta(seconds=1))
    assert signup_row(services, volunteer, activity_id).checked_in_at is None
    assert _check_in(services, volunteer, activity_id, end) == "in"


def test_second_scan_after_start_checks_out_and_before_start_does_not(services, site):
    volunteer, activity_id = site
    assert _scan(services, volunteer, activity_id, START - timedelta(minutes=10)) == "in"
    assert _scan(services, volunteer, activity_id, START - timedelta(minutes=5)) == "already_in"
    assert signup_row(services, volunteer, activity_id).checked_out_at is None
    assert _scan(services, volunteer, activity_id, START + timedelta(minutes=95)) == "out"
    assert _scan(services, volunteer, activity_id, START + timedelta(minutes=100)) == "already_out"
    row = signup_row(services, volunteer, activity_id)
    assert row.checked_in_at == START - timedelta(minutes=10)
    assert row.checked_out_at == START + timedelta(minutes=95)


def test_check_out_needs_a_check_in_the_start_and_the_window(services, site):
    volunteer, activity_id = site
    with pytest.raises(CheckinRefused, match="还没有签到"):
        _check_out(services, volunteer, activity_id, START + timedelta(minutes=10))
    _check_in(services, volunteer, activity_id, START - timedelta(minutes=20))
    with pytest.raises(CheckinRefused, match="开始后才能签退"):
        _check_out(services, volunteer, activity_id, START - timedelta(minutes=1))
    with pytest.raises(CheckinRefused, match="无需再签退"):
        _check_out(services, volunteer, activity_id, START + timedelta(hours=2, seconds=1))
    assert signup_row(services, volunteer, activity_id).checked_out_at is None
    assert _check_out(services, volunteer, activity_id, START + timedelta(hours=2)) == "out"


# ── who may check in ───────────────────────────────────────────────────────
def test_walk_in_takes_a_free_place(services, site, communities):
    _, activity_id = site
    walker = person(services, "walk-1", "王五", community_id=communities[1])
    with services.db.transaction() as session:
        result = attendance.check_in(session, session.get(Resident, walker), activity_id, START)
        assert result.walk_in
    row = signup_row(services, walker, activity_id)
    assert row.status == "confirmed" and row.checked_in_at == START


def test_walk_in_is_refused_when_full_and_nothing_changes(services, site, communities):
    _, activity_id = site
    other = person(services, "vol-2", "赵六", community_id=communities[0])
    sign_up(services, other, activity_id)  # now 2 of 2 places taken
    walker = person(services, "walk-1", "王五", community_id=communities[1])
    with pytest.raises(CheckinRefused, match="名额已满"):
        _check_in(services, walker, activity_id, START)
    assert signup_row(services, walker, activity_id) is None


def test_waitlisted_person_checks_in_only_into_a_free_place(services, communities):
    activity_id = activity_at(services, START, capacity=1)
    first = person(services, "vol-1", "李四", community_id=communities[0])
    waiting = person(services, "vol-2", "赵六", community_id=communities[0])
    sign_up(services, first, activity_id)
    sign_up(services, waiting, activity_id)
    assert signup_row(services, waiting, activity_id).status == "waitlisted"
    with pytest.raises(CheckinRefused):
        _check_in(services, waiting, activity_id, START)
    assert signup_row(services, waiting, activity_id).checked_in_at is None


def test_unregistered_person_cannot_check_in(services, site):
    _, activity_id = site
    with services.db.transaction() as session:
        stranger = Resident(openid="nobody", role="resident", subscribed=True)
        session.add(stranger)
        session.flush()
        with pytest.raises(NotRegistered):
            attendance.check_in(session, stranger, activity_id, START)


def test_closed_or_cancelled_activity_refuses_check_in(services, site):
    volunteer, activity_id = site
    for status, word in (("cancelled", "停办"), ("closed", "已结束")):
        with services.db.transaction() as session:
            session.get(Activity, activity_id).status = status
        with pytest.raises(CheckinRefused, match=word):
            _check_in(services, volunteer, activity_id, START)


# ── through the chat ───────────────────────────────────────────────────────
@pytest.fixture
def now_activity(services, communities):  # type: ignore[no-untyped-def]
    """An activity that started 20 minutes ago, its organizer and a volunteer with a place."""
    org = organizer(services, community_id=communities[0])
    volunteer = person(services, "vol-1", "李四", community_id=communities[0])
    start = utc_now().replace(microsecond=0) - timedelta(minutes=20)
    activity_id = activity_at(services, start, community_id=communities[0], organizer_id=org)
    sign_up(services, volunteer, activity_id)
    return activity_id, volunteer


def _code_from(reply: str) -> str:
    line = next(line for line in reply.splitlines() if line.startswith("签到码："))
    return line.split("：", 1)[1]


def test_code_check_in_and_out_by_chat(wx, services, now_activity):
    activity_id, volunteer = now_activity
    reply = wx.say(f"签到码 {activity_id}", user="org-1")
    code = _code_from(reply)
    assert len(code) == 6 and code.isdigit()
    assert "/qr/checkin/" in reply
    assert _code_from(wx.say(f"签到码{activity_id}", user="org-1")) == code  # made once

    assert "签到码不正确" in wx.say("签到 000000" if code != "000000" else "签到 111111", user="vol-1")
    assert signup_row(services, volunteer, activity_id).checked_in_at is None
    assert "签到成功" in wx.say(f"签到 {code}", user="vol-1")
    assert "无需重复签到" in wx.say(f"签到 {code}", user="vol-1")
    reply = wx.say(f"签退 {code}", user="vol-1")
    assert "签退成功" in reply
    row = signup_row(services, volunteer, activity_id)
    assert row.checked_in_at is not None and row.checked_out_at is not None


def test_code_needed_after_the_word(wx, now_activity):
    assert "6 位签到码" in wx.say("签到", user="vol-1")


def _scan_at(wx, user: str, scene: str, create_time: int) -> str:  # type: ignore[no-untyped-def]
    # A real second scan comes minutes later; the same CreateTime would be WeChat retrying the first.
    response = wx.post_xml(wx.peer.event_xml(user, "SCAN", scene, create_time=create_time))
    return wx.peer.read_reply(response.data).get("Content", "")


def test_scan_and_scan_to_follow_check_in(wx, services, now_activity, communities):
    activity_id, volunteer = now_activity
    first = int(time.time()) - 60
    reply = _scan_at(wx, "vol-1", f"checkin:{activity_id}", first)
    assert "签到成功" in reply and "再扫一次二维码签退" in reply
    assert "签退成功" in _scan_at(wx, "vol-1", f"checkin:{activity_id}", first + 30)
    walker = person(services, "walk-1", "王五", community_id=communities[0])
    with services.db.transaction() as session:
        session.get(Resident, walker).subscribed = False
    reply = wx.subscribe(f"checkin:{activity_id}", user="walk-1")
    assert "签到成功" in reply and "空余名额" in reply
    with services.db.transaction() as session:
        assert session.get(Resident, walker).subscribed is True
    assert "无法识别" in wx.scan("checkin:abc", user="vol-1")


def test_wrong_codes_are_limited(wx, services, now_activity):
    activity_id, volunteer = now_activity
    code = _code_from(wx.say(f"签到码 {activity_id}", user="org-1"))
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(checkin_codes.MAX_WRONG_CODES):
        assert "签到码不正确" in wx.say(f"签到 {wrong}", user="vol-1")
    assert "错误次数太多" in wx.say(f"签到 {code}", user="vol-1")
    assert signup_row(services, volunteer, activity_id).checked_in_at is None


def test_checkin_code_is_refused_to_residents_and_other_communities(wx, services, now_activity, communities):
    activity_id, _ = now_activity
    assert "无权" in wx.say(f"签到码 {activity_id}", user="vol-1")
    organizer(services, "org-2", "陈组织", community_id=communities[1], scope=communities[1])
    assert "无权" in wx.say(f"签到码 {activity_id}", user="org-2")
    with services.db.transaction() as session:
        assert session.get(Activity, activity_id).checkin_code is None


def test_drawn_qr_image_is_served_and_links_cannot_be_guessed(wx, app, now_activity):
    activity_id, _ = now_activity
    reply = wx.say(f"签到码 {activity_id}", user="org-1")
    url = next(line for line in reply.splitlines() if "/qr/checkin/" in line).split("：", 1)[1]
    path = urlparse(url).path
    client = app.test_client()
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    assert image.size[0] == image.size[1] and image.size[0] >= 200
    token = path.rsplit("/", 1)[1][: -len(".png")]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/qr/checkin/{forged}.png").status_code == 404
    assert client.get(f"/qr/checkin/{activity_id}.png").status_code == 404


# ── WeChat's own parametric QR, through wechatpy, against a local fake API ──
def test_with_an_app_secret_the_qr_is_wechats_parametric_one(make_app, app, services, wechat_api, now_activity):
    activity_id, _ = now_activity
    real = make_app(WECHAT_APP_SECRET="s3cret", WECHAT_API_BASE_URL=wechat_api.url)
    wx = Wx(real, WeChatPeer.from_settings(real.extensions["bot"].settings))
    reply = wx.say(f"签到码 {activity_id}", user="org-1")
    assert "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=gQH47joAAAAAAAAAASxodHRw%2B/%3D" in reply
    creates = [c for c in wechat_api.requests if c[0] == "qrcode"]
    assert len(creates) == 1
    assert creates[0][1]["access_token"] == ["TOKEN-1"]
    assert creates[0][2]["action_name"] == "QR_STR_SCENE"
    assert creates[0][2]["action_info"]["scene"]["scene_str"] == f"checkin:{activity_id}"
    assert 0 < creates[0][2]["expire_seconds"] <= 30 * 86400
    wx.say(f"签到码 {activity_id}", user="org-1")
    assert len([c for c in wechat_api.requests if c[0] == "qrcode"]) == 1  # reused while valid
