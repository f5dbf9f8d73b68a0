"""The router and dialogs (STYLE rules 2–5, 8): routes per app, dialog state with a
timeout, `退出` everywhere, refusals and bugs turned into replies, input folding."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import select

from bot.chat.reply import Reply
from bot.chat.router import Router
from bot.domain.errors import UserError
from bot.runtime import queue
from bot.storage.models import Notice, Resident
from bot.wechat.peer import WeChatPeer
from config import texts
from tests.conftest import Wx, prepend_routes, wait_for


def _resident(db, openid: str) -> Resident | None:  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.query(Resident).filter_by(openid=openid).one_or_none()


# ── every app has its own routes ──────────────────────────────────────────


def test_a_second_app_does_not_take_over_the_first_apps_notices(app, make_app, wx, services, make_activity):
    """Each app enqueues the notices its requests create on its own Redis (no process-wide "current" one)."""
    make_app(REDIS_URL="redis://127.0.0.1:1/0")  # built later, with a Redis that is nowhere
    activity_id = make_activity(capacity=1)
    for person in ("first", "second"):
        wx.register(user=person)
        wx.say(f"报名 {activity_id}", user=person)
    assert "已取消" in wx.say(f"取消 {activity_id}", user="first")  # "second" moves up and is told
    with services.db.autocommit() as conn:
        notice_id = conn.execute(select(Notice.id).where(Notice.kind == "promotion")).scalar_one()
    assert queue.get(services.redis, queue.NOTICES).job_ids == [queue.send_job_id(notice_id)]


def test_a_second_app_has_its_own_routes(app, make_app, wx):
    second = make_app()
    first_router = app.extensions["bot.chat"].router
    second_router = second.extensions["bot.chat"].router
    assert first_router is not second_router
    assert [(r.kind, r.match) for r in first_router.routes] == [(r.kind, r.match) for r in second_router.routes]
    # Building apps does not pile routes up anywhere.
    third = make_app()
    assert len(third.extensions["bot.chat"].router.routes) == len(first_router.routes)

    extra = Router("only-in-second")

    @extra.text("暗号")
    def password(ctx):  # type: ignore[no-untyped-def]
        """Answer the password."""
        return Reply("天王盖地虎")

    prepend_routes(second, extra)
    assert Wx(second, wx.peer).say("暗号", user="router-user") == "天王盖地虎"
    assert wx.say("暗号", user="router-user-2").startswith("没听懂")  # the first app never learnt it
    assert Wx(third, wx.peer).say("暗号", user="router-user-3").startswith("没听懂")


def test_the_first_matching_route_wins(app, wx):
    early = Router("early")

    @early.text("帮助")
    def early_help(ctx):  # type: ignore[no-untyped-def]
        """Shadow 帮助."""
        return Reply("先到先得")

    prepend_routes(app, early)
    assert wx.say("帮助", user="first-match") == "先到先得"


# ── dialog state: a timeout of silence ───────────────────────────────────


def test_a_dialog_expires_after_the_conversation_timeout(make_app, app, wx, services, communities):
    short = Wx(make_app(CONVERSATION_TIMEOUT="1s"), wx.peer, "forgetful")
    assert short.say("注册") == texts.REG_ASK_NAME
    assert 0 < services.redis.pttl("cvb:conv:forgetful") <= 1000
    wait_for(lambda: not services.redis.exists("cvb:conv:forgetful"), timeout=5)
    # The answer that comes too late is read as a command again, not as a name.
    assert short.say("张三") == texts.UNKNOWN.format(text="张三")


def test_each_answer_restarts_the_dialog_timeout(make_app, app, wx, services, communities):
    short = Wx(make_app(CONVERSATION_TIMEOUT="4s"), wx.peer, "steady")
    key = "cvb:conv:steady"

    def past_half() -> bool:
        return 0 < services.redis.pttl(key) < 2000

    short.say("注册")
    wait_for(past_half, timeout=10)
    assert short.say("张三") == texts.REG_ASK_PHONE
    assert services.redis.pttl(key) > 3000  # the answer started the timeout again
    wait_for(past_half, timeout=10)  # by now the dialog is older than its timeout
    assert "请选择所在社区" in short.say("13800138000")
    assert services.redis.pttl(key) > 3000
    assert json.loads(services.redis.get(key))["state"] == "community"


# ── 退出 works at every step ─────────────────────────────────────────────


@pytest.mark.parametrize(
    "answers,state",
    [
        ([], "name"),
        (["张三"], "phone"),
        (["张三", "13800138000"], "community"),
        (["张三", "13800138000", "1"], "party"),
        (["张三", "13800138000", "1", "是"], "employer"),
    ],
)
@pytest.mark.parametrize("exit_word", ["退出", "  退出 ", "退出　", "取消操作"])
def test_exit_leaves_the_register_dialog_at_every_step(wx, services, db, communities, answers, state, exit_word):
    for answer in ["注册", *answers]:
        wx.say(answer, user="leaver")
    assert json.loads(services.redis.get("cvb:conv:leaver"))["state"] == state
    assert wx.say(exit_word, user="leaver") == texts.EXITED
    assert not services.redis.exists("cvb:conv:leaver")
    assert _resident(db, "leaver").registered_at is None
    assert wx.say("退出", user="leaver") == texts.NOTHING_TO_EXIT


def test_exit_interrupts_any_dialog_not_just_registration(app, wx, services):
    # A dialog whose step would swallow any text, 退出 included, if the router let it.
    quiz = Router("quiz")

    @quiz.text("问答")
    def quiz_start(ctx):  # type: ignore[no-untyped-def]
        """Start the quiz."""
        ctx.conversations.set("quiz", "answer")
        return Reply("请回答")

    @quiz.step("quiz", "answer")
    def quiz_answer(ctx):  # type: ignore[no-untyped-def]
        """Take any answer."""
        return Reply(f"收到：{ctx.text}")

    prepend_routes(app, quiz)
    wx.say("问答", user="quizzer")
    assert wx.say("随便", user="quizzer") == "收到：随便"
    assert wx.say("退出", user="quizzer") == texts.EXITED
    assert wx.say("随便", user="quizzer").startswith("没听懂")


def test_a_dialog_state_no_longer_defined_is_forgotten(wx, services):
    # E.g. a dialog renamed by an upgrade while someone was in it.
    services.redis.set("cvb:conv:orphan", json.dumps({"name": "gone", "state": "nowhere", "data": {}}))
    assert wx.say("帮助", user="orphan") == texts.HELP_RESIDENT
    assert not services.redis.exists("cvb:conv:orphan")


# ── refusals and bugs ─────────────────────────────────────────────────────


@pytest.fixture
def failing_routes(app):
    """`改名然后出错` renames the sender then hits a bug; `改名然后拒绝` then refuses."""
    router = Router("failing")

    @router.text("改名然后出错")
    def rename_then_crash(ctx):  # type: ignore[no-untyped-def]
        """Write, then fail unexpectedly."""
        ctx.resident.name = "不该保存"
        ctx.session.flush()
        raise RuntimeError("a bug in a handler")

    @router.text("改名然后拒绝")
    def rename_then_refuse(ctx):  # type: ignore[no-untyped-def]
        """Write, then refuse as the domain does."""
        ctx.resident.name = "不该保存"
        ctx.session.flush()
        raise UserError("这件事不能做。")

    prepend_routes(app, router)


def test_an_unexpected_error_is_logged_and_the_person_told_busy(wx, db, communities, failing_routes, caplog):
    wx.register(name="原名", user="victim")
    with caplog.at_level(logging.ERROR, logger="bot.chat.router"):
        assert wx.say("改名然后出错", user="victim") == texts.BUSY
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and r.name == "bot.chat.router"]
    assert len(errors) == 1
    assert errors[0].exc_info and errors[0].exc_info[0] is RuntimeError  # with its traceback
    assert "a bug in a handler" in caplog.text
    assert _resident(db, "victim").name == "原名"  # rolled back


def test_a_user_error_becomes_its_message_and_rolls_back(wx, db, communities, failing_routes, caplog):
    wx.register(name="原名", user="refused")
    with caplog.at_level(logging.ERROR, logger="bot.chat.router"):
        assert wx.say("改名然后拒绝", user="refused") == "这件事不能做。"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # a refusal is not a bug
    assert _resident(db, "refused").name == "原名"


# ── input folding ─────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    "text", ["报名 {n}", "报名{n}", "报名 {wide}", "报名{wide}", "报名　{wide}", "  报名   {n}  ", "报名\t{n}", "报名#{n}"]
)
def test_signup_is_understood_however_the_number_is_written(wx, make_activity, text):
    activity_id = make_activity(capacity=5)
    wx.register(user="folder")
    wide = "".join(chr(ord(d) - ord("0") + ord("０")) for d in str(activity_id))
    assert "报名成功" in wx.say(text.format(n=activity_id, wide=wide), user="folder")


@pytest.mark.parametrize("text", ["ＨＥＬＰ", "ｈｅｌｐ", "？", "　帮助　"])
def test_full_width_letters_marks_and_spaces_are_folded(wx, text):
    assert wx.say(text, user="wide-user") == texts.HELP_RESIDENT


@pytest.mark.parametrize("text", ["活动室在哪", "活动中心电话", "报名表在哪拿"])
def test_a_command_word_inside_a_longer_word_is_not_the_command(wx, make_activity, text):
    make_activity()
    assert wx.say(text, user="wordy") == texts.UNKNOWN.format(text=text)


def test_a_command_word_inside_free_text_is_read_by_the_understanding(wx):
    # Not the command `帮助` (a word follows it), but free text asking for help (SPEC §9).
    assert wx.say("帮助我一下吧", user="wordy") == texts.HELP_RESIDENT


def test_detail_with_a_full_width_number(wx, make_activity):
    activity_id = make_activity(title="反诈骗讲座", kind="lecture")
    wide = "".join(chr(ord(d) - ord("0") + ord("０")) for d in str(activity_id))
    assert "反诈骗讲座" in wx.say(f"详情{wide}", user="detail-user")
    assert wx.say(f"详情{wide}", user="detail-user") == wx.say(f"活动 {activity_id}", user="detail-user")


def test_a_long_unknown_text_is_shortened_in_the_hint(wx):
    reply = wx.say("我" * 50, user="long-user")
    assert reply == texts.UNKNOWN.format(text="我" * 20 + "…")


def test_the_router_answers_in_safe_mode_too(make_app, app, communities):
    # Folding happens after decryption: the same words work whatever the 加解密方式.
    key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
    safe = make_app(WECHAT_ENCODING_AES_KEY=key)
    wx = Wx(safe, WeChatPeer.from_settings(safe.extensions["bot"].settings), "safe-folder")
    assert wx.say("ＨＥＬＰ") == texts.HELP_RESIDENT
