"""Background work on time, with real `flask --app wsgi worker` processes and the fake WeChat API.

A reminder leaves when it falls due, whatever the offsets: its row is written when the
place is taken and its moment is on RQ's scheduler (the sweep, every 10 minutes here,
is only the safety net). And a worker killed while holding RQ's scheduler lock (its
whole process group SIGKILLed, so nothing releases it) holds scheduled work up no
longer than the lock's life plus one look by another worker.
"""

from __future__ import annotations

import signal
from datetime import timedelta

import pytest
from rq import Worker as RQWorker

from bot.domain import notices, residents
from bot.runtime import queue
from bot.runtime.worker import SCHEDULER_CHECK_SECONDS, SCHEDULER_LOCK_SECONDS
from bot.storage.models import utc_now
from tests.conftest import Wx, wait_for
from tests.ledger_helpers import activity_at
from tests.test_workers import Workers


@pytest.fixture
def live_env(wechat_api):  # type: ignore[no-untyped-def]
    return {
        "WECHAT_APP_SECRET": "s3cret",
        "WECHAT_API_BASE_URL": wechat_api.url,
        "WECHAT_TEMPLATE_NOTICE": "TPL-NOTICE",
        "SEND_RATE_PER_SECOND": "0",
        "REMINDER_OFFSETS": "20s",
        # Far longer than any wait below: what goes out on time is the scheduler's doing.
        "SWEEP_INTERVAL": "10m",
    }


@pytest.fixture
def live(app, make_app, live_env):  # type: ignore[no-untyped-def]
    return make_app(**live_env)


@pytest.fixture
def workers(live_env, tmp_path):  # type: ignore[no-untyped-def]
    started = Workers(live_env, tmp_path)
    yield started
    started.stop_all()


def test_a_reminder_twenty_seconds_before_an_activity_a_minute_away_reaches_everyone_in_time(live, workers, wechat_api, communities):
    services = live.extensions["bot"]
    wx = Wx(live, _peer(live))
    people = ["on-time-1", "on-time-2", "on-time-3"]
    for n, openid in enumerate(people):
        assert "登记完成" in wx.register(name=f"居民{'甲乙丙'[n]}", phone=f"1380013800{n}", user=openid)
    workers.start()
    start = utc_now() + timedelta(seconds=60)
    activity_id = activity_at(services, start, length=timedelta(hours=1), capacity=10, title="反诈骗讲座")
    for openid in people:
        assert "报名成功" in wx.say(f"报名 {activity_id}", user=openid)

    def reminded() -> list[dict]:
        sent = [d for d in wechat_api.delivered("custom") if "活动提醒" in (d["text"] or "")]
        return sent if len(sent) == len(people) else []

    delivered = wait_for(reminded, timeout=90, interval=0.2)
    assert sorted(d["touser"] for d in delivered) == sorted(people)
    for delivery in delivered:  # not before it fell due (half a second for clocks), and before the start
        assert _epoch(start - timedelta(seconds=20)) - 0.5 <= delivery["at"] < _epoch(start)


def test_a_killed_scheduler_holder_is_replaced_within_the_bound(live, workers, wechat_api):
    services = live.extensions["bot"]
    first = workers.start()
    lock = "rq:scheduler-lock:" + queue.NOTICES
    wait_for(lambda: services.redis.get(lock) == str(first.pid).encode(), timeout=60)
    second = workers.start()
    wait_for(lambda: any(w.pid == second.pid for w in RQWorker.all(connection=services.redis)), timeout=60)
    assert services.redis.get(lock) == str(first.pid).encode()  # the second waits its turn

    workers.kill(first)  # the whole process group: nothing gives the lock back
    with services.db.transaction() as session:
        person = residents.get_or_create(session, "taken-over")
        person.last_message_at = utc_now()
        session.flush()
        due = utc_now() + timedelta(seconds=2)
        notice = notices.create(session, key="taken-over:1", resident_id=person.id, kind="notify", text="接管后的通知", due_at=due)
        notice_id = notice.id
    queue.enqueue_at(services.redis, due, queue.SEND_NOTICE, notice_id, job_id=queue.send_job_id(notice_id), queue_name=queue.NOTICES)

    # The bound this design sets: the dead holder's lock expires, then a worker looks for it.
    bound = SCHEDULER_LOCK_SECONDS + SCHEDULER_CHECK_SECONDS + 10
    wait_for(lambda: [d for d in wechat_api.delivered("custom") if d["touser"] == "taken-over"], timeout=bound, interval=0.2)
    assert services.redis.get(lock) == str(second.pid).encode()
    assert bound <= 60
    assert second.poll() is None and first.poll() == -signal.SIGKILL


def _peer(app):  # type: ignore[no-untyped-def]
    from bot.wechat.peer import WeChatPeer

    return WeChatPeer.from_settings(app.extensions["bot"].settings)


def _epoch(naive_utc) -> float:  # type: ignore[no-untyped-def]
    from datetime import UTC

    return naive_utc.replace(tzinfo=UTC).timestamp()
