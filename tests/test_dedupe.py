"""WeChat's retries: a message (same MsgId) or event (same sender, CreateTime, Event,
EventKey) has exactly one effect and every copy gets the same reply — also a copy that
arrives while the first is still being handled, and a retry after the first copy died."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot.chat.reply import Reply
from bot.chat.router import Router
from bot.domain import residents
from bot.storage.models import Resident, Signup
from bot.wechat import dedupe
from config import texts
from tests.conftest import prepend_routes, wait_for

ROOT = Path(__file__).resolve().parent.parent


def _post(app, request):  # type: ignore[no-untyped-def]
    """One copy, on its own client (as a separate connection from WeChat would be)."""
    return app.test_client().post("/wechat", query_string=request.query, data=request.body)


def _at_once(app, request, copies: int = 3) -> list:  # type: ignore[no-untyped-def]
    """Post `copies` identical requests from as many threads, released together."""
    barrier = threading.Barrier(copies)
    responses: list = [None] * copies

    def send(i: int) -> None:
        barrier.wait()
        responses[i] = _post(app, request)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(copies)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return responses


def _wait_for_renewals(redis, key: str, count: int) -> None:  # type: ignore[no-untyped-def]
    """Wait until the claim on `key` has been renewed `count` times (its TTL seen to go up again)."""
    seen = {"renewals": 0, "ttl": None}

    def renewed() -> bool:
        ttl = redis.pttl(key)
        if seen["ttl"] is not None and ttl > seen["ttl"]:
            seen["renewals"] += 1
        seen["ttl"] = ttl
        return seen["renewals"] >= count

    wait_for(renewed, timeout=30, interval=0.01)


@pytest.fixture
def slow_route(app):
    """A test-only command `慢`, slow enough for copies to overlap; counts its runs."""
    calls: list[str] = []
    # `seconds`: how long the handler takes; or, when `release` is set, it waits for that event.
    gate: dict = {"seconds": 0.5, "release": None}
    router = Router("test-slow")

    @router.text("慢")
    def slow(ctx):  # type: ignore[no-untyped-def]
        """Take a while, then answer."""
        calls.append(ctx.openid)
        if gate["release"] is not None:
            assert gate["release"].wait(30)
        else:
            time.sleep(gate["seconds"])
        return Reply(f"第{len(calls)}次处理")

    prepend_routes(app, router)
    return calls, gate


# ── plain retries ─────────────────────────────────────────────────────────


def test_same_msgid_twice_has_one_effect_and_identical_reply_bytes(wx, db, make_activity):
    activity_id = make_activity(capacity=2)
    wx.register(user="retry-user")
    request = wx.peer.signed(wx.peer.text_xml("retry-user", f"报名 {activity_id}", msg_id=880001))
    first = wx.client.post("/wechat", query_string=request.query, data=request.body)
    # WeChat's retry: same message, new nonce and timestamp on the query.
    again = wx.peer.signed(wx.peer.text_xml("retry-user", f"报名 {activity_id}", msg_id=880001))
    second = wx.client.post("/wechat", query_string=again.query, data=request.body)
    assert first.status_code == second.status_code == 200
    assert first.data == second.data
    assert "报名成功" in wx.peer.read_reply(first.data)["Content"]
    resident = db.query(Resident).filter_by(openid="retry-user").one()
    assert db.query(Signup).filter_by(resident_id=resident.id, activity_id=activity_id).count() == 1


def test_a_new_msgid_with_the_same_text_is_a_new_message(wx, make_activity):
    activity_id = make_activity()
    wx.register(user="twice-user")
    assert "报名成功" in wx.say(f"报名 {activity_id}", user="twice-user")
    assert "无需重复报名" in wx.say(f"报名 {activity_id}", user="twice-user")


def test_the_stored_reply_is_kept_for_the_retries_then_expires(wx, services):
    wx.say("帮助", user="ttl-user", msg_id=880002)
    ttl = services.redis.ttl("cvb:dedupe:msg:880002")
    assert 0 < ttl <= dedupe.KEEP_SECONDS


def test_an_event_retry_has_one_effect(wx, services):
    # The menu's 注册 starts the dialog; the person answers the first question; then
    # WeChat's retry of the click arrives. It must not restart the dialog.
    wx.register(user="click-user")
    click = wx.peer.event_xml("click-user", "CLICK", "REGISTER", create_time=1700000000)
    first = wx.post_xml(click)
    wx.say("李四", user="click-user")
    assert json.loads(services.redis.get("cvb:conv:click-user"))["state"] == "phone"
    retry = wx.post_xml(click)
    assert retry.data == first.data
    assert json.loads(services.redis.get("cvb:conv:click-user"))["state"] == "phone"


@pytest.mark.parametrize(
    "other",
    [
        {"create_time": 1700000001},
        {"key": "HELP"},
        {"openid": "someone-else"},
        {"event": "SCAN", "key": "REGISTER"},
    ],
    ids=["later", "other-key", "other-sender", "other-event"],
)
def test_events_differing_in_any_identity_field_are_not_retries(app, wx, other):
    router = Router("count-events")
    seen: list[str] = []

    @router.click("REGISTER", "HELP")
    def count(ctx):  # type: ignore[no-untyped-def]
        """Count the click."""
        seen.append(ctx.openid)
        return Reply("ok")

    @router.event("scan")
    def count_scan(ctx):  # type: ignore[no-untyped-def]
        """Count the scan."""
        seen.append(ctx.openid)
        return Reply("ok")

    prepend_routes(app, router)
    base = {"openid": "event-user", "event": "CLICK", "key": "REGISTER", "create_time": 1700000000}
    changed = {**base, **other}
    for fields in (base, changed):
        wx.post_xml(wx.peer.event_xml(fields["openid"], fields["event"], fields["key"], create_time=fields["create_time"]))
    assert len(seen) == 2


# ── copies at the same time ───────────────────────────────────────────────


def test_three_copies_at_once_in_the_register_dialog_advance_it_once(app, wx, services, monkeypatch, communities):
    wx.say("注册", user="dialog-user")
    wx.say("王五", user="dialog-user")
    original = residents.validate_phone
    runs: list[str] = []

    def slow_validate(phone: str) -> str:
        runs.append(phone)
        time.sleep(0.3)  # the copies overlap while the first is handled
        return original(phone)

    monkeypatch.setattr(residents, "validate_phone", slow_validate)
    request = wx.peer.signed(wx.peer.text_xml("dialog-user", "13900139000", msg_id=880003))
    responses = _at_once(app, request)
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert len({r.data for r in responses}) == 1
    assert "请选择所在社区" in wx.peer.read_reply(responses[0].data)["Content"]
    assert runs == ["13900139000"]
    conversation = json.loads(services.redis.get("cvb:conv:dialog-user"))
    assert conversation["state"] == "community"
    assert conversation["data"]["phone"] == "13900139000"


def test_three_copies_at_once_of_the_last_answer_save_the_profile_once(app, wx, db, monkeypatch, communities):
    for answer in ("注册", "赵六", "13700137000", "2"):
        wx.say(answer, user="last-step-user")
    original = residents.save_profile
    saves: list[str] = []

    def counting_save(session, resident, **fields):  # type: ignore[no-untyped-def]
        saves.append(resident.openid)
        time.sleep(0.3)
        return original(session, resident, **fields)

    monkeypatch.setattr(residents, "save_profile", counting_save)
    request = wx.peer.signed(wx.peer.text_xml("last-step-user", "否", msg_id=880004))
    responses = _at_once(app, request)
    assert len({r.data for r in responses}) == 1
    assert "登记完成" in wx.peer.read_reply(responses[0].data)["Content"]
    assert saves == ["last-step-user"]
    resident = db.query(Resident).filter_by(openid="last-step-user").one()
    assert resident.name == "赵六" and resident.registered


def test_a_copy_arriving_while_the_first_is_handled_gets_the_same_reply(app, wx, services, slow_route):
    calls, _gate = slow_route
    request = wx.peer.signed(wx.peer.text_xml("slow-user", "慢", msg_id=880005))
    first: dict = {}
    thread = threading.Thread(target=lambda: first.update(response=_post(app, request)))
    thread.start()
    wait_for(lambda: calls)  # the first copy is inside its handler now
    second = _post(app, request)
    thread.join(10)
    assert second.data == first["response"].data
    assert wx.peer.read_reply(second.data)["Content"] == "第1次处理"
    assert calls == ["slow-user"]


def test_a_copy_that_would_outwait_wechat_answers_success(app, wx, services, slow_route, monkeypatch):
    # WeChat drops a connection after 5 s: the waiting copy answers `success` in time,
    # and a later retry gets the real reply.
    calls, gate = slow_route
    gate["seconds"] = 1.0
    monkeypatch.setattr(dedupe, "WAIT_SECONDS", 0.2)
    request = wx.peer.signed(wx.peer.text_xml("patient-user", "慢", msg_id=880006))
    first: dict = {}
    thread = threading.Thread(target=lambda: first.update(response=_post(app, request)))
    thread.start()
    wait_for(lambda: calls)
    assert _post(app, request).data == b"success"
    thread.join(10)
    assert _post(app, request).data == first["response"].data
    assert calls == ["patient-user"]


def test_a_slow_handler_keeps_its_claim_beyond_the_lease(app, wx, slow_route, monkeypatch):
    # The lease is renewed while the handler runs: a copy arriving after the first
    # lease would have run out still waits instead of handling the message again.
    calls, gate = slow_route
    monkeypatch.setattr(dedupe, "CLAIM_SECONDS", 0.3)
    monkeypatch.setattr(dedupe, "WAIT_SECONDS", 0.5)
    monkeypatch.setattr(dedupe, "_leases", dedupe._Leases())  # a renewer on the short lease from the start
    gate["release"] = threading.Event()  # the handler runs until the test lets it finish
    request = wx.peer.signed(wx.peer.text_xml("slower-user", "慢", msg_id=880007))
    first: dict = {}
    thread = threading.Thread(target=lambda: first.update(response=_post(app, request)))
    thread.start()
    try:
        wait_for(lambda: calls)
        _wait_for_renewals(app.extensions["bot"].redis, "cvb:dedupe:msg:880007", 6)  # two whole leases later
        # Still claimed: this copy waits (then answers `success` for WeChat to retry), never runs the handler.
        assert _post(app, request).data == b"success"
    finally:
        gate["release"].set()
        thread.join(10)
    assert calls == ["slower-user"]
    assert _post(app, request).data == first["response"].data


# ── after a crash ─────────────────────────────────────────────────────────


def test_after_the_first_copy_crashed_a_retry_is_handled(app, wx, db, make_activity, monkeypatch):
    activity_id = make_activity()
    wx.register(user="crash-user")
    chat_router = app.extensions["bot.chat"].router
    real_dispatch = chat_router.dispatch
    crashes = []

    def crash_once(ctx):  # type: ignore[no-untyped-def]
        if not crashes:
            crashes.append(1)
            raise RuntimeError("the database went away mid-request")
        return real_dispatch(ctx)

    monkeypatch.setattr(chat_router, "dispatch", crash_once)
    app.testing = False  # let Flask answer 500 as in production instead of re-raising
    request = wx.peer.signed(wx.peer.text_xml("crash-user", f"报名 {activity_id}", msg_id=880008))
    assert _post(app, request).status_code == 500
    retry = _post(app, request)
    assert retry.status_code == 200
    assert "报名成功" in wx.peer.read_reply(retry.data)["Content"]
    resident = db.query(Resident).filter_by(openid="crash-user").one()
    assert db.query(Signup).filter_by(resident_id=resident.id).count() == 1


HANGING_WORKER = """
import json, sys, time
import bot.wechat.dedupe, bot.wechat.webhook
from bot.app import create_app

