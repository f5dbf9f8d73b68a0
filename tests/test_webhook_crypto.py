"""Compatible and safe mode (消息加解密), with WeChat's own WXBizMsgCrypt sample values.

A reply is encrypted with the key that decrypted the request; during a key change
(WECHAT_ENCODING_AES_KEY_PREVIOUS) a message under the old key is still understood and
answered under the old key.
"""

from __future__ import annotations

import pytest
import xmltodict
from wechatpy.crypto import WeChatCrypto

from bot.storage.models import Resident, Signup
from bot.wechat.peer import WeChatPeer, sign
from config import texts
from tests.conftest import Wx
from tests.webhook_helpers import SAMPLE_APP_ID, SAMPLE_KEY, SAMPLE_TOKEN, decrypt_reply, parsed_reply, post_raw, snapshot

# EncodingAESKeys are 43 characters of base64 (32 bytes).
NEW_KEY = "dGhlIGtleSBhZnRlciB0aGUgY2hhbmdlOiAzMiBieXQ"  # the key after the change: 32 byt
STRANGER_KEY = "YSBrZXkgbm9ib2R5IGNvbmZpZ3VyZWQ6IDMyIGJ5dGU"  # a key nobody configured: 32 byte

# WeChat's documented sample (the WXBizMsgCrypt demo): a compatible-mode body, carrying
# the plain fields and <Encrypt> side by side, with its msg_signature.
SAMPLE_TIMESTAMP = "1409735669"
SAMPLE_NONCE = "1320562132"
SAMPLE_MSG_SIGNATURE = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
SAMPLE_BODY = (
    "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>"
    "<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>"
    "<CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType>"
    "<Content><![CDATA[abcdteT]]></Content><MsgId>6054768590064713728</MsgId>"
    "<Encrypt><![CDATA[hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGH"
    "QHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux"
    "5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h"
    "0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=]]></Encrypt></xml>"
)


def _sample_query() -> dict:
    return {
        "signature": sign(SAMPLE_TOKEN, SAMPLE_TIMESTAMP, SAMPLE_NONCE),
        "timestamp": SAMPLE_TIMESTAMP,
        "nonce": SAMPLE_NONCE,
        "openid": "oyORnuP8q7ou2gfYjqLzSIWZf0rs",
        "encrypt_type": "aes",
        "msg_signature": SAMPLE_MSG_SIGNATURE,
    }


@pytest.fixture
def sample_app(make_app, app):  # `app` empties the database and Redis first
    return make_app(WECHAT_TOKEN=SAMPLE_TOKEN, WECHAT_ENCODING_AES_KEY=SAMPLE_KEY, WECHAT_APP_ID=SAMPLE_APP_ID)


@pytest.fixture
def peer() -> WeChatPeer:
    return WeChatPeer(SAMPLE_TOKEN, SAMPLE_APP_ID, SAMPLE_KEY)


def _envelope(body: bytes) -> dict:
    return xmltodict.parse(body.decode("utf-8"))["xml"]


def test_the_official_sample_decrypts_with_wechatpy():
    crypto = WeChatCrypto(SAMPLE_TOKEN, SAMPLE_KEY, SAMPLE_APP_ID)
    plain = crypto.decrypt_message(SAMPLE_BODY, SAMPLE_MSG_SIGNATURE, SAMPLE_TIMESTAMP, SAMPLE_NONCE)
    assert xmltodict.parse(plain)["xml"]["Content"] == "abcdteT"


def test_the_official_sample_is_answered_encrypted_with_the_sample_key(sample_app, peer):
    response = post_raw(sample_app.test_client(), SAMPLE_BODY, _sample_query())
    assert response.status_code == 200
    envelope = _envelope(response.data)
    assert set(envelope) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
    assert envelope["Nonce"] == SAMPLE_NONCE  # the reply is signed with the request's nonce
    reply = parsed_reply(peer, response.data, SAMPLE_KEY)
    assert reply.target == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    assert reply.source == "gh_10f6c3c3ac5a"
    assert reply.content == texts.UNKNOWN.format(text="abcdteT")


def test_url_check_with_the_sample_token(sample_app, peer):
    response = sample_app.test_client().get("/wechat", query_string=peer.verify_query("sample-echo"))
    assert response.status_code == 200 and response.data == b"sample-echo"


