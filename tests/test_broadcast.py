"""`群发`: the audience and its size first, `确认`, one fan-out job, per-recipient notices, `群发状态`."""

from rq.serializers import JSONSerializer
from sqlalchemy import select, update

from bot.domain import broadcasts
from bot.runtime import queue, worker
from bot.storage.models import Broadcast, Notice, Resident, utc_now
from jobs.broadcasts import fan_out_broadcast, watch_broadcast
from tests.organizer_helpers import counts, make_organizer, make_residents, notices_for


def _people(services, communities):  # type: ignore[no-untyped-def]
    """南乾元: 4 reachable, 1 unfollowed, 1 unregistered, 1 erased; 南顺城街: 3 reachable party members."""
    a = make_residents(services, 4, communities[0], prefix="a")
    make_residents(services, 1, communities[0], prefix="unfollowed", subscribed=False)
    make_residents(services, 1, communities[0], prefix="unregistered", registered=False)
    [erased] = make_residents(services, 1, communities[0], prefix="erased")
    with services.db.transaction() as session:
        session.get(Resident, erased).erased_at = utc_now()
    b = make_residents(services, 3, communities[1], prefix="b", party=True, phone_base=13900000000)
    return a, b


def _run_jobs(services) -> None:  # type: ignore[no-untyped-def]
    worker.build(services).work(burst=True)


def _queued(services) -> list:  # type: ignore[no-untyped-def]
    return [job for name in queue.QUEUE_NAMES for job in queue.get(services.redis, name).get_jobs()]


def test_audience_and_size_are_named_before_anything_is_sent(services, wx, communities):
    make_organizer(services, "org")
    _people(services, communities)
    everyone = wx.say("群发 本周六上午社区义诊", user="org")
    assert "全街道居民" in everyone and "共 7 人" in everyone and "确认" in everyone
    wx.say("退出", user="org")
    assert "南乾元社区居民】共 4 人" in wx.say("群发 @南乾元社区 停水通知", user="org")
    wx.say("退出", user="org")
    assert "南乾元社区居民】共 4 人" in wx.say("群发 @南乾元 停水通知", user="org")  # without 社区
    wx.say("退出", user="org")
    assert "在职党员】共 3 人" in wx.say("群发 @党员 主题党日活动", user="org")
    wx.say("退出", user="org")
    assert "南学街社区" in wx.say("群发 @不存在 你好", user="org")  # an unknown name lists the choices
    assert "请这样写" in wx.say("群发", user="org")
    assert "请这样写" in wx.say("群发 @党员", user="org")
    assert "无需群发" in wx.say("群发 @夕阳楼社区 你好", user="org")
    assert counts(services)["broadcasts"] == 0 and counts(services)["notices"] == 0
    assert _queued(services) == []


def test_confirm_records_one_broadcast_and_enqueues_one_job_then_everyone_gets_it_once(services, wx, communities):
    organizer_id = make_organizer(services, "org")
    a, b = _people(services, communities)
    wx.say("群发 本周六上午社区义诊", user="org")
    again = wx.say("发吧", user="org")
    assert "请回复“确认”" in again and "共 7 人" in again
    assert counts(services)["broadcasts"] == 0
    started = wx.say("确认", user="org")
    assert "已开始群发" in started and "7 人" in started
    with services.db.transaction() as session:
        [broadcast] = session.execute(select(Broadcast)).scalars().all()
        assert (broadcast.author_id, broadcast.audience, broadcast.status, broadcast.total) == (organizer_id, "all", "sending", 7)
    # The reply did not do the work: one fan-out job, no notices yet.
    jobs = [j for j in _queued(services) if j.func_name == broadcasts.FAN_OUT]
    assert len(jobs) == 1 and jobs[0].args == [broadcast.id] and counts(services)["notices"] == 0
    assert [j.func_name for j in queue.get(services.redis).get_jobs()] == [broadcasts.FAN_OUT]

    _run_jobs(services)
    sent = notices_for(services, broadcast_id=broadcast.id)
    assert sorted(n.resident_id for n in sent) == sorted(a + b)
    assert {n.key for n in sent} == {f"broadcast:{broadcast.id}:{r}" for r in a + b}
    assert all(n.status == "sent" and "本周六上午社区义诊" in n.text for n in sent)
    with services.db.transaction() as session:
        assert session.get(Broadcast, broadcast.id).status == "done"
    status = wx.say("群发状态", user="org")
    assert "已完成" in status and "共 7 人，已送达 7，待发送 0，无法送达 0" in status


