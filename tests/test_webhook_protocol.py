"""WeChat's side of the webhook (SPEC §3): the URL check, plain mode, bad input, replies
that are always valid XML, message types and events, and the health endpoints."""

from __future__ import annotations

import io
import socket
import zlib
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from werkzeug.test import EnvironBuilder, run_wsgi_app

from bot.domain import residents
from bot.storage.keys import key
from bot.storage.models import Resident, utc_now
from bot.wechat.peer import WeChatPeer, sign
from config import texts
from tests.webhook_helpers import parsed_reply, post_raw, snapshot

# ── the URL check (GET) ───────────────────────────────────────────────────


def test_url_check_echoes_echostr_when_signed(wx):
    response = wx.client.get("/wechat", query_string=wx.peer.verify_query("5837397520665436492"))
    assert response.status_code == 200
    assert response.data == b"5837397520665436492"


def test_url_check_accepts_old_timestamps(wx):
    # WeChat's own samples are years old; replays are caught by de-duplication instead.
    timestamp, nonce = "1409735669", "1320562132"
    query = {"signature": sign(wx.peer.token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce, "echostr": "old"}
    response = wx.client.get("/wechat", query_string=query)
    assert response.status_code == 200 and response.data == b"old"


@pytest.mark.parametrize(
    "change",
    [
        {"signature": "0" * 40},
        {"signature": ""},
        {"nonce": "tampered"},
        {"timestamp": "1"},
    ],
    ids=["wrong", "empty", "nonce-changed", "timestamp-changed"],
)
def test_url_check_refuses_a_bad_signature(wx, change):
    query = {**wx.peer.verify_query("x"), **change}
    assert wx.client.get("/wechat", query_string=query).status_code == 403


def test_url_check_refuses_a_missing_signature_or_another_token(wx):
    assert wx.client.get("/wechat", query_string={"echostr": "x"}).status_code == 403
    other = WeChatPeer("not-our-token", wx.peer.app_id)
    assert wx.client.get("/wechat", query_string=other.verify_query("x")).status_code == 403


# ── plain mode ─────────────────────────────────────────────────────────────


def test_plain_mode_reply_is_a_passive_text_reply_to_the_sender(wx):
    response = wx.post_xml(wx.peer.text_xml("user-plain", "帮助"))
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    reply = parsed_reply(wx.peer, response.data)
    assert reply.type == "text"
    assert reply.target == "user-plain"  # ToUserName: the person
    assert reply.source == wx.peer.account  # FromUserName: the account
    assert reply.content == texts.HELP_RESIDENT


def test_plain_mode_accepts_old_timestamps(wx):
    request = wx.peer.signed(wx.peer.text_xml("user-old", "帮助"), timestamp="1409735669", nonce="1320562132")
    response = wx.client.post("/wechat", query_string=request.query, data=request.body)
    assert response.status_code == 200
    assert parsed_reply(wx.peer, response.data).content == texts.HELP_RESIDENT


# ── bad input: its status, and nothing written ────────────────────────────


@pytest.fixture
def state(wx, services, make_activity):
    """A registered resident mid-dialog, and an activity they could sign up for."""
    activity_id = make_activity(capacity=5)
    wx.register(user="user-1")
    wx.say("活动", user="user-1")
    wx.say("注册", user="user-1")  # a dialog state in Redis too
    return activity_id


def _signup_xml(wx, activity_id: int) -> str:
    return wx.peer.text_xml("user-1", f"报名 {activity_id}")


def _text_fields(content: str, **replace: str) -> dict:
    fields = {
        "ToUserName": "<![CDATA[gh_simulated]]>",
        "FromUserName": "<![CDATA[user-1]]>",
        "CreateTime": "1700000000",
        "MsgType": "<![CDATA[text]]>",
        "Content": f"<![CDATA[{content}]]>",
        "MsgId": "6054768590064713728",
    }
    fields.update(replace)
    return fields


def _xml(fields: dict, root: str = "xml") -> str:
    inner = "".join(f"<{k}>{v}</{k}>" for k, v in fields.items() if v is not None)
    return f"<{root}>{inner}</{root}>"


XXE = (
    '<?xml version="1.0"?>\n<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    "<xml><ToUserName>gh</ToUserName><FromUserName>user-1</FromUserName><CreateTime>1</CreateTime>"
    "<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>1</MsgId></xml>"
)
BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE xml [\n<!ENTITY lol "lol">\n'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n' for i in range(1, 10))
    + "]>\n<xml><ToUserName>gh</ToUserName><FromUserName>user-1</FromUserName><CreateTime>1</CreateTime>"
    "<MsgType>text</MsgType><Content>&lol9;</Content><MsgId>2</MsgId></xml>"
)
PARAMETER_ENTITY = (
    '<!DOCTYPE xml [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/x.dtd"> %remote;]>'
    "<xml><FromUserName>user-1</FromUserName><MsgType>text</MsgType><Content>x</Content></xml>"
)