@pytest.mark.parametrize("mode", ["safe", "compatible"])
def test_encrypted_modes_reply_encrypted(sample_app, peer, mode):
    client = sample_app.test_client()
    request = peer.signed(peer.text_xml("user-safe", "帮助"), mode=mode)
    assert request.query["encrypt_type"] == "aes"
    response = client.post("/wechat", query_string=request.query, data=request.body)
    assert response.status_code == 200
    assert "Content" not in _envelope(response.data)  # nothing readable on the wire
    assert parsed_reply(peer, response.data).content == texts.HELP_RESIDENT


def test_compatible_mode_trusts_the_encrypted_part_not_the_plain_one(sample_app, peer, services):
    # Only <Encrypt> is covered by msg_signature; the plain copy could be altered.
    request = peer.signed(peer.text_xml("user-compat", "帮助"), mode="compatible")
    tampered = request.body.decode().replace("帮助", "注册")
    response = sample_app.test_client().post("/wechat", query_string=request.query, data=tampered.encode())
    assert parsed_reply(peer, response.data).content == texts.HELP_RESIDENT
    assert not services.redis.exists("cvb:conv:user-compat")


def test_compatible_mode_without_a_key_set_here_is_handled_as_plain(make_app, app, peer):
    # WeChat switched to 兼容模式 before the key was configured: still answered (plainly).
    plain_app = make_app(WECHAT_TOKEN=SAMPLE_TOKEN, WECHAT_APP_ID=SAMPLE_APP_ID, WECHAT_ENCODING_AES_KEY="")
    response = post_raw(plain_app.test_client(), SAMPLE_BODY, _sample_query())
    assert response.status_code == 200
    assert parsed_reply(peer, response.data).content == texts.UNKNOWN.format(text="abcdteT")


def test_safe_mode_without_a_key_set_here_is_400(make_app, app, peer):
    plain_app = make_app(WECHAT_TOKEN=SAMPLE_TOKEN, WECHAT_APP_ID=SAMPLE_APP_ID, WECHAT_ENCODING_AES_KEY="")
    request = peer.signed(peer.text_xml("user-nokey", "帮助"), mode="safe")
    assert plain_app.test_client().post("/wechat", query_string=request.query, data=request.body).status_code == 400


# ── a key change ───────────────────────────────────────────────────────────


@pytest.fixture
def rotating_app(make_app, app):
    return make_app(
        WECHAT_TOKEN=SAMPLE_TOKEN,
        WECHAT_APP_ID=SAMPLE_APP_ID,
        WECHAT_ENCODING_AES_KEY=NEW_KEY,
        WECHAT_ENCODING_AES_KEY_PREVIOUS=SAMPLE_KEY,
    )


@pytest.mark.parametrize("mode", ["safe", "compatible"])
@pytest.mark.parametrize("sender_key,other_key", [(SAMPLE_KEY, NEW_KEY), (NEW_KEY, SAMPLE_KEY)], ids=["previous-key", "new-key"])
def test_during_a_key_change_each_message_is_answered_under_its_own_key(rotating_app, sender_key, other_key, mode):
    peer = WeChatPeer(SAMPLE_TOKEN, SAMPLE_APP_ID, sender_key)
    request = peer.signed(peer.text_xml("user-rotate", "帮助"), mode=mode)
    response = rotating_app.test_client().post("/wechat", query_string=request.query, data=request.body)
    assert response.status_code == 200
    plain = decrypt_reply(peer, response.data, sender_key)
    assert xmltodict.parse(plain)["xml"]["Content"] == texts.HELP_RESIDENT
    with pytest.raises(Exception):  # noqa: B017 - the other key cannot read it (wechatpy raises several kinds)
        decrypt_reply(peer, response.data, other_key)


def test_the_official_sample_is_understood_during_a_key_change(rotating_app, peer):
    response = post_raw(rotating_app.test_client(), SAMPLE_BODY, _sample_query())
    assert response.status_code == 200
    assert parsed_reply(peer, response.data, SAMPLE_KEY).content == texts.UNKNOWN.format(text="abcdteT")


# ── refused: nothing written ──────────────────────────────────────────────


@pytest.fixture
def registered(sample_app, peer, make_activity):
    """A registered resident of the sample account and an activity to sign up for."""
    wx = Wx(sample_app, peer, "user-enc")
    wx.register()
    return make_activity(capacity=3)


def _signup_request(peer: WeChatPeer, activity_id: int, mode: str = "safe"):  # type: ignore[no-untyped-def]
    return peer.signed(peer.text_xml("user-enc", f"报名 {activity_id}"), mode=mode)