bot.wechat.dedupe.CLAIM_SECONDS = 0.6
bot.wechat.webhook._handle = lambda *args: time.sleep(3600)  # stuck until killed
app = create_app()
request = json.loads(sys.argv[1])
app.test_client().post("/wechat", query_string=request["query"], data=request["body"].encode())
"""


def test_a_retry_after_the_first_copys_process_was_killed_is_handled(app, wx, services, test_env):
    request = wx.peer.signed(wx.peer.text_xml("killed-user", "帮助", msg_id=880009))
    payload = json.dumps({"query": request.query, "body": request.body.decode()})
    worker = subprocess.Popen([sys.executable, "-c", HANGING_WORKER, payload], cwd=ROOT, env={**os.environ, **test_env})
    try:
        wait_for(lambda: services.redis.exists("cvb:dedupe:msg:880009"), timeout=20)
        _wait_for_renewals(services.redis, "cvb:dedupe:msg:880009", 7)  # more than two leases: the live (stuck) process keeps its claim
        assert services.redis.get("cvb:dedupe:msg:880009").startswith(dedupe.PENDING)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    # WeChat's retry, after the process died mid-request: handled, not swallowed.
    retry = _post(app, request)
    assert retry.status_code == 200
    assert wx.peer.read_reply(retry.data)["Content"] == texts.HELP_RESIDENT