def _bad_bodies(activity_id: int) -> dict[str, str | bytes]:
    signup = f"报名 {activity_id}"
    return {
        "empty": b"",
        "whitespace": b"  \r\n ",
        "not-xml": "报名 1",
        "json": '{"MsgType": "text", "Content": "报名 1"}',
        "malformed": _xml(_text_fields(signup))[:-3],
        "unclosed-tag": "<xml><MsgType>text</xml>",
        "other-root": _xml(_text_fields(signup), root="message"),
        "no-msgtype": _xml(_text_fields(signup, MsgType=None)),
        "empty-msgtype": _xml(_text_fields(signup, MsgType="")),
        "no-sender": _xml(_text_fields(signup, FromUserName=None)),
        "xxe": XXE,
        "billion-laughs": BILLION_LAUGHS,
        "parameter-entity": PARAMETER_ENTITY,
        "doctype-only": "<!DOCTYPE xml><xml><FromUserName>user-1</FromUserName><MsgType>text</MsgType><Content>x</Content></xml>",
        "two-roots": _xml(_text_fields(signup)) + _xml(_text_fields(signup)),
        "nested-msgtype": _xml(_text_fields(signup, MsgType="text<b>x</b>")),
        "nested-sender": _xml(_text_fields(signup, FromUserName="<a>user-1</a>")),
        "nested-content": _xml(_text_fields(signup, Content="报名<b>1</b>")),
        "repeated-msgtype": _xml(_text_fields(signup)).replace("</xml>", "<MsgType>image</MsgType></xml>"),
        "msgid-not-a-number": _xml(_text_fields(signup, MsgId="abc")),
        "createtime-not-a-number": _xml(_text_fields(signup, CreateTime="yesterday")),
        "not-utf8": _xml(_text_fields(signup)).encode("utf-8").replace(b"user-1", b"user-\xff"),
    }


BAD_BODY_IDS = list(_bad_bodies(1))


@pytest.mark.parametrize("case", BAD_BODY_IDS)
def test_bad_bodies_are_400_and_write_nothing(wx, services, state, case):
    body = _bad_bodies(state)[case]
    before = snapshot(services)
    response = post_raw(wx.client, body, wx.peer.query())
    assert response.status_code == 400, response.data
    assert snapshot(services) == before


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"signature": "0" * 40, "timestamp": "1700000000", "nonce": "1"},
        {"timestamp": "1700000000", "nonce": "1"},
        {"signature": sign("another-token", "1700000000", "1"), "timestamp": "1700000000", "nonce": "1"},
    ],
    ids=["none", "wrong", "missing", "other-token"],
)
def test_unsigned_posts_are_403_and_write_nothing(wx, services, state, query):
    before = snapshot(services)
    response = post_raw(wx.client, _signup_xml(wx, state), query)
    assert response.status_code == 403
    assert snapshot(services) == before


def test_unsigned_bad_bodies_are_403_not_400(wx, services, state):
    # The signature is checked first: an anonymous caller learns nothing about parsing.
    assert post_raw(wx.client, "not xml", {}).status_code == 403


def test_a_body_over_64_kib_is_413_and_writes_nothing(wx, services, state):
    xml = wx.peer.text_xml("user-1", f"报名 {state} " + "x" * (64 * 1024))
    before = snapshot(services)
    response = post_raw(wx.client, xml, wx.peer.query())
    assert response.status_code == 413
    assert snapshot(services) == before


def test_a_chunked_body_over_64_kib_is_413_too(app, wx, services, state):
    # No Content-Length to check up front (a chunked upload, as gunicorn passes it on):
    # Werkzeug would cut the body at the limit, and trailing blanks after </xml> are
    # still valid XML, so the cut message must be refused, not handled.
    xml = wx.peer.text_xml("user-1", f"报名 {state}").encode("utf-8") + b" " * (70 * 1024)
    environ = EnvironBuilder(path="/wechat", method="POST", query_string=wx.peer.query(), data=xml).get_environ()
    environ.pop("CONTENT_LENGTH")
    environ.update({"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input_terminated": True, "wsgi.input": io.BytesIO(xml)})
    before = snapshot(services)
    _body, status, _headers = run_wsgi_app(app, environ, buffered=True)
    assert status.startswith("413")
    assert snapshot(services) == before


