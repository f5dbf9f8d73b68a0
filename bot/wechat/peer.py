"""Speak to the webhook exactly as WeChat does: the chat simulator and the tests' `wx` use this.

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


class Simulator:
    """`flask --app wsgi chat`: type as a resident, see replies and pushed messages."""

    HELP = "/scan SCENE  /click KEY  /subscribe  /unsubscribe  /user OPENID  /quit"

    def __init__(self, settings: Settings, url: str, openid: str):
        import requests

        self.http = requests.Session()
        self.peer = WeChatPeer.from_settings(settings)
        self.url = url
        self.openid = openid
        self.base = url.rsplit("/wechat", 1)[0]
        self.seen_outbox = 0

    def send(self, xml: str) -> str:
        request = self.peer.signed(xml)
        response = self.http.post(self.url, params=request.query, data=request.body, timeout=10)
        if response.status_code != 200:
            return f"[HTTP {response.status_code}]"
        reply = self.peer.read_reply(response.content)
        return reply.get("Content", "") if reply else ""

    def line(self, line: str) -> str:
        """Turn one typed line into a message (or a switch) and return what to show."""
        if line.startswith("/"):
            command, _, arg = line.partition(" ")
            arg = arg.strip()
            if command == "/user" and arg:
                self.openid = arg
                return f"(now speaking as {arg})"
            if command == "/scan" and arg:
                return self.send(self.peer.event_xml(self.openid, "SCAN", arg))
            if command == "/click" and arg:
                return self.send(self.peer.event_xml(self.openid, "CLICK", arg))
            if command == "/subscribe":
                key = f"qrscene_{arg}" if arg else None
                return self.send(self.peer.event_xml(self.openid, "subscribe", key))
            if command == "/unsubscribe":
                return self.send(self.peer.event_xml(self.openid, "unsubscribe"))
            return self.HELP
        return self.send(self.peer.text_xml(self.openid, line))

    def pushed(self) -> list[str]:
        """Messages the sandbox sender recorded for this person since last asked."""
        try:
            response = self.http.get(f"{self.base}/sandbox/outbox", params={"openid": self.openid, "after": self.seen_outbox}, timeout=5)
        except Exception:
            return []
        if response.status_code != 200:
            return []
        items = response.json().get("messages", [])
        if items:
            self.seen_outbox = max(item["id"] for item in items)
        return [item["text"] for item in items]

    def repl(self) -> None:
        import click

        click.echo(f"Talking to {self.url} as {self.openid}. {self.HELP}")
        self.pushed()  # skip what was pushed before this session
        while True:
            try:
                line = input(f"{self.openid}> ").strip()
            except (EOFError, KeyboardInterrupt):
                click.echo()
                return
            if line in ("/quit", "/exit"):
                return
            if not line:
                for text in self.pushed():
                    click.echo(f"[推送] {text}\n")
                continue
            try:
                reply = self.line(line)
            except Exception as exc:  # the server may be down; keep the prompt
                reply = f"[error: {exc}]"
            click.echo(reply or "(no reply)")
            time.sleep(0.3)
            for text in self.pushed():
                click.echo(f"[推送] {text}\n")
