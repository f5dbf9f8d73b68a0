"""Speak to the webhook exactly as WeChat does: the chat simulator (bot.cli.chat) and the tests' `wx` use this.

Messages are built as WeChat's XML (xmltodict), signed with the token (wechatpy's
signer) and, when an AES key is set, encrypted by wechatpy's `WeChatCrypto` into the
safe-mode envelope. Replies are checked and decrypted the same way.
"""

from __future__ import annotations

import itertools
import random
import string
import time
from dataclasses import dataclass

import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from config import Settings

_msg_ids = itertools.count(int(time.time() * 1000) * 1000 + random.randint(0, 999))


def sign(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


@dataclass
class SignedRequest:
    query: dict
    body: bytes


class WeChatPeer:
    """Builds what WeChat would POST, and reads what it would get back."""

    def __init__(self, token: str, app_id: str, aes_key: str = "", account: str = "gh_simulated"):
        self.token = token
        self.app_id = app_id
        self.aes_key = aes_key
        self.account = account

    @classmethod
    def from_settings(cls, settings: Settings) -> WeChatPeer:
        return cls(settings.WECHAT_TOKEN, settings.WECHAT_APP_ID, settings.WECHAT_ENCODING_AES_KEY)

    # ── messages ───────────────────────────────────────────────────────────
    def text_xml(self, openid: str, content: str, msg_id: int | None = None, create_time: int | None = None) -> str:
        return self._xml(
            openid,
            create_time,
            MsgType="text",
            Content=content,
            MsgId=str(msg_id if msg_id is not None else next(_msg_ids)),
        )

    def event_xml(self, openid: str, event: str, key: str | None = None, create_time: int | None = None) -> str:
        fields = {"MsgType": "event", "Event": event}
        if key is not None:
            fields["EventKey"] = key
        return self._xml(openid, create_time, **fields)

    def voice_xml(self, openid: str, recognition: str | None, msg_id: int | None = None) -> str:
        """A voice message as WeChat sends it; with speech recognition on, `<Recognition>`
        carries the text it heard (None: recognition off, no such field)."""
        fields = {"MsgType": "voice", "MediaId": "voice-media", "Format": "amr"}
        if recognition is not None:
            fields["Recognition"] = recognition
        return self._xml(openid, None, **fields, MsgId=str(msg_id if msg_id is not None else next(_msg_ids)))

    def other_xml(self, openid: str, msg_type: str, **fields: str) -> str:
        return self._xml(openid, None, MsgType=msg_type, MsgId=str(next(_msg_ids)), **fields)

    def _xml(self, openid: str, create_time: int | None, **fields: str) -> str:
        doc = {
            "xml": {
                "ToUserName": self.account,
                "FromUserName": openid,
                "CreateTime": str(create_time if create_time is not None else int(time.time())),
                **fields,
            }
        }
        return xmltodict.unparse(doc, full_document=False)

    # ── signing ────────────────────────────────────────────────────────────
    def query(self, timestamp: str | None = None, nonce: str | None = None) -> dict:
        """The query string WeChat signs every POST with (token, timestamp, nonce)."""
        timestamp = timestamp or str(int(time.time()))
        nonce = nonce or "".join(random.choices(string.digits, k=10))
        return {"signature": sign(self.token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce, "openid": "x"}

    def signed(self, xml: str, timestamp: str | None = None, nonce: str | None = None, mode: str | None = None) -> SignedRequest:
        """Sign (and, with a key, encrypt) a message as WeChat posts it.

        `mode` is WeChat's 消息加解密方式: `plain`, `compatible` (the plain fields and
        `<Encrypt>` side by side) or `safe` (`<Encrypt>` only); the default is safe
        when a key is set, else plain.
        """
        mode = mode or ("safe" if self.aes_key else "plain")
        query = self.query(timestamp, nonce)
        if mode == "plain":
            return SignedRequest(query, xml.encode("utf-8"))
        envelope = WeChatCrypto(self.token, self.aes_key, self.app_id).encrypt_message(xml, query["nonce"], query["timestamp"])
        parsed = xmltodict.parse(envelope)["xml"]
        query.update(encrypt_type="aes", msg_signature=parsed["MsgSignature"])
        if mode == "compatible":
            fields = xmltodict.parse(xml)["xml"]
        else:
            # WeChat's safe-mode body carries ToUserName and Encrypt only.
            fields = {"ToUserName": self.account}
        body = xmltodict.unparse({"xml": {**fields, "Encrypt": parsed["Encrypt"]}}, full_document=False)
        return SignedRequest(query, body.encode("utf-8"))

    def verify_query(self, echostr: str = "echo-123") -> dict:
        timestamp = str(int(time.time()))
        nonce = "".join(random.choices(string.digits, k=10))
        return {"signature": sign(self.token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce, "echostr": echostr}

    # ── replies ────────────────────────────────────────────────────────────
    def read_reply(self, body: bytes) -> dict:
        """The reply as a dict (`Content`, `MsgType`…); {} for `success`."""
        text = body.decode("utf-8")
        if text.strip() in ("", "success"):
            return {}
        doc = xmltodict.parse(text)["xml"]
        if "Encrypt" in doc:
            crypto = WeChatCrypto(self.token, self.aes_key, self.app_id)
            plain = crypto.decrypt_message(text, doc["MsgSignature"], doc["TimeStamp"], doc["Nonce"])
            doc = xmltodict.parse(plain)["xml"]
        return doc