@pytest.mark.parametrize("mode", ["safe", "compatible"])
def test_a_message_no_key_decrypts_is_400_and_writes_nothing(sample_app, services, registered, mode):
    stranger = WeChatPeer(SAMPLE_TOKEN, SAMPLE_APP_ID, STRANGER_KEY)
    request = _signup_request(stranger, registered, mode)
    before = snapshot(services)
    response = sample_app.test_client().post("/wechat", query_string=request.query, data=request.body)
    assert response.status_code == 400
    assert snapshot(services) == before


def test_a_message_for_another_app_id_is_400_and_writes_nothing(sample_app, services, registered):
    other_app = WeChatPeer(SAMPLE_TOKEN, "wx0123456789abcdef", SAMPLE_KEY)
    request = _signup_request(other_app, registered)
    before = snapshot(services)
    response = sample_app.test_client().post("/wechat", query_string=request.query, data=request.body)
    assert response.status_code == 400
    assert snapshot(services) == before


@pytest.mark.parametrize(
    "change",
    [{"msg_signature": "0" * 40}, {"msg_signature": ""}, "drop-msg-signature", "altered-ciphertext"],
    ids=["wrong", "empty", "missing", "ciphertext-altered"],
)
def test_a_bad_msg_signature_is_403_and_writes_nothing(sample_app, peer, services, registered, change):
    request = _signup_request(peer, registered)
    query, body = dict(request.query), request.body
    if change == "drop-msg-signature":
        del query["msg_signature"]
    elif change == "altered-ciphertext":
        body = body.replace(b"<Encrypt>", b"<Encrypt>A", 1)
    else:
        query.update(change)
    before = snapshot(services)
    response = sample_app.test_client().post("/wechat", query_string=query, data=body)
    assert response.status_code == 403
    assert snapshot(services) == before


def test_a_bad_plain_signature_is_403_even_with_a_good_msg_signature(sample_app, peer, services, registered):
    request = _signup_request(peer, registered)
    before = snapshot(services)
    response = sample_app.test_client().post("/wechat", query_string={**request.query, "signature": "0" * 40}, data=request.body)
    assert response.status_code == 403
    assert snapshot(services) == before


@pytest.mark.parametrize(
    "body",
    [
        "<xml><ToUserName>gh</ToUserName></xml>",
        "<xml><ToUserName>gh</ToUserName><Encrypt></Encrypt></xml>",
        "<xml><ToUserName>gh</ToUserName><Encrypt>not base64 at all!</Encrypt></xml>",
        "<xml><Encrypt>QUJD</Encrypt></xml>",
    ],
    ids=["no-encrypt", "empty-encrypt", "not-base64", "too-short"],
)
def test_broken_envelopes_are_refused_and_write_nothing(sample_app, peer, services, registered, body):
    query = peer.query()
    encrypt = xmltodict.parse(body)["xml"].get("Encrypt") or ""
    # Sign the envelope correctly, so only its content is wrong.
    query.update(encrypt_type="aes", msg_signature=sign(SAMPLE_TOKEN, query["timestamp"], query["nonce"], encrypt))
    before = snapshot(services)
    response = post_raw(sample_app.test_client(), body, query)
    assert response.status_code == 400
    assert snapshot(services) == before


def test_the_decrypted_message_is_checked_like_a_plain_one(sample_app, peer, services, registered):
    # A DOCTYPE hidden inside the ciphertext is refused as well.
    inner = '<!DOCTYPE xml [<!ENTITY x "y">]><xml><FromUserName>user-enc</FromUserName><MsgType>text</MsgType><Content>&x;</Content></xml>'
    request = peer.signed(inner, mode="safe")
    before = snapshot(services)
    response = sample_app.test_client().post("/wechat", query_string=request.query, data=request.body)
    assert response.status_code == 400
    assert snapshot(services) == before


def test_an_encrypted_retry_has_one_effect_and_the_same_reply(sample_app, peer, services, registered, db):
    # WeChat re-encrypts each retry (new nonce, new ciphertext); the MsgId stays.
    xml = peer.text_xml("user-enc", f"报名 {registered}", msg_id=7001)
    client = sample_app.test_client()
    replies = []
    for _ in range(2):
        request = peer.signed(xml)
        response = client.post("/wechat", query_string=request.query, data=request.body)
        replies.append(parsed_reply(peer, response.data).content)
    assert replies[0] == replies[1] and "报名成功" in replies[0]
    resident = db.query(Resident).filter_by(openid="user-enc").one()
    assert db.query(Signup).filter_by(resident_id=resident.id).count() == 1