def test_a_body_just_under_the_limit_is_handled(wx, state):
    xml = wx.peer.text_xml("user-1", "x" * (60 * 1024))
    assert post_raw(wx.client, xml, wx.peer.query()).status_code == 200


@pytest.mark.parametrize("text", ["<!DOCTYPE html>", "<!ENTITY x>", "<!doctype"])
def test_text_that_merely_mentions_a_doctype_is_a_message(wx, text):
    # Only a real DOCTYPE declaration is refused, not a resident typing one (WeChat
    # sends the text in CDATA, as here).
    xml = _xml(_text_fields(text, FromUserName="<![CDATA[user-d]]>", MsgId=str(zlib.crc32(text.encode()))))
    response = post_raw(wx.client, xml, wx.peer.query())
    assert response.status_code == 200
    assert text in parsed_reply(wx.peer, response.data).content


# ── replies are always valid XML ──────────────────────────────────────────


@pytest.mark.parametrize(
    "text",
    ["]]>", "a]]>b<c>&d", "]]]]>>", "<![CDATA[x]]>", "\x85tab\tand\u2028line", "\U0001f600]]>"],
)
def test_echoed_user_text_always_renders_valid_xml(wx, text):
    response = wx.post_xml(wx.peer.text_xml("user-x", text))
    assert response.status_code == 200
    reply = parsed_reply(wx.peer, response.data)
    assert reply.type == "text"
    assert reply.content.startswith("没听懂")
    assert reply.target == "user-x"


def test_stored_text_with_control_characters_renders_valid_xml(wx, make_activity):
    # Titles come from organizers and the CLI: a pasted control character or `]]>` must
    # not break the reply either.
    activity_id = make_activity(title="义务\x0b清扫]]><x>\x1f", place="3号院\x08南门")
    response = wx.post_xml(wx.peer.text_xml("user-y", f"活动 {activity_id}"))
    reply = parsed_reply(wx.peer, response.data)
    assert "义务清扫]]" in reply.content.replace(" ", "")
    assert "3号院南门" in reply.content


# ── message types and events ──────────────────────────────────────────────


@pytest.mark.parametrize(
    "msg_type,fields",
    [
        ("image", {"PicUrl": "http://mmbiz.qpic.cn/x", "MediaId": "media-1"}),
        ("video", {"MediaId": "media-3", "ThumbMediaId": "thumb-3"}),
        ("shortvideo", {"MediaId": "media-4", "ThumbMediaId": "thumb-4"}),
        ("location", {"Location_X": "34.26", "Location_Y": "108.94", "Scale": "20", "Label": "西安市碑林区"}),
        ("link", {"Title": "活动照片", "Description": "上周的清扫", "Url": "https://example.com/"}),
        ("file", {"Title": "报名表.xlsx", "FileKey": "k", "FileMd5": "m", "FileTotalLen": "10"}),
    ],
)
def test_other_message_types_get_a_short_help(wx, msg_type, fields):
    response = wx.post_xml(wx.peer.other_xml("user-m", msg_type, **fields))
    assert response.status_code == 200
    assert parsed_reply(wx.peer, response.data).content == texts.NON_TEXT


@pytest.mark.parametrize("text", ["明天天气怎么样", "活动室在哪", "12345", "报", "   x   "])
def test_unknown_text_gets_a_hint_never_silence(wx, text):
    reply = wx.say(text, user="user-u")
    assert reply.startswith("没听懂") and "帮助" in reply


def test_blank_text_still_gets_a_hint(wx):
    reply = wx.say("　 ", user="user-u")
    assert reply and "帮助" in reply


def test_subscribe_welcomes_and_says_how_to_register(wx, services):
    reply = wx.subscribe(user="new-follower")
    assert reply == texts.WELCOME.format(org=services.settings.ORG_NAME)
    assert "注册" in reply


def test_unsubscribe_marks_the_resident_and_answers_success(wx, services, db):
    wx.post_xml(wx.peer.event_xml("leaver", "subscribe", create_time=1700000000))
    response = wx.post_xml(wx.peer.event_xml("leaver", "unsubscribe", create_time=1700000100))
    assert response.status_code == 200 and response.data == b"success"
    resident = db.query(Resident).filter_by(openid="leaver").one()
    assert resident.subscribed is False
    wx.post_xml(wx.peer.event_xml("leaver", "subscribe", create_time=1700000200))
    db.refresh(resident)
    assert resident.subscribed is True


