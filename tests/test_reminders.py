"""Reminders, the answers to them, 停办 and changes — through the real webhook, sent by the sandbox."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from bot.domain import activity_changes, residents
from bot.domain import communities as community_rules
from bot.runtime import queue, worker
from bot.storage.models import Activity, Notice, Signup, utc_now
from bot.wechat import delivery
from jobs import sweeps

PEOPLE = {"u-a": ("张三", "13800138001"), "u-b": ("李四", "13800138002"), "u-c": ("王五", "13800138003")}


@pytest.fixture
def people(wx, communities):  # type: ignore[no-untyped-def]
    for openid, (name, phone) in PEOPLE.items():
        wx.register(name, phone, user=openid)
    return list(PEOPLE)


@pytest.fixture
def organizer(services):  # type: ignore[no-untyped-def]
    with services.db.transaction() as session:
        residents.grant_role(session, "u-organizer", "organizer")
    return "u-organizer"


def run_jobs(services) -> None:  # type: ignore[no-untyped-def]
    worker.build(services).work(burst=True)


def outbox(app, openid: str) -> list[str]:  # type: ignore[no-untyped-def]
    body = app.test_client().get("/sandbox/outbox", query_string={"openid": openid}).get_json()
    return [m["text"] for m in body["messages"]]


def rows(services, **where) -> list[Notice]:  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        query = select(Notice).order_by(Notice.id)
        for name, value in where.items():
            query = query.where(getattr(Notice, name) == value)
        return list(session.execute(query).scalars())


def signup_of(services, activity_id: int, openid: str) -> Signup:  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        resident = residents.by_openid(session, openid)
        return session.execute(select(Signup).where(Signup.activity_id == activity_id, Signup.resident_id == resident.id)).scalar_one()


def start_of(services, activity_id: int):  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        return session.get(Activity, activity_id).start_at


@pytest.fixture
def full_activity(wx, people, make_activity):  # type: ignore[no-untyped-def]
    """Starts in 3 h, one place: u-a holds it, u-b waits; u-c signed up for another and cancelled."""
    activity_id = make_activity(capacity=1, start=utc_now() + timedelta(hours=3))
    assert "报名成功" in wx.say(f"报名 {activity_id}", user="u-a")
    assert "候补第1位" in wx.say(f"报名 {activity_id}", user="u-b")
    return activity_id


# ── reminders ───────────────────────────────────────────────────────────────
def test_reminders_go_to_confirmed_participants_only(app, services, wx, full_activity, make_activity):
    other = make_activity(title="敬老院慰问", start=utc_now() + timedelta(hours=3, minutes=30), hours_long=1)
    wx.say(f"报名 {other}", user="u-c")
    assert "已取消" in wx.say(f"取消 {other}", user="u-c")
    start = start_of(services, full_activity)

    # The row was written when u-a took the place: due 2 h before the start (24 h before is past).
    [owed] = rows(services, kind="reminder", activity_id=full_activity)
    assert (owed.status, owed.due_at, owed.expires_at) == ("pending", start - timedelta(hours=2), start)

    result = sweeps.sweep(services, now=start - timedelta(hours=1))  # the 2 h reminder is due
    assert result["reminders_created"] == 0 and result["due"] == 2  # u-a's, and u-c's (given up since)
    run_jobs(services)

    [reminder] = outbox(app, "u-a")
    assert "活动提醒" in reminder and f"确认 {full_activity}" in reminder and f"请假 {full_activity}" in reminder
    assert outbox(app, "u-b") == [] and outbox(app, "u-c") == []
    assert [(n.kind, n.status, n.channel) for n in rows(services, activity_id=full_activity)] == [("reminder", "sent", "sandbox")]
    [given_up] = rows(services, activity_id=other)
    assert (given_up.status, given_up.reason) == ("dropped", "place no longer held")
    # Sweeping again creates and sends nothing more.
    assert sweeps.sweep(services, now=start - timedelta(minutes=50)) | {"moments": 0} == {
        "contacts_written": 0, "reminders_created": 0, "due": 0, "stale_claims": 0, "enqueued": 0, "moments": 0
    }


def test_a_reminder_that_cannot_go_out_before_the_start_is_dropped(services, wx, full_activity, make_activity):
    start = start_of(services, full_activity)
    sweeps.sweep(services, now=start - timedelta(hours=1))
    [reminder] = rows(services, kind="reminder")
    # The workers were down until after the start.
    assert delivery.deliver(services, reminder.id, now=start + timedelta(minutes=1)) == "dropped"
    [reminder] = rows(services, kind="reminder")
    assert reminder.status == "dropped" and "started" in reminder.reason

    # An activity whose reminder time passed while nothing ran is recorded as dropped, not sent late.
    late = make_activity(title="法治宣传讲座", start=utc_now() + timedelta(hours=5), hours_long=1)
    wx.say(f"报名 {late}", user="u-c")
    late_start = start_of(services, late)
    assert sweeps.sweep(services, now=late_start + timedelta(minutes=10))["due"] == 0
    [missed] = rows(services, activity_id=late)
    assert (missed.status, missed.reason) == ("dropped", "activity started before the reminder could be sent")


def test_only_the_latest_due_reminder_goes_when_several_fell_due(services, full_activity):
    start = start_of(services, full_activity)
    with services.db.transaction() as session:
        # u-a has held the place for days: both the 24 h and the 2 h reminders are owed.
        for signup in session.execute(select(Signup).where(Signup.activity_id == full_activity)).scalars():
            signup.confirmed_at = start - timedelta(days=3)
    sweeps.sweep(services, now=start - timedelta(hours=1))
    by_offset = {n.key.split(":")[2]: n for n in rows(services, kind="reminder")}
    assert by_offset["7200"].status == "pending"
    assert (by_offset["86400"].status, by_offset["86400"].reason) == ("dropped", "overtaken by a later reminder")


def test_someone_who_signed_up_after_the_reminder_moment_is_not_reminded(services, full_activity):
    start = start_of(services, full_activity)
    with services.db.transaction() as session:
        for signup in session.execute(select(Signup).where(Signup.activity_id == full_activity)).scalars():
            signup.confirmed_at = start - timedelta(minutes=90)
    assert sweeps.sweep(services, now=start - timedelta(hours=1))["reminders_created"] == 0


def test_publishing_puts_each_reminder_moment_ahead_on_rqs_scheduler(services, full_activity):
    # 2 h before: in an hour; 24 h before: already past. Put there when the activity was created.
    start = start_of(services, full_activity)
    registry = ScheduledJobRegistry(queue=queue.get(services.redis, queue.DEFAULT))
    assert registry.get_job_ids() == [f"remind-{full_activity}-7200-{start:%Y%m%d%H%M}"]
    services.redis.flushdb()  # Redis forgot it: the sweep puts it back
    assert sweeps.sweep(services)["moments"] == 1
    assert registry.get_job_ids() == [f"remind-{full_activity}-7200-{start:%Y%m%d%H%M}"]


# ── answers ─────────────────────────────────────────────────────────────────
def test_confirm_records_attendance(services, wx, full_activity):
    reply = wx.say(f"确认 {full_activity}", user="u-a")
    assert "已确认参加" in reply
    assert signup_of(services, full_activity, "u-a").attendance_confirmed_at is not None
    assert "候补" in wx.say(f"确认{full_activity}", user="u-b")
    assert signup_of(services, full_activity, "u-b").attendance_confirmed_at is None
    assert "没有活动" in wx.say(f"确认 {full_activity}", user="u-c")
    # Bare, it is free text (SPEC §9): asked which place is meant, nothing recorded yet.
    assert wx.say("确认", user="u-c").startswith("您目前没有报名的活动")
    assert "您是想确认参加【" in wx.say("确认", user="u-b")


def test_leave_with_nobody_waiting_frees_the_place(services, wx, full_activity):
    wx.say(f"取消 {full_activity}", user="u-b")  # the only one waiting leaves the line
    reply = wx.say(f"请假 {full_activity}", user="u-a")
    assert "已释放" in reply and "候补" not in reply
    assert signup_of(services, full_activity, "u-a").status == "left"


def test_leave_gives_the_place_to_the_next_in_line_who_is_told(app, services, wx, full_activity):
    reply = wx.say(f"请假 {full_activity}", user="u-a")
    assert "已为您请假" in reply and "让给候补" in reply
    assert signup_of(services, full_activity, "u-a").status == "left"
    assert signup_of(services, full_activity, "u-b").status == "confirmed"
    run_jobs(services)
    [promotion] = outbox(app, "u-b")
    assert "转为正式报名" in promotion and str(full_activity) in promotion
    # The reminder now goes to the new holder of the place, not to the one who left.
    start = start_of(services, full_activity)
    with services.db.transaction() as session:
        signup = session.execute(select(Signup).where(Signup.status == "confirmed")).scalar_one()
        signup.confirmed_at = start - timedelta(hours=3)
    sweeps.sweep(services, now=start - timedelta(hours=1))
    run_jobs(services)
    assert len(outbox(app, "u-b")) == 2 and outbox(app, "u-a") == []


# ── 停办 ────────────────────────────────────────────────────────────────────
def test_an_organizer_cancels_and_everyone_holding_or_awaiting_a_place_is_told(app, services, wx, full_activity, organizer):
    start = start_of(services, full_activity)
    sweeps.sweep(services, now=start - timedelta(hours=1))  # a reminder is waiting to go

    reply = wx.say(f"停办 {full_activity} 暴雨预警 改期另行通知", user=organizer)
    assert "已停办" in reply and "将通知 2 位" in reply
    with services.db.session() as session:
        activity = session.get(Activity, full_activity)
        assert (activity.status, activity.cancel_reason) == ("cancelled", "暴雨预警 改期另行通知")
    run_jobs(services)
    for openid in ("u-a", "u-b"):
        [notice] = outbox(app, openid)
        assert "停办" in notice and "暴雨预警 改期另行通知" in notice
    [reminder] = rows(services, kind="reminder")
    assert (reminder.status, reminder.reason) == ("dropped", "activity cancelled")
    assert "已经停办" in wx.say(f"停办 {full_activity} 再说一次", user=organizer)


def test_cancelling_needs_the_role_and_a_reason(services, wx, full_activity, organizer):
    assert "无权" in wx.say(f"停办 {full_activity} 不想办了", user="u-a")
    assert "请写明停办原因" in wx.say(f"停办 {full_activity}", user=organizer)
    with services.db.session() as session:
        assert session.get(Activity, full_activity).status == "published"
    assert [(n.kind, n.status) for n in rows(services)] == [("reminder", "pending")]  # nothing told, nothing dropped


def test_an_organizer_of_another_community_may_not_cancel(services, wx, make_activity, communities):
    activity_id = make_activity(community_id=communities[0])
    with services.db.transaction() as session:
        other = community_rules.add(session, "夕阳楼社区")
        residents.grant_role(session, "u-scoped", "organizer", other)
    assert "无权" in wx.say(f"停办 {activity_id} 下雨", user="u-scoped")
    with services.db.session() as session:
        assert session.get(Activity, activity_id).status == "published"


# ── changes ─────────────────────────────────────────────────────────────────
def test_a_change_of_time_tells_everyone_once_and_drops_reminders_for_the_old_time(app, services, full_activity):
    start = start_of(services, full_activity)
    sweeps.sweep(services, now=start - timedelta(hours=1))
    new_start = start + timedelta(days=1)
    with services.db.transaction() as session:
        result = activity_changes.change(session, full_activity, start_at=new_start, place="社区活动中心二楼")
    assert result.changed == ("time", "place") and result.notified == 2
    with services.db.transaction() as session:  # the same change again changes nothing and tells nobody
        assert activity_changes.change(session, full_activity, start_at=new_start, place="社区活动中心二楼").notified == 0
    run_jobs(services)
    for openid in ("u-a", "u-b"):
        [notice] = outbox(app, openid)
        assert "活动变更" in notice and "社区活动中心二楼" in notice
    old, *new = rows(services, kind="reminder")
    assert (old.status, old.reason) == ("dropped", "activity moved to another time")
    # u-a's place is reminded of anew: 24 h and 2 h before the new start, saying the new place.
    expected = [(new_start - timedelta(days=1), "pending"), (new_start - timedelta(hours=2), "pending")]
    assert sorted((n.due_at, n.status) for n in new) == expected
    assert all("社区活动中心二楼" in n.text and n.expires_at == new_start for n in new)


def test_events_change_command(app, services, full_activity):
    result = app.test_cli_runner().invoke(args=["events", "change", str(full_activity), "--place", "南门广场"])
    assert result.exit_code == 0, result.output
    assert "changed place" in result.output and "2 people" in result.output
    assert len(rows(services, kind="change")) == 2


# ── delivery mechanics ──────────────────────────────────────────────────────
def test_a_notice_is_claimed_before_it_is_sent_and_a_dead_workers_claim_is_taken_over(services, wx, full_activity):
    wx.say(f"请假 {full_activity}", user="u-a")  # u-b's promotion notice
    [notice] = rows(services, kind="promotion")
    assert delivery.deliver(services, notice.id) == "sent"
    assert delivery.deliver(services, notice.id) == "skipped"  # a second job for it does nothing

    with services.db.transaction() as session:
        row = session.get(Notice, notice.id)
        row.status, row.claimed_at, row.sent_at = "claimed", utc_now(), None
    assert delivery.deliver(services, notice.id) == "skipped"  # someone is sending it right now
    with services.db.transaction() as session:
        session.get(Notice, notice.id).claimed_at = utc_now() - timedelta(seconds=services.settings.notice_claim_timeout + 1)
    assert sweeps.sweep(services)["stale_claims"] == 1
    assert delivery.deliver(services, notice.id) == "sent"  # that worker died: taken over
    assert rows(services, kind="promotion")[0].attempts == 2  # two claims: the first send and the takeover


def test_due_notices_survive_a_redis_flush(app, services, wx, full_activity, organizer):
    wx.say(f"停办 {full_activity} 场地维修", user=organizer)
    assert len(queue.get(services.redis, queue.NOTICES)) == 2
    services.redis.flushdb()
    worker.run(services, burst=True)  # its start-up sweep finds the rows
    assert [n.status for n in rows(services, kind="cancellation")] == ["sent", "sent"]
    assert len(outbox(app, "u-a")) == 1 and len(outbox(app, "u-b")) == 1


def test_the_periodic_sweep_is_scheduled_once_and_replanted_after_a_flush(services):
    interval = services.settings.sweep_interval
    assert queue.schedule_sweep(services.redis, interval) is True
    assert queue.schedule_sweep(services.redis, interval) is False  # another worker already did
    sweeps_queue = queue.get(services.redis, queue.SWEEPS)
    [job_id] = ScheduledJobRegistry(queue=sweeps_queue).get_job_ids()
    assert job_id.startswith("sweep-")
    services.redis.flushdb()
    worker.build(services).run_maintenance_tasks()  # what every worker does between jobs
    assert ScheduledJobRegistry(queue=sweeps_queue).get_job_ids() == [job_id]


def test_jobs_status_shows_queues_and_notices(app, services, wx, full_activity, organizer):
    wx.say(f"停办 {full_activity} 场地维修", user=organizer)
    with services.db.transaction() as session:
        first = session.execute(select(Notice).where(Notice.kind == "cancellation").order_by(Notice.id)).scalars().first()
        first.status, first.reason = "undeliverable", "43004 require subscribe"
    result = app.test_cli_runner().invoke(args=["jobs", "status"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "sweeps" in out and "workers: 0" in out
    assert re.search(r"notices\s+waiting\s+2\b", out)  # the two cancellation notices' jobs
    assert re.search(r"pending\s+1\s+\(due now 1\)", out)
    assert re.search(r"undeliverable\s+1\b", out) and "43004 require subscribe" in out
