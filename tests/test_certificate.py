"""The service-record certificate (证明) and its verification (/verify/<code>)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlparse

import pytest

from bot.domain import certificates, hours
from bot.storage.models import utc_now
from tests.ledger_helpers import activity_at, organizer, person

PHONE = "13812345678"


@pytest.fixture
def record(services, communities):  # type: ignore[no-untyped-def]
    """A volunteer with two credited activities (one in a community, one for the whole 街道)."""
    org = organizer(services, community_id=communities[0])
    volunteer = person(services, "vol-1", "张秀兰", community_id=communities[0], phone=PHONE)
    now = utc_now()
    cleanup = activity_at(
        services,
        now - timedelta(days=20),
        title="楼院义务清扫",
        place="南乾元社区3号院",
        content="清扫楼道、院落垃圾",
        community_id=communities[0],
        organizer_id=org,
    )
    lecture = activity_at(
        services, now - timedelta(days=10), title="反诈骗知识讲座", place="街道办三楼会议室", content="协助签到、维持秩序", hours="1.5"
    )
    earlier = now - timedelta(minutes=5)
    with services.db.transaction() as session:
        hours.credit(session, resident_id=volunteer, activity_id=cleanup, hours=Decimal("2"), reason="t", now=earlier)
        hours.credit(session, resident_id=volunteer, activity_id=lecture, hours=Decimal("1.5"), reason="t", now=earlier)
    return volunteer, cleanup, lecture


def _link(wx) -> str:  # type: ignore[no-untyped-def]
    reply = wx.say("证明", user="vol-1")
    match = re.search(r"https?://\S+/records/\S+", reply)
    assert match, reply
    return urlparse(match.group(0)).path


def _verify_path(page: str) -> str:
    match = re.search(r"/verify/([A-Za-z0-9_.\-]+)", page)
    assert match
    return match.group(0)


def test_certificate_carries_the_art7_fields_and_a_code_that_verifies(wx, app, services, record):
    volunteer, cleanup, lecture = record
    client = app.test_client()
    response = client.get(_link(wx))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "志愿服务记录证明" in page and "测试街道办事处" in page  # ORG_NAME of the tests
    assert "张秀兰" in page and "ZY" in page and PHONE not in page and "138****5678" not in page
    art7 = ("楼院义务清扫", "南乾元社区3号院", "清扫楼道、院落垃圾", "南乾元社区", "王组织")
    for field in (*art7, "反诈骗知识讲座", "街道办三楼会议室", "协助签到、维持秩序"):
        assert field in page, field
    assert "累计志愿服务时长 3.5 小时" in page
    assert "@page" in page and "A4" in page
    # Every printed page names its holder; the total is printed once, not at each page's foot.
    assert re.search(r'@bottom-center \{ content: "张秀兰（ZY\d+）志愿服务记录证明　第 " counter\(page\)', page)
    assert "tfoot { display: table-row-group; }" in page

    verify = client.get(_verify_path(page))
    assert verify.status_code == 200
    text = verify.get_data(as_text=True)
    assert "本证明真实有效" in text and "张秀兰" in text and "3.5 小时" in text
    local = utc_now() + timedelta(hours=8)
    assert f"{local.year}年{local.month}月{local.day}日" in text


def test_a_tampered_link_shows_no_certificate(wx, app, record):
    path = _link(wx)
    client = app.test_client()
    token = path.rsplit("/", 1)[1]
    payload, rest = token.split(".", 1)
    other = "Mw" if payload != "Mw" else "NA"  # the id of someone else, unsigned
    # A character inside the signature (the last one may carry only padding bits, which decode the same).
    at = len(token) - 5
    changed = token[:at] + ("A" if token[at] != "A" else "Q") + token[at + 1 :]
    for forged in (f"{other}.{rest}", changed, "1"):
        response = client.get(f"/records/{forged}")
        assert response.status_code == 404
        assert "链接无效" in response.get_data(as_text=True)


def test_a_link_signed_with_another_key_or_expired_is_refused(services, record):
    volunteer = record[0]
    with pytest.raises(certificates.InvalidCertificate):
        certificates.read_link(services.settings.SECRET_KEY, certificates.link_token("not-our-secret", volunteer))
    token = certificates.link_token(services.settings.SECRET_KEY, volunteer)
    assert certificates.read_link(services.settings.SECRET_KEY, token)[0] == volunteer
    with pytest.raises(certificates.InvalidCertificate):
        certificates.read_link(services.settings.SECRET_KEY, token, max_age=-1)


def test_an_edited_verification_code_does_not_verify(wx, app, record):
    client = app.test_client()
    path = _verify_path(client.get(_link(wx)).get_data(as_text=True))
    code = path.rsplit("/", 1)[1]
    payload, signature = code.split(".", 1)
    resident_id, stamp, halves = payload.split("-")
    for forged in (f"{resident_id}-{stamp}-{int(halves) + 20}.{signature}", f"{int(resident_id) + 1}-{stamp}-{halves}.{signature}", "x"):
        response = client.get(f"/verify/{forged}")
        assert response.status_code == 404
        assert "无法核实" in response.get_data(as_text=True)


def test_the_link_keeps_showing_the_record_as_issued(wx, app, services, record):
    volunteer, cleanup, _ = record
    client = app.test_client()
    path = _link(wx)
    first = client.get(path).get_data(as_text=True)
    later = activity_at(services, utc_now() - timedelta(days=2), title="义务植树")
    with services.db.transaction() as session:
        after_issue = utc_now() + timedelta(seconds=5)
        hours.credit(session, resident_id=volunteer, activity_id=later, hours=Decimal("2"), reason="t", now=after_issue)
    again = client.get(path).get_data(as_text=True)
    assert "义务植树" not in again and _verify_path(again) == _verify_path(first)
    verify = client.get(_verify_path(first)).get_data(as_text=True)
    assert "本证明真实有效" in verify and "当前累计 5.5 小时" in verify


def test_no_certificate_without_hours_or_registration(wx, services, communities):
    assert "回复“注册”" in wx.say("证明", user="stranger")
    person(services, "vol-2", community_id=communities[0])
    assert "还没有可以证明的服务时长" in wx.say("证明", user="vol-2")