def test_unsubscribe_leaves_any_dialog(wx, services):
    wx.say("注册", user="leaver-2")
    assert services.redis.exists("cvb:conv:leaver-2")
    wx.unsubscribe(user="leaver-2")
    assert not services.redis.exists("cvb:conv:leaver-2")


@pytest.mark.parametrize("key,text", [("EVENTS", "活动"), ("MY_SIGNUPS", "我的报名"), ("REGISTER", "注册"), ("HELP", "帮助")])
def test_menu_clicks_answer_as_the_text_command(wx, make_activity, key, text):
    make_activity(title="健康知识讲座", kind="lecture")
    by_click = wx.click(key, user=f"clicker-{key}")
    by_text = wx.say(text, user=f"typer-{key}")
    assert by_click == by_text
    assert by_click


def test_menu_click_for_a_registered_person(wx, make_activity):
    activity_id = make_activity()
    wx.register(user="member")
    wx.say(f"报名 {activity_id}", user="member")
    assert "（已报名）" in wx.click("MY_SIGNUPS", user="member")
    assert wx.click("MY_SIGNUPS", user="member") == wx.say("我的报名", user="member")


# ── contact is recorded (WeChat's customer-service window) ───────────────


def _contact(db, services, openid: str) -> tuple:  # type: ignore[no-untyped-def]
    """The person's contact as the database has it once the noted contacts are written (the sweep's job)."""
    residents.flush_contacts(services.redis, services.db)
    db.expire_all()
    resident = db.query(Resident).filter_by(openid=openid).one()
    return resident.last_message_at, resident.last_event_at


def test_a_message_and_an_event_record_the_contact(wx, db, services):
    wx.say("帮助", user="contact-user")
    message_at, event_at = _contact(db, services, "contact-user")
    assert message_at is not None and event_at is None
    wx.click("HELP", user="contact-user")
    assert _contact(db, services, "contact-user")[1] is not None


def test_the_contact_is_recorded_even_when_the_handler_refuses(wx, db, services):
    assert "没有编号为 999999 的活动" in wx.say("报名 999999", user="refused-contact")  # a refusal, rolled back
    message_at, _ = _contact(db, services, "refused-contact")
    assert message_at is not None and utc_now() - message_at < timedelta(minutes=1)


def test_the_contact_is_noted_once_a_minute(wx, db, services):
    wx.say("帮助", user="chatty")
    three_days_ago = utc_now() - timedelta(days=3)
    _contact(db, services, "chatty")
    with services.db.transaction() as session:
        session.query(Resident).filter_by(openid="chatty").update({"last_message_at": three_days_ago})
    wx.say("帮助", user="chatty")  # within the minute: nothing noted
    assert _contact(db, services, "chatty")[0] == three_days_ago
    services.redis.delete(key("contact", "chatty"))  # the minute is over
    wx.say("帮助", user="chatty")
    assert utc_now() - _contact(db, services, "chatty")[0] < timedelta(minutes=1)


def test_the_sender_counts_a_contact_noted_but_not_yet_written(wx, db, services):
    wx.say("活动", user="fresh")  # a first contact; nothing here needs the person's row
    db.expire_all()
    assert db.query(Resident).filter_by(openid="fresh").one_or_none() is None  # not written yet: no database write on the hot path
    message_at, event_at = residents.pending_contact(services.redis, "fresh")
    assert utc_now() - message_at < timedelta(minutes=1) and event_at is None
    assert residents.flush_contacts(services.redis, services.db) == 1
    assert residents.pending_contact(services.redis, "fresh") == (None, None)  # written, and taken out of Redis


def test_a_contact_noted_while_the_sweep_writes_waits_for_the_next_sweep(wx, db, services, monkeypatch):
    wx.say("活动", user="busy")
    write = residents.note_contact
    later = utc_now() + timedelta(minutes=5)

    def write_while_a_message_arrives(conn, openid, **kw):  # type: ignore[no-untyped-def]
        write(conn, openid, **kw)
        residents.queue_contact(services.redis, openid, event=False, now=later)  # a newer note, mid-flush

    monkeypatch.setattr(residents, "note_contact", write_while_a_message_arrives)
    assert residents.flush_contacts(services.redis, services.db) == 1
    monkeypatch.setattr(residents, "note_contact", write)
    assert residents.pending_contact(services.redis, "busy")[0] == later.replace(microsecond=0)  # not dropped with the old one
    assert _contact(db, services, "busy")[0] == later.replace(microsecond=0)


