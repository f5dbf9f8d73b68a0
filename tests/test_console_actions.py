"""What organizers change through the console: each goes through the chat's domain calls and
sends the same notices, is written to the audit log, refuses a POST without its CSRF token
(400, nothing changed), and refuses another community's activity (404, nothing changed)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bot.domain.timefmt import to_local
from bot.storage.models import Activity, AuditEntry, Broadcast, Dispute, HourEntry, Notice, Signup, utc_now
from tests.console_helpers import csrf_token, post, sign_in
from tests.ledger_helpers import person, sign_up
from tests.organizer_helpers import make_organizer, make_residents


def _local(moment) -> str:  # type: ignore[no-untyped-def]
    return f"{to_local(moment):%Y-%m-%dT%H:%M}"


def _count(services, model, *where) -> int:  # type: ignore[no-untyped-def]
    with services.db.transaction() as session:
        return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def _audit(services, action: str) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    with services.db.transaction() as session:
        return list(session.execute(select(AuditEntry).where(AuditEntry.action == action)).scalars())


def _activity(services, activity_id: int) -> Activity:  # type: ignore[no-untyped-def]
    with services.db.transaction() as session:
        return session.get(Activity, activity_id)


@pytest.fixture
def office(services, communities, make_activity):  # type: ignore[no-untyped-def]
    make_organizer(services, "admin", role="admin", name="赵管理")
    make_organizer(services, "org1", communities[0], name="王组织")
    a = person(services, "p-a", "张三", community_id=communities[0], phone="13800138000")
    b = person(services, "p-b", "李四", community_id=communities[0], phone="13800138001")
    ours = make_activity("南乾元楼院清扫", community_id=communities[0], capacity=1)
    theirs = make_activity("南顺城街反诈讲座", kind="lecture", community_id=communities[1])
    sign_up(services, a, ours)
    sign_up(services, b, ours)  # waits
    return {"a": a, "b": b, "ours": ours, "theirs": theirs, "communities": communities}


def _form(start, **overrides) -> dict:  # type: ignore[no-untyped-def]
    form = {
        "kind": "cleanup",
        "title": "周末义务植树",
        "start_at": _local(start),
        "end_at": _local(start + timedelta(hours=3)),
        "place": "护城河沿线绿地",
        "capacity": "30",
        "hours": "3",
        "content": "补植行道树",
        "community_id": "",
    }
    form.update(overrides)
    return form


def test_publishing_through_the_form_creates_the_activity_and_records_it(app, wx, office, services):
    client = sign_in(app, wx, "org1")
    start = (utc_now() + timedelta(days=5)).replace(second=0, microsecond=0)
    before = _count(services, Activity)
    refused = client.post("/console/activities/new", data=_form(start))  # no token
    assert refused.status_code == 400 and _count(services, Activity) == before
    done = post(client, "/console/activities/new", _form(start, community_id=str(office["communities"][1])))
    assert done.status_code == 302
    new_id = int(done.headers["Location"].rsplit("/", 1)[1])
    made = _activity(services, new_id)
    # A scoped organizer publishes for their own community, whatever the form said.
    assert made.title == "周末义务植树" and made.community_id == office["communities"][0] and made.content == "补植行道树"
    assert made.start_at == start and made.hours == Decimal("3")
    [entry] = _audit(services, "publish")
    assert entry.via == "console" and entry.object_id == new_id and entry.after["title"] == "周末义务植树"
    assert "周末义务植树" in client.get("/console/activities").get_data(as_text=True)


def test_a_bad_form_says_why_and_publishes_nothing(app, wx, office, services):
    client = sign_in(app, wx, "org1")
    start = utc_now() + timedelta(days=5)
    before = _count(services, Activity)
    bad = post(client, "/console/activities/new", _form(start, end_at=_local(start - timedelta(hours=1))))
    assert bad.status_code == 400 and "end must be after start" in bad.get_data(as_text=True)
    past = post(client, "/console/activities/new", _form(utc_now() - timedelta(days=1)))
    assert past.status_code == 400 and "已经过去" in past.get_data(as_text=True)
    assert _count(services, Activity) == before


def test_moving_an_activity_tells_everyone_on_it_like_a_chat_change(app, wx, office, services):
    client = sign_in(app, wx, "org1")
    activity = _activity(services, office["ours"])
    later = (activity.start_at + timedelta(days=1)).replace(second=0, microsecond=0)
    form = _form(
        later, title=activity.title, place=activity.place, capacity="1", hours="2", end_at=_local(later + timedelta(hours=2))
    )
    assert client.post(f"/console/activities/{office['ours']}/edit", data=form).status_code == 400  # no token
    assert _activity(services, office["ours"]).start_at == activity.start_at
    assert post(client, f"/console/activities/{office['ours']}/edit", form).status_code == 302
    assert _activity(services, office["ours"]).start_at == later
    changes = _count(services, Notice, Notice.kind == "change", Notice.activity_id == office["ours"])
    assert changes == 2  # the one holding a place and the one waiting
    [entry] = _audit(services, "edit")
    assert "start_at" in entry.before and "start_at" in entry.after


def test_more_places_move_the_waitlist_up_with_a_notice(app, wx, office, services):
    client = sign_in(app, wx, "org1")
    a = _activity(services, office["ours"])
    form = _form(a.start_at, title=a.title, place=a.place, capacity="2", hours="2", end_at=_local(a.end_at), content=a.content)
    assert post(client, f"/console/activities/{office['ours']}/edit", form).status_code == 302
    assert _count(services, Signup, Signup.activity_id == office["ours"], Signup.status == "confirmed") == 2
    assert _count(services, Notice, Notice.kind == "promotion", Notice.resident_id == office["b"]) == 1
    fewer = dict(form, capacity="1")
    refused = post(client, f"/console/activities/{office['ours']}/edit", fewer)
    assert refused.status_code == 400 and "不能少于" in refused.get_data(as_text=True)


def test_cancelling_with_a_reason_tells_everyone_like_the_chats_stop(app, wx, office, services):
    client = sign_in(app, wx, "org1")
    assert client.post(f"/console/activities/{office['ours']}/cancel", data={"reason": "下雨"}).status_code == 400
    assert _activity(services, office["ours"]).status == "published"
    assert post(client, f"/console/activities/{office['ours']}/cancel", {"reason": "天气原因"}).status_code == 302
    cancelled = _activity(services, office["ours"])
    assert cancelled.status == "cancelled" and cancelled.cancel_reason == "天气原因"
    assert _count(services, Notice, Notice.kind == "cancellation", Notice.activity_id == office["ours"]) == 2
    [entry] = _audit(services, "cancel")
    assert entry.summary == "天气原因" and entry.via == "console"


def test_another_communitys_activity_cannot_be_changed(app, wx, office, services):
    client = sign_in(app, wx, "org1")
    token = csrf_token(client)
    theirs = office["theirs"]
    for path, data in (
        (f"/console/activities/{theirs}/cancel", {"reason": "x"}),
        (f"/console/activities/{theirs}/close", {}),
        (f"/console/activities/{theirs}/duplicate", {"dates": "2030-01-01"}),
        (f"/console/activities/{theirs}/promote", {"signup_id": "1"}),
        (f"/console/activities/{theirs}/remove", {"signup_id": "1"}),
        (f"/console/activities/{theirs}/checkin", {"signup_id": "1"}),
    ):
        assert client.post(path, data={**data, "csrf_token": token}).status_code == 404, path
    assert _activity(services, theirs).status == "published"
    assert _count(services, AuditEntry, AuditEntry.via == "console", AuditEntry.action != "login") == 0


def test_duplicating_to_new_dates_keeps_the_time_of_day(app, wx, office, services):
    client = sign_in(app, wx, "org1")
    source = _activity(services, office["ours"])
    day1 = (to_local(source.start_at) + timedelta(days=7)).date()
    day2 = day1 + timedelta(days=7)
    done = post(client, f"/console/activities/{office['ours']}/duplicate", {"dates": f"{day1}\n{day2}"})
    assert done.status_code == 302
    with services.db.transaction() as session:
        copies = list(session.execute(select(Activity).where(Activity.title == source.title, Activity.id != source.id)).scalars())
    assert sorted(to_local(c.start_at).date() for c in copies) == [day1, day2]
    assert all(to_local(c.start_at).time() == to_local(source.start_at).time() for c in copies)
    assert all(c.community_id == source.community_id and c.capacity == source.capacity for c in copies)
    bad = post(client, f"/console/activities/{office['ours']}/duplicate", {"dates": "明天"})
    assert bad.status_code == 302 and _count(services, Activity, Activity.title == source.title) == 3


def test_remove_promote_and_check_in_by_hand_each_tell_the_person(app, wx, office, services, make_activity):
    client = sign_in(app, wx, "org1")
    with services.db.transaction() as session:
        signups = {
            s.resident_id: s.id for s in session.execute(select(Signup).where(Signup.activity_id == office["ours"])).scalars()
        }
    # Full: promoting the waiting person is refused, nothing changes.
    post(client, f"/console/activities/{office['ours']}/promote", {"signup_id": signups[office["b"]]})
    assert _count(services, Signup, Signup.id == signups[office["b"]], Signup.status == "waitlisted") == 1
    # Removing the holder tells them, and the first in line moves up and is told.
    assert (
        client.post(f"/console/activities/{office['ours']}/remove", data={"signup_id": signups[office["a"]]}).status_code == 400
    )
    assert post(client, f"/console/activities/{office['ours']}/remove", {"signup_id": signups[office["a"]]}).status_code == 302
    assert _count(services, Notice, Notice.kind == "removed", Notice.resident_id == office["a"]) == 1
    assert _count(services, Notice, Notice.kind == "promotion", Notice.resident_id == office["b"]) == 1
    assert _count(services, Signup, Signup.id == signups[office["b"]], Signup.status == "confirmed") == 1
    # Checking in by hand, inside the window of an activity under way.
    now_on = make_activity("正在进行的清扫", community_id=office["communities"][0], start=utc_now() - timedelta(minutes=10))
    sign_up(services, office["a"], now_on)
    with services.db.transaction() as session:
        on_site = session.execute(select(Signup.id).where(Signup.activity_id == now_on)).scalar_one()
    assert post(client, f"/console/activities/{now_on}/checkin", {"signup_id": on_site}).status_code == 302
    with services.db.transaction() as session:
        row = session.execute(select(Signup).where(Signup.activity_id == now_on, Signup.resident_id == office["a"])).scalar_one()
        assert row.checked_in_at is not None
    assert _count(services, Notice, Notice.kind == "checked_in", Notice.resident_id == office["a"]) == 1
    assert {e.action for e in _audit(services, "remove") + _audit(services, "checkin")} == {"remove", "checkin"}


def test_closing_credits_everyone_checked_in(app, wx, office, services, make_activity):
    client = sign_in(app, wx, "org1")
    started = make_activity("已开始的清扫", community_id=office["communities"][0], start=utc_now() - timedelta(minutes=10))
    sign_up(services, office["a"], started)
    wx.say(f"签到码 {started}", user="org1")
    code = _activity(services, started).checkin_code
    assert "签到成功" in wx.say(f"签到 {code}", user="p-a")
    assert client.post(f"/console/activities/{started}/close").status_code == 400
    assert _activity(services, started).status == "published"
    assert post(client, f"/console/activities/{started}/close").status_code == 302
    assert _activity(services, started).status == "closed"
    assert _count(services, HourEntry, HourEntry.activity_id == started, HourEntry.resident_id == office["a"]) == 1
    assert _count(services, Notice, Notice.kind == "credited", Notice.resident_id == office["a"]) == 1
    [entry] = _audit(services, "close")
    assert entry.after["credited"] == 1


def test_a_dispute_is_resolved_with_a_signed_correction(app, wx, office, services, make_activity):
    client = sign_in(app, wx, "org1")
    done = make_activity("上周的清扫", community_id=office["communities"][0], start=utc_now() - timedelta(days=3))
    with services.db.transaction() as session:
        from bot.domain import hours

        session.get(Activity, done).status = "closed"
        hours.credit(session, resident_id=office["a"], activity_id=done, hours=Decimal("1"), reason="check-in to check-out")
    wx.say(f"纠错 {done} 我干了两个小时", user="p-a")
    with services.db.transaction() as session:
        dispute_id = session.execute(select(Dispute.id)).scalar_one()
    assert "我干了两个小时" in client.get("/console/hours?tab=disputes").get_data(as_text=True)
    form = {"hours": "2", "reason": "核对签到表"}
    assert client.post(f"/console/disputes/{dispute_id}/resolve", data=form).status_code == 400
    assert post(client, f"/console/disputes/{dispute_id}/resolve", form).status_code == 302
    with services.db.transaction() as session:
        correction = session.execute(select(HourEntry).where(HourEntry.kind == "correction")).scalar_one()
        assert correction.hours == Decimal("1") and "核对签到表" in correction.reason
        assert session.get(Dispute, dispute_id).status == "resolved"
    assert _count(services, Notice, Notice.kind == "dispute_resolved", Notice.resident_id == office["a"]) == 1
    [entry] = _audit(services, "resolve")
    assert entry.before == {"hours": "1.0"} and entry.after == {"hours": "2.0"}


def test_another_communitys_dispute_is_not_found(app, wx, office, services, make_activity):
    client = sign_in(app, wx, "org1")
    c = person(services, "p-c", "王五", community_id=office["communities"][1], phone="13900139002")
    done = make_activity("别处的讲座", community_id=office["communities"][1], start=utc_now() - timedelta(days=3))
    with services.db.transaction() as session:
        from bot.domain import hours

        session.get(Activity, done).status = "closed"
        hours.credit(session, resident_id=c, activity_id=done, hours=Decimal("1"), reason="x")
    wx.say(f"纠错 {done} 少记了", user="p-c")
    with services.db.transaction() as session:
        dispute_id = session.execute(select(Dispute.id)).scalar_one()
    assert "少记了" not in client.get("/console/hours?tab=disputes").get_data(as_text=True)
    assert post(client, f"/console/disputes/{dispute_id}/resolve", {"hours": "1.5", "reason": "x"}).status_code == 404
    assert _count(services, HourEntry, HourEntry.kind == "correction") == 0


def test_a_broadcast_is_previewed_then_confirmed_and_its_recipients_listed(app, wx, office, services):
    from bot.runtime import worker

    make_residents(services, 3, office["communities"][0], prefix="n")
    client = sign_in(app, wx, "org1")
    audience = f"community:{office['communities'][0]}"
    size = client.get(f"/console/broadcasts/audience-size?audience={audience}").get_data(as_text=True)
    assert "<b>5</b> 人" in size  # 张三, 李四 and three more
    preview = post(client, "/console/broadcasts/preview", {"audience": audience, "text": "周六停水"})
    assert (
        preview.status_code == 200
        and "周六停水" in preview.get_data(as_text=True)
        and "确认发送" in preview.get_data(as_text=True)
    )
    assert _count(services, Broadcast) == 0  # a preview sends nothing
    assert client.post("/console/broadcasts/confirm", data={"audience": audience, "text": "周六停水"}).status_code == 400
    assert _count(services, Broadcast) == 0
    assert post(client, "/console/broadcasts/preview", {"audience": "all", "text": "x"}).status_code == 404  # not theirs
    done = post(client, "/console/broadcasts/confirm", {"audience": audience, "text": "周六停水"})
    assert done.status_code == 302
    worker.build(services).work(burst=True)
    [broadcast] = _list(services, Broadcast)
    assert broadcast.total == 5 and broadcast.audience == audience
    assert _count(services, Notice, Notice.broadcast_id == broadcast.id) == 5
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "张三" in page and "周六停水" in page
    [entry] = _audit(services, "broadcast")
    assert entry.object_id == broadcast.id and entry.community_id == office["communities"][0]


def _list(services, model) -> list:  # type: ignore[no-untyped-def]
    with services.db.transaction() as session:
        return list(session.execute(select(model)).scalars())


def test_chat_changes_by_organizers_are_audited(app, wx, office, services):
    wx.say(f"通知 {office['ours']} 带好手套", user="org1")
    wx.say(f"停办 {office['ours']} 场地维修", user="org1")
    actions = {(e.action, e.via) for e in _list(services, AuditEntry)}
    assert ("notify", "chat") in actions and ("cancel", "chat") in actions
    # A refused command writes nothing.
    wx.say(f"停办 {office['theirs']} 试试", user="org1")
    assert _count(services, AuditEntry, AuditEntry.object_id == office["theirs"]) == 0