def test_fan_out_resumes_where_it_stopped_and_creates_nothing_twice(services, communities):
    organizer_id = make_organizer(services, "org")
    everyone = make_residents(services, 23, communities[0])
    with services.db.transaction() as session:
        broadcast = broadcasts.confirm(session, session.get(Resident, organizer_id), "all", "停水通知")
    with services.db.transaction() as session:  # a first run got through two batches of 5, then died
        broadcasts.fan_out_batch(session, broadcast.id, "测试街道办事处", batch_size=5)
        broadcasts.fan_out_batch(session, broadcast.id, "测试街道办事处", batch_size=5)
    assert len(notices_for(services, broadcast_id=broadcast.id)) == 10
    created = fan_out_broadcast(broadcast.id)  # BROADCAST_BATCH_SIZE=500: the rest in one batch
    assert created == 13  # only the 13 not yet reached
    assert sorted(n.resident_id for n in notices_for(services, broadcast_id=broadcast.id)) == sorted(everyone)
    assert fan_out_broadcast(broadcast.id) == 0  # running it again does nothing
    assert len(notices_for(services, broadcast_id=broadcast.id)) == 23


def test_a_stalled_fan_out_is_taken_over_by_its_watchdog(services, communities):
    organizer_id = make_organizer(services, "org")
    make_residents(services, 3, communities[0])
    with services.db.transaction() as session:
        broadcast = broadcasts.confirm(session, session.get(Resident, organizer_id), "all", "停水通知")
    services.redis.set(broadcasts.heartbeat_key(broadcast.id), 1)  # a fan-out is alive
    assert watch_broadcast(broadcast.id) == "alive"
    services.redis.delete(broadcasts.heartbeat_key(broadcast.id))  # its worker died: no more beats
    assert watch_broadcast(broadcast.id) == "taken over"
    assert watch_broadcast(broadcast.id) == "alive"  # the take-over is beating; no second copy
    taken = [j for j in queue.get(services.redis).get_jobs() if j.func_name == broadcasts.FAN_OUT]
    assert len(taken) == 1
    _run_jobs(services)
    assert len(notices_for(services, broadcast_id=broadcast.id, status="sent")) == 3
    assert watch_broadcast(broadcast.id) == "done"
    scheduled = queue.get(services.redis).scheduled_job_registry.get_job_ids()
    assert all(job_id.startswith(f"broadcast-{broadcast.id}-watch-") for job_id in scheduled)


def test_looking_at_the_status_restarts_a_fan_out_nobody_watches(services, wx, communities):
    organizer_id = make_organizer(services, "org")
    make_residents(services, 2, communities[0])
    with services.db.transaction() as session:  # confirmed, but its job and watchdog were lost (Redis flushed)
        broadcast = broadcasts.confirm(session, session.get(Resident, organizer_id), "all", "停水通知")
    assert _queued(services) == []
    assert "发送中" in wx.say("群发状态", user="org")
    assert [j.args for j in _queued(services) if j.func_name == broadcasts.FAN_OUT] == [[broadcast.id]]
    _run_jobs(services)
    assert "已完成" in wx.say("群发状态", user="org")