def test_a_sweep_that_dies_after_writing_loses_no_contact(wx, db, services, monkeypatch):
    wx.say("活动", user="crashy")
    original = services.redis.register_script

    def dies_before_dropping(script):  # type: ignore[no-untyped-def]
        def run(**kw):  # type: ignore[no-untyped-def]
            raise ConnectionError("worker killed")
        return run

    monkeypatch.setattr(services.redis, "register_script", dies_before_dropping)
    with pytest.raises(ConnectionError):
        residents.flush_contacts(services.redis, services.db)
    monkeypatch.setattr(services.redis, "register_script", original)
    assert residents.pending_contact(services.redis, "crashy")[0] is not None  # still noted
    assert residents.flush_contacts(services.redis, services.db) == 1  # written again: harmless
    assert residents.pending_contact(services.redis, "crashy") == (None, None)
    assert _contact(db, services, "crashy")[0] is not None


def test_no_contact_is_written_back_under_an_account_being_erased(wx, db, services, monkeypatch):
    wx.say("活动", user="leaving")
    residents.mark_erased(services.redis, "leaving")  # `确认注销` sets this before its commit
    assert residents.flush_contacts(services.redis, services.db) == 0
    db.expire_all()
    assert db.query(Resident).filter_by(openid="leaving").one_or_none() is None
    assert residents.pending_contact(services.redis, "leaving")[0] is not None  # waits, not lost
    services.redis.delete(key("contact", "erased", "leaving"))  # ERASED_FOR is over: whoever writes now is new
    assert residents.flush_contacts(services.redis, services.db) == 1


def test_an_erasure_during_the_write_takes_the_written_row_away(wx, db, services, monkeypatch):
    wx.say("活动", user="gone")
    write = residents.note_contact

    def erased_meanwhile(conn, openid, **kw):  # type: ignore[no-untyped-def]
        write(conn, openid, **kw)
        residents.mark_erased(services.redis, openid)  # the erasure starts while the chunk is written

    monkeypatch.setattr(residents, "note_contact", erased_meanwhile)
    assert residents.flush_contacts(services.redis, services.db) == 0
    db.expire_all()
    assert db.query(Resident).filter_by(openid="gone").one_or_none() is None


def test_a_sign_up_from_someone_whose_first_contact_was_not_written(wx, db, services, make_activity):
    activity_id = make_activity()
    # The minute's contact is noted in Redis, but the row was never written (say the write failed).
    services.redis.set(key("contact", "unwritten"), 1, ex=60)
    reply = wx.say(f"报名 {activity_id}", user="unwritten")
    assert texts.REG_NEEDED_FOR_SIGNUP.format(activity_id=activity_id).splitlines()[0] in reply
    db.expire_all()
    assert db.query(Resident).filter_by(openid="unwritten").one().registered is False


def test_an_unfollow_is_not_a_contact(wx, db, services):
    wx.post_xml(wx.peer.event_xml("quiet-user", "subscribe", create_time=1700000000))
    _, followed_at = _contact(db, services, "quiet-user")
    wx.post_xml(wx.peer.event_xml("quiet-user", "unsubscribe", create_time=1700000100))
    assert _contact(db, services, "quiet-user")[1] == followed_at


# ── health and metrics ────────────────────────────────────────────────────


def test_healthz(wx):
    response = wx.client.get("/healthz")
    assert response.status_code == 200 and response.json["status"] == "ok"


def test_readyz_when_database_and_redis_answer(wx):
    response = wx.client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "redis": "ok"}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_readyz_is_503_when_redis_is_unreachable(make_app):
    app = make_app(REDIS_URL=f"redis://127.0.0.1:{_closed_port()}/0")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["redis"].startswith("error")
    assert response.json["database"] == "ok"


def test_readyz_is_503_when_the_database_is_unreachable(make_app):
    app = make_app(DATABASE_URL=f"postgresql+psycopg://127.0.0.1:{_closed_port()}/nothing")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["database"].startswith("error")
    assert response.json["redis"] == "ok"


def _metrics(client) -> dict:  # type: ignore[no-untyped-def]
    """Every sample /metrics serves, by (name, labels)."""
    response = client.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.data.decode())
        for sample in family.samples
    }


def test_metrics_count_messages_and_rejections(wx):
    text = ("wechat_messages_total", (("type", "text"),))
    bad_xml = ("wechat_rejected_total", (("reason", "bad_xml"),))
    unsigned = ("wechat_rejected_total", (("reason", "signature"),))
    before = _metrics(wx.client)
    wx.say("帮助", user="user-metrics")
    post_raw(wx.client, "not xml", wx.peer.query())
    post_raw(wx.client, "<xml/>", {})
    after = _metrics(wx.client)
    for sample in (text, bad_xml, unsigned):
        assert after[sample] - before.get(sample, 0) == 1, sample
