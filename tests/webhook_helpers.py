"""Helpers for the webhook tests: raw posts, parsing replies with wechatpy, and a
snapshot of everything stored (what "nothing written" is compared against)."""

from __future__ import annotations

from sqlalchemy import select
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto

from bot.storage.models import Base
from bot.wechat.peer import WeChatPeer

# WeChat's own WXBizMsgCrypt sample values (the official demo of 消息加解密).
SAMPLE_TOKEN = "spamtest"
SAMPLE_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
SAMPLE_APP_ID = "wx2c2769f8efd9abc2"


def snapshot(services) -> dict:  # type: ignore[no-untyped-def]
    """Every row of every table and every Redis key with its value."""
    rows = {}
    with services.db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows[table.name] = sorted((tuple(r) for r in conn.execute(select(table))), key=repr)
    redis = services.redis
    keys = {k: redis.dump(k) for k in redis.keys("*")}
    return {"rows": rows, "redis": keys}


def post_raw(client, body: bytes | str, query: dict | None = None, **kwargs):  # type: ignore[no-untyped-def]
    """POST a body as is (no signing, no encryption)."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    return client.post("/wechat", query_string=query or {}, data=data, **kwargs)


def parsed_reply(peer: WeChatPeer, body: bytes, key: str | None = None):  # type: ignore[no-untyped-def]
    """The reply as wechatpy reads it (decrypted first when it is an encrypted envelope)."""
    text = body.decode("utf-8")
    if "<Encrypt>" in text:
        text = decrypt_reply(peer, body, key or peer.aes_key)
    return parse_message(text)


def decrypt_reply(peer: WeChatPeer, body: bytes, key: str) -> str:
    """Decrypt an encrypted reply with one given key (raises if that key is not the one)."""
    import xmltodict

    doc = xmltodict.parse(body.decode("utf-8"))["xml"]
    crypto = WeChatCrypto(peer.token, key, peer.app_id)
    return crypto.decrypt_message(body.decode("utf-8"), doc["MsgSignature"], doc["TimeStamp"], doc["Nonce"])
