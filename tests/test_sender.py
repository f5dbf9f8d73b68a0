"""The sender against a local server speaking WeChat's API, with wechatpy's own client over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from rq.job import Job
from sqlalchemy import select

from bot.domain import notices, reminders, residents
from bot.runtime import queue, worker
from bot.storage.keys import key
from bot.storage.models import Notice, Signup, utc_now
from bot.wechat import delivery, sender
from bot.wechat.throttle import RateLimiter
from jobs import sweeps

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def live(app, make_app, wechat_api):  # type: ignore[no-untyped-def]
    """Services of an app with an app secret, sending to the fake WeChat API (templates set, no throttle)."""
    real = make_app(
        WECHAT_APP_SECRET="s3cret",
        WECHAT_API_BASE_URL=wechat_api.url,
        WECHAT_TEMPLATE_REMINDER="TPL-REMINDER",
        WECHAT_TEMPLATE_NOTICE="TPL-NOTICE",
        SEND_RATE_PER_SECOND="0",
    )
    return real.extensions["bot"]


def make_notice(
    services,  # type: ignore[no-untyped-def]
    *,
    openid: str = "o-resident",
    key_: str | None = None,
    kind: str = "promotion",
    text: str = "好消息：您候补的活动有了名额。",
    fields: dict | None = None,
    last_message_at=None,  # type: ignore[no-untyped-def]
    last_event_at=None,  # type: ignore[no-untyped-def]
    subscribed: bool = True,
) -> int:
    with services.db.transaction() as session:
        resident = residents.get_or_create(session, openid)
        resident.last_message_at = last_message_at
        resident.last_event_at = last_event_at
        resident.subscribed = subscribed
        session.flush()
        notice = notices.create(
            session,
            key=key_ or f"test:{openid}:{time.monotonic_ns()}",
            resident_id=resident.id,
            kind=kind,
            text=text,
            fields=fields or {"title": "楼院义务清扫"},
        )
        return notice.id


def row(services, notice_id: int) -> Notice:  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        return session.get(Notice, notice_id)


# ── channels ────────────────────────────────────────────────────────────────
def test_template_message_carries_the_key_and_fields_within_wechats_limits(live, wechat_api):
    long_title = "南乾元社区楼院义务清扫暨垃圾分类宣传活动（第二期）"
    notice_id = make_notice(live, key_="promotion:7:3", fields={"title": long_title, "detail": "时间：11月28日\n地点：3号院"})
    assert delivery.deliver(live, notice_id) == "sent"
    [sent] = wechat_api.delivered()
    assert sent["channel"] == "template" and sent["template_id"] == "TPL-NOTICE"
    assert sent["client_msg_id"] == "promotion:7:3"
    values = [item["value"] for item in sent["data"].values()]
    assert values and all(len(v) <= 20 and "\n" not in v for v in values)
    assert sent["data"]["thing1"]["value"].startswith("南乾元社区楼院义务清扫")
    stored = row(live, notice_id)
    assert (stored.status, stored.channel, stored.sent_at is not None) == ("sent", "template", True)


def test_reminders_use_the_reminder_template(live, wechat_api, make_activity):
    start = datetime(2026, 11, 28, 1, 0)  # 09:00 in Shanghai
    activity_id = make_activity(title="反诈骗讲座", place="社区活动室", start=start)
    with live.db.transaction() as session:
        resident = residents.get_or_create(session, "o-reminded")
        session.flush()
        signup = Signup(activity_id=activity_id, resident_id=resident.id, status="confirmed", seq=1, confirmed_at=start - timedelta(days=3))
        session.add(signup)
        session.flush()
        reminders.create_due(session, [7200], now=start - timedelta(hours=1))
        notice_id = session.execute(select(Notice.id)).scalar_one()
    assert delivery.deliver(live, notice_id, now=start - timedelta(minutes=59)) == "sent"
    [sent] = wechat_api.delivered()
    assert sent["template_id"] == "TPL-REMINDER"
    assert sent["data"]["thing1"]["value"] == "反诈骗讲座"
    assert sent["data"]["time2"]["value"] == "2026年11月28日 09:00"
    assert sent["data"]["thing4"]["value"] == f"回复“确认 {activity_id}”或“请假 {activity_id}”"


def test_within_48_hours_of_a_message_a_customer_service_message_goes_five_times(live, wechat_api):
    recent = utc_now() - timedelta(hours=47)
    ids = [make_notice(live, text=f"通知 {i}", last_message_at=recent) for i in range(7)]
    assert [delivery.deliver(live, i) for i in ids] == ["sent"] * 7
    channels = [row(live, i).channel for i in ids]
    assert channels == ["custom"] * 5 + ["template"] * 2
    assert [d["text"] for d in wechat_api.delivered("custom")] == [f"通知 {i}" for i in range(5)]


def test_a_contact_noted_by_the_webhook_but_not_yet_written_opens_the_window(live, wechat_api):
    notice_id = make_notice(live, openid="o-just-wrote")  # the database knows no contact yet
    residents.queue_contact(live.redis, "o-just-wrote", event=False)  # what the webhook's last round trip notes
    assert delivery.deliver(live, notice_id) == "sent"
    assert [d["channel"] for d in wechat_api.delivered()] == ["custom"]
    # Without the note it is a template message: the window is closed as far as anyone knows.
    other = make_notice(live, openid="o-silent")
    assert delivery.deliver(live, other) == "sent"
    assert [d["channel"] for d in wechat_api.delivered()] == ["custom", "template"]


def test_a_minute_after_a_click_three_customer_service_messages_go(live, wechat_api):
    clicked = utc_now() - timedelta(seconds=20)
    ids = [make_notice(live, last_event_at=clicked) for _ in range(4)]
    for notice_id in ids:
        delivery.deliver(live, notice_id)
    assert [row(live, i).channel for i in ids] == ["custom"] * 3 + ["template"]


def test_outside_the_window_without_a_template_the_notice_is_undeliverable(app, make_app, wechat_api):
    services = make_app(WECHAT_APP_SECRET="s3cret", WECHAT_API_BASE_URL=wechat_api.url, SEND_RATE_PER_SECOND="0").extensions["bot"]
    notice_id = make_notice(services, last_message_at=utc_now() - timedelta(hours=49))
    assert delivery.deliver(services, notice_id) == "undeliverable"
    assert "window" in row(services, notice_id).reason
    assert wechat_api.stats()["calls"] == {}


def test_unsubscribed_people_are_never_sent_to(live, wechat_api):
    notice_id = make_notice(live, last_message_at=utc_now(), subscribed=False)
    assert delivery.deliver(live, notice_id) == "undeliverable"
    assert "unsubscribed" in row(live, notice_id).reason
    assert wechat_api.stats()["calls"] == {}


# ── the access token ────────────────────────────────────────────────────────
@pytest.mark.parametrize("code", [40001, 40014, 42001])
def test_a_refused_token_is_refreshed_once_and_the_send_retried_once(live, wechat_api, code):
    notice_id = make_notice(live, last_message_at=utc_now())
    wechat_api.script("custom", code)
    assert delivery.deliver(live, notice_id) == "sent"
    stats = wechat_api.stats()
    # The first fetch, then exactly one forced refresh; never wechatpy's fixed /token URL.
    assert stats["calls"] == {"stable_token": 2, "custom": 2}
    assert stats["force_refreshes"] == 1
    assert len(wechat_api.delivered()) == 1


def test_a_token_refused_twice_is_not_refreshed_again_but_tried_later(live, wechat_api):
    notice_id = make_notice(live, last_message_at=utc_now())
    wechat_api.script("custom", 40001, 40001)
    with pytest.raises(sender.RetryLater):
        delivery.deliver(live, notice_id)
    assert wechat_api.stats()["calls"] == {"stable_token": 2, "custom": 2}
    stored = row(live, notice_id)
    assert stored.status == "pending" and "40001" in stored.reason and stored.due_at > utc_now()


def test_the_token_is_shared_through_redis(live, wechat_api):
    for _ in range(3):
        delivery.deliver(live, make_notice(live, last_message_at=utc_now()))
    assert wechat_api.stats()["calls"]["stable_token"] == 1
    assert live.redis.get(key("wechat", f"{live.settings.WECHAT_APP_ID}_access_token")) is not None


TOKEN_SCRIPT = """
import sys, time
from redis import Redis
from bot.wechat.client import SharedTokenClient
from config import Settings
settings = Settings.load()
client = SharedTokenClient(settings, Redis.from_url(settings.REDIS_URL))
start = float(sys.argv[1])
time.sleep(max(0, start - time.time()))
print(client.access_token, flush=True)
"""


def test_two_processes_needing_a_token_at_once_cause_one_refresh(live, wechat_api):
    wechat_api.token_delay = 0.5  # both are waiting while the first fetch is under way
    env = {**os.environ, "WECHAT_APP_SECRET": "s3cret", "WECHAT_API_BASE_URL": wechat_api.url}
    start = time.time() + 1.5
    procs = [
        subprocess.Popen([sys.executable, "-c", TOKEN_SCRIPT, str(start)], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    tokens = [p.communicate(timeout=30)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert tokens[0] == tokens[1] == "TOKEN-1"
    assert wechat_api.stats()["calls"] == {"stable_token": 1}


# ── errors by kind ──────────────────────────────────────────────────────────
def run_jobs(services) -> None:  # type: ignore[no-untyped-def]
    """Run whatever is queued, as a worker would (burst)."""
    worker.build(services).work(burst=True)


@pytest.mark.parametrize("code", [45009, -1])
def test_busy_or_rate_limited_backs_off_and_retries_later(live, wechat_api, code):
    notice_id = make_notice(live, last_message_at=utc_now())  # enqueued on commit
    wechat_api.script("custom", code)
    run_jobs(live)
    job = Job.fetch(queue.send_job_id(notice_id), connection=live.redis)
    assert job.get_status() == "scheduled"  # RQ's Retry, with its back-off interval
    stored = row(live, notice_id)
    assert (stored.status, stored.attempts) == ("pending", 1)
    assert str(code) in stored.reason and stored.due_at > utc_now()
    assert wechat_api.delivered() == []

    # The retry, when it comes, sends it.
    queue.get(live.redis, queue.NOTICES).enqueue_job(job)
    run_jobs(live)
    assert row(live, notice_id).status == "sent"
    assert wechat_api.stats()["calls"]["custom"] == 2 and len(wechat_api.delivered()) == 1


@pytest.mark.parametrize(
    ("code", "in_window"),
    [(43004, True), (43101, False), (45015, True), (45047, True)],
)
def test_refusals_are_recorded_as_undeliverable_and_never_retried(live, wechat_api, code, in_window):
    notice_id = make_notice(live, last_message_at=utc_now() if in_window else None)
    endpoint = "custom" if in_window else "template"
    wechat_api.script(endpoint, code)
    run_jobs(live)
    stored = row(live, notice_id)
    assert stored.status == "undeliverable" and stored.reason.startswith(str(code))
    assert wechat_api.stats()["calls"][endpoint] == 1
    assert not live.redis.exists(Job.key_for(queue.send_job_id(notice_id)))  # finished, not waiting for a retry (result_ttl=0)
    # A later sweep does not pick it up again.
    assert sweeps.sweep(live)["due"] == 0


def test_a_send_that_gave_up_is_failed_with_the_reason(live, wechat_api):
    notice_id = make_notice(live, last_message_at=utc_now())
    with live.db.transaction() as session:
        session.get(Notice, notice_id).attempts = notices.MAX_ATTEMPTS - 1
    wechat_api.script("custom", 45009)
    assert delivery.deliver(live, notice_id) == "failed"
    assert "45009" in row(live, notice_id).reason


# ── sandbox ─────────────────────────────────────────────────────────────────
def test_the_sandbox_records_instead_of_sending_and_serves_the_outbox(app, services, wechat_api):
    first = make_notice(services, openid="o-sim", text="第一条")
    second = make_notice(services, openid="o-sim", text="第二条")
    make_notice(services, openid="o-other", text="别人的")
    for notice_id in (first, second):
        assert delivery.deliver(services, notice_id) == "sent"
    assert row(services, first).channel == "sandbox"
    client = app.test_client()
    body = client.get("/sandbox/outbox", query_string={"openid": "o-sim", "after": 0}).get_json()
    assert body == {"messages": [{"id": first, "text": "第一条"}, {"id": second, "text": "第二条"}]}
    body = client.get("/sandbox/outbox", query_string={"openid": "o-sim", "after": first}).get_json()
    assert [m["id"] for m in body["messages"]] == [second]


def test_the_outbox_does_not_exist_outside_the_sandbox(make_app, app, wechat_api):
    real = make_app(WECHAT_APP_SECRET="s3cret", WECHAT_API_BASE_URL=wechat_api.url)
    assert real.test_client().get("/sandbox/outbox", query_string={"openid": "x"}).status_code == 404


# ── throttle ────────────────────────────────────────────────────────────────
SLOTS_SCRIPT = """
import json, sys
from redis import Redis
from bot.wechat.throttle import RateLimiter
limiter = RateLimiter(Redis.from_url(sys.argv[1]), float(sys.argv[2]), name="test")
print(json.dumps([limiter.reserve()[0] for _ in range(int(sys.argv[3]))]))
"""


def test_the_throttle_hands_out_send_slots_one_interval_apart_across_processes(services):
    url = services.settings.REDIS_URL
    procs = [
        subprocess.Popen([sys.executable, "-c", SLOTS_SCRIPT, url, "200", "40"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    slots = sorted(s for p in procs for s in json.loads(p.communicate(timeout=30)[0]))
    assert len(slots) == 80
    assert min(b - a for a, b in zip(slots, slots[1:], strict=False)) >= 5000  # µs: 200 per second


def test_sends_take_a_throttle_slot_each(make_app, app, wechat_api):
    services = make_app(WECHAT_APP_SECRET="s3cret", WECHAT_API_BASE_URL=wechat_api.url, SEND_RATE_PER_SECOND="5").extensions["bot"]
    ids = [make_notice(services, last_message_at=utc_now()) for _ in range(3)]
    limiter = RateLimiter(services.redis, 5)
    before, _ = limiter.reserve()
    for notice_id in ids:
        delivery.deliver(services, notice_id)
    after, _ = limiter.reserve()
    # Three sends held the three slots (200 ms apart) between ours.
    assert after - before >= 4 * 200_000