def test_the_periodic_sweep_restarts_a_fan_out_lost_with_a_flushed_redis(services, communities):
    from jobs.sweeps import sweep_due_notices

    organizer_id = make_organizer(services, "org")
    make_residents(services, 3, communities[0])
    with services.db.transaction() as session:
        broadcast = broadcasts.confirm(session, session.get(Resident, organizer_id), "all", "停水通知")
    services.redis.flushdb()  # the fan-out job and its watchdog are gone; nobody looks at 群发状态
    sweep_due_notices()
    assert [j.args for j in _queued(services) if j.func_name == broadcasts.FAN_OUT] == [[broadcast.id]]
    _run_jobs(services)
    assert len(notices_for(services, broadcast_id=broadcast.id, status="sent")) == 3


def test_status_shows_pending_and_not_deliverable_with_reasons(services, wx, communities):
    make_organizer(services, "org")
    a, _ = _people(services, communities)
    wx.say("群发 @南乾元社区 明天停水", user="org")
    wx.say("确认", user="org")
    [broadcast_id] = [j.args[0] for j in _queued(services) if j.func_name == broadcasts.FAN_OUT]
    fan_out_broadcast(broadcast_id)  # notices made and queued, none sent yet
    assert "待发送 4" in wx.say("群发状态", user="org")
    with services.db.transaction() as session:  # one of them unfollows before the send
        session.execute(update(Resident).where(Resident.id == a[0]).values(subscribed=False))
    _run_jobs(services)
    status = wx.say("群发状态", user="org")
    assert "南乾元社区居民" in status and "明天停水" in status
    assert "已送达 3，待发送 0，无法送达 1" in status and "已取消关注 1" in status


def test_broadcast_refused_for_residents_and_other_communities(services, wx, communities):
    make_organizer(services, "scoped", community_id=communities[0])
    make_organizer(services, "other", community_id=communities[1])
    _people(services, communities)
    before = counts(services)
    assert "无权" in wx.say("群发 你好", user="resident")
    assert "无权" in wx.say("群发 @南乾元社区 你好", user="resident")
    assert "无权" in wx.say("群发状态", user="resident")
    assert "无权" in wx.say("群发 @南乾元社区 你好", user="other")
    assert "无权" in wx.say("群发 @党员 你好", user="scoped")  # party members of the whole subdistrict
    assert "无权" in wx.say("群发 @全体 你好", user="scoped")
    wx.say("确认", user="scoped")  # no question was asked: nothing to confirm
    assert counts(services) == before and _queued(services) == []
    # Without @, a scoped organizer's broadcast goes to their own community (and says so).
    assert "南乾元社区居民】共 4 人" in wx.say("群发 你好", user="scoped")
    assert "已开始群发" in wx.say("确认", user="scoped")
    assert "还没有发起过群发" in wx.say("群发状态", user="other")  # nobody sees another's broadcasts


def test_the_confirm_step_is_checked_again(services, wx, communities, db):
    make_organizer(services, "org")
    _people(services, communities)
    wx.say("群发 @南顺城街社区 你好", user="org")
    # The role was taken away while the question was open.
    wx.app.test_cli_runner().invoke(args=["users", "revoke", "org"])
    assert "无权" in wx.say("确认", user="org")
    assert counts(services)["broadcasts"] == 0


def test_fan_out_job_is_json_serialisable(services, communities):
    organizer_id = make_organizer(services, "org")
    make_residents(services, 1, communities[0])
    with services.db.transaction() as session:
        broadcast = broadcasts.confirm(session, session.get(Resident, organizer_id), "all", "你好")
    broadcasts.start_fan_out(services.redis, broadcast.id, 30)
    [job] = queue.get(services.redis).get_jobs()
    assert job.serializer == JSONSerializer and job.id == f"broadcast-{broadcast.id}"
    _run_jobs(services)
    with services.db.transaction() as session:
        assert session.execute(select(Notice.status).where(Notice.broadcast_id == broadcast.id)).scalar_one() == "sent"
