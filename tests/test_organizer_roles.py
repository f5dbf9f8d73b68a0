"""Roles: `invite organizer` makes a one-time code, `绑定 CODE` redeems it once, before it expires."""

import logging
import threading
from datetime import timedelta

from sqlalchemy import select

from bot.domain import invites, residents
from bot.storage.models import Invite, Resident, utc_now
from tests.organizer_helpers import make_organizer


def _invite(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["invite", "organizer", *args])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def _role(services, openid: str) -> tuple[str, int | None]:
    residents.flush_contacts(services.redis, services.db)  # the sweep's job: a first contact's row
    with services.db.transaction() as session:
        person = session.execute(select(Resident).where(Resident.openid == openid)).scalar_one()
        return person.role, person.role_community_id


def test_invite_then_bind_makes_an_organizer_who_sees_the_organizer_help(app, services, wx, communities):
    code = _invite(app)
    assert len(code) == 8
    assert "工作人员命令" not in wx.say("帮助", user="leader")
    reply = wx.say(f"绑定 {code}", user="leader")
    assert "绑定成功" in reply and "全街道" in reply
    assert _role(services, "leader") == ("organizer", None)
    assert "工作人员命令" in wx.say("帮助", user="leader")


def test_invite_scoped_to_a_community(app, services, wx, communities):
    code = _invite(app, "--community", "南学街社区")
    reply = wx.say(f"绑定 {code.lower()}", user="leader")  # typed in lower case: still the code
    assert "南学街社区" in reply
    assert _role(services, "leader") == ("organizer", communities[2])


def test_invite_for_an_unknown_community_is_refused(app):
    result = app.test_cli_runner().invoke(args=["invite", "organizer", "--community", "不存在社区"])
    assert result.exit_code != 0


def test_a_code_works_once(app, services, wx, communities):
    code = _invite(app)
    assert "绑定成功" in wx.say(f"绑定 {code}", user="first")
    assert "已被使用" in wx.say(f"绑定 {code}", user="second")
    assert _role(services, "second") == ("resident", None)


def test_an_expired_code_is_refused(services, wx, communities):
    with services.db.transaction() as session:
        code = invites.create(session, now=utc_now() - invites.INVITE_TTL - timedelta(minutes=1)).code
    assert "已过期" in wx.say(f"绑定 {code}", user="late")
    assert _role(services, "late") == ("resident", None)


def test_a_code_just_before_expiry_still_works(services, wx, communities):
    with services.db.transaction() as session:
        code = invites.create(session, now=utc_now() - invites.INVITE_TTL + timedelta(minutes=1)).code
    assert "绑定成功" in wx.say(f"绑定 {code}", user="ontime")


def test_unknown_code_and_missing_code(wx, communities):
    assert "不正确" in wx.say("绑定 ZZZZZZZZ", user="guess")
    assert "邀请码" in wx.say("绑定", user="guess")


def test_the_same_code_sent_by_many_people_at_once_makes_one_organizer(app, services, wx, communities):
    code = _invite(app)
    replies: dict[str, str] = {}
    barrier = threading.Barrier(8)

    def redeem(openid: str) -> None:
        peer = wx.as_user(openid)
        barrier.wait()
        replies[openid] = peer.say(f"绑定 {code}")

    threads = [threading.Thread(target=redeem, args=(f"racer-{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [o for o, r in replies.items() if "绑定成功" in r]
    assert len(winners) == 1, replies
    assert all("已被使用" in r for o, r in replies.items() if o not in winners)
    with services.db.transaction() as session:
        organizers = session.execute(select(Resident.openid).where(Resident.role == "organizer")).scalars().all()
        invite = session.execute(select(Invite)).scalar_one()
        assert organizers == winners
        assert invite.redeemed_by_id is not None


def test_an_admin_keeps_the_admin_role(app, services, wx, communities):
    make_organizer(services, "boss", role="admin")
    code = _invite(app)
    assert "管理员" in wx.say(f"绑定 {code}", user="boss")
    assert _role(services, "boss") == ("admin", None)


def test_grant_and_revoke_from_the_cli(app, services, wx, communities):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["users", "grant", "cli-org", "organizer", "--community", "西大街社区"]).exit_code == 0
    assert _role(services, "cli-org") == ("organizer", communities[3])
    assert runner.invoke(args=["users", "revoke", "cli-org"]).exit_code == 0
    assert "无权" in wx.say("名单 1", user="cli-org")


def test_a_refusal_is_logged(wx, communities, caplog):
    with caplog.at_level(logging.WARNING, logger="bot.domain.roles"):
        assert "无权" in wx.say("发布", user="nobody")
    assert any("refused 发布" in r.getMessage() for r in caplog.records)
