"""WeChat's webhook: verify → parse (wechatpy) → de-duplicate → dispatch → render.

Bad input never reaches the domain: a bad signature (or `msg_signature`) is 403; an
empty, non-XML, malformed or rootless body, a DOCTYPE (XXE, billion laughs), or fields
shaped unlike anything WeChat sends are 400; more than 64 KiB is 413 (Flask's
MAX_CONTENT_LENGTH). None of these writes anything.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from flask import Blueprint, Flask, Response, abort, current_app, request
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.messages import BaseMessage
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from bot.chat.context import Context
from bot.chat.reply import Reply
from bot.chat.router import Router
from bot.runtime import metrics
from bot.runtime.services import Services
from bot.wechat.dedupe import Dedupe, message_key
from config import Settings

log = logging.getLogger(__name__)

bp = Blueprint("wechat", __name__)

MAX_BODY = 64 * 1024
# Characters XML 1.0 cannot carry, even inside CDATA.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Fields wechatpy reads as plain text or numbers: WeChat never nests or repeats them.
_FLAT_FIELDS = ("ToUserName", "FromUserName", "CreateTime", "MsgType", "MsgId", "Content", "Event", "EventKey", "Recognition")
_NUMERIC_FIELDS = ("CreateTime", "MsgId")


class BadRequest(Exception):
    """The body is not a message WeChat would send (answered 400)."""


class BadSignature(Exception):
    """`msg_signature` does not match the encrypted body (answered 403)."""


def sanitise(text: str) -> str:
    """Make text safe inside wechatpy's CDATA: it does not split `]]>`, so we do."""
    return _XML_INVALID.sub("", text).replace("]]>", "]] >")


def _check_xml(body: bytes) -> Element:
    """Parse with defusedxml: any DTD is refused before an entity could be expanded."""
    if not body or not body.strip():
        raise BadRequest("empty body")
    try:
        root = fromstring(body, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise BadRequest(f"malformed XML or DOCTYPE: {type(exc).__name__}") from exc
    if root.tag != "xml":
        raise BadRequest(f"root is <{root.tag}>, not <xml>")
    return root


def _check_fields(root: Element) -> None:
    """Refuse what wechatpy would choke on later (a nested or repeated field, a non-number id)."""
    for tag in _FLAT_FIELDS:
        found = root.findall(tag)
        if len(found) > 1:
            raise BadRequest(f"<{tag}> appears {len(found)} times")
        if found and len(found[0]):
            raise BadRequest(f"<{tag}> has elements inside")
    for tag in _NUMERIC_FIELDS:
        value = (root.findtext(tag) or "").strip()
        if value and not (value.isascii() and value.isdigit() and len(value) <= 20):
            raise BadRequest(f"<{tag}> is not a number")
    msg_type = (root.findtext("MsgType") or "").strip()
    if not msg_type:
        raise BadRequest("no MsgType")
    if msg_type.lower() == "event" and not (root.findtext("Event") or "").strip():
        raise BadRequest("an event without <Event>")
    if not (root.findtext("FromUserName") or "").strip():
        raise BadRequest("no FromUserName")


def _signed(token: str) -> bool:
    try:
        check_signature(token, request.args.get("signature", ""), request.args.get("timestamp", ""), request.args.get("nonce", ""))
    except InvalidSignatureException:
        return False
    return True


def _decrypt(body: bytes, settings: Settings) -> tuple[bytes, WeChatCrypto]:
    """Decrypt a safe- or compatible-mode body with the current key, then the previous one.

    Returns the plain XML and the crypto that decrypted it, so the reply is encrypted
    with the same key (WeChat may still be on the old one during a key change).
    """
    for aes_key in settings.aes_keys:
        crypto = WeChatCrypto(settings.WECHAT_TOKEN, aes_key, settings.WECHAT_APP_ID)
        try:
            plain = crypto.decrypt_message(
                body.decode("utf-8"),
                request.args.get("msg_signature", ""),
                request.args.get("timestamp", ""),
                request.args.get("nonce", ""),
            )
        except InvalidSignatureException as exc:
            # The signature covers token and ciphertext, not the key: no other key can help.
            raise BadSignature() from exc
        except Exception as exc:  # a wrong key surfaces as a bad app id, padding, length or encoding
            log.info("decryption with one key failed: %s", type(exc).__name__)
            continue
        return plain.encode("utf-8") if isinstance(plain, str) else plain, crypto
    raise BadRequest("no key decrypts this message")


def _read_body() -> bytes:
    body = request.get_data(cache=False)
    # A body without Content-Length (chunked) is cut at MAX_CONTENT_LENGTH rather than
    # refused; refuse it here so a truncated message is never handled.
    if request.content_length is None and len(body) >= MAX_BODY:
        abort(413)
    return body


def _parse(body: bytes, settings: Settings) -> tuple[BaseMessage, WeChatCrypto | None]:
    """The message wechatpy reads from the body, and the crypto to answer with (None: plain)."""
    root = _check_xml(body)
    crypto = None
    if request.args.get("encrypt_type", "raw").lower() == "aes":
        if settings.aes_keys:
            if not (root.findtext("Encrypt") or "").strip():
                raise BadRequest("encrypt_type=aes without <Encrypt>")
            body, crypto = _decrypt(body, settings)
            root = _check_xml(body)
        elif (root.findtext("MsgType") or "").strip():
            # Compatible mode with no key set here yet: its plain fields are signed as in
            # plain mode, and WeChat accepts a plain reply.
            log.info("compatible-mode message handled as plain: WECHAT_ENCODING_AES_KEY is not set")
        else:
            raise BadRequest("encrypted message but no WECHAT_ENCODING_AES_KEY is set")
    _check_fields(root)
    try:
        return parse_message(body), crypto
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise BadRequest(f"wechatpy cannot read it: {type(exc).__name__}") from exc


@bp.get("/wechat")
def verify() -> Response:
    """WeChat's URL check: echo `echostr` when the signature is ours."""
    settings = current_app.extensions["bot"].settings
    if not _signed(settings.WECHAT_TOKEN):
        abort(403)
    return Response(request.args.get("echostr", ""), mimetype="text/plain")


def read_message(settings: Settings) -> tuple[BaseMessage, WeChatCrypto | None]:
    """This request's message and the crypto to answer with (None: plain mode).

    Anything WeChat would not send ends the request here with its status (403, 400 or
    413), before anything is written.
    """
    if not _signed(settings.WECHAT_TOKEN):
        metrics.REJECTED.labels("signature").inc()
        abort(403)
    body = _read_body()
    try:
        return _parse(body, settings)
    except BadSignature:
        metrics.REJECTED.labels("msg_signature").inc()
        abort(403)
    except BadRequest as exc:
        metrics.REJECTED.labels("bad_xml").inc()
        log.info("rejected webhook body: %s", exc)
        abort(400)


def render_text(message: BaseMessage, text: str) -> bytes:
    """A text reply to `message`, as WeChat wants it back (the addresses are echoed: sanitised too)."""
    return (
        TextReply(source=sanitise(message.target or ""), target=sanitise(message.source), content=sanitise(text)).render().encode("utf-8")
    )


def respond(reply_xml: bytes | None, crypto: WeChatCrypto | None) -> Response:
    """The HTTP answer: `success` when there is nothing to say, else the reply (encrypted when the message was)."""
    if reply_xml is None or reply_xml == b"success":
        return Response("success", mimetype="text/plain")
    if crypto is not None:
        nonce = request.args.get("nonce", "")
        return Response(crypto.encrypt_message(reply_xml.decode("utf-8"), nonce), mimetype="application/xml")
    return Response(reply_xml, mimetype="application/xml")


@dataclass(frozen=True)
class Chat:
    """What the webhook hands each message to, as the factory set it up."""

    router: Router
    # Called before each message is handled (not for unfollows): notes the person's contact,
    # which opens WeChat's customer-service window. Given by the factory so the protocol
    # layer needs no domain rules of its own.
    on_contact: Callable[[Context], None]


def init_app(app: Flask, router: Router, on_contact: Callable[[Context], None]) -> None:
    """Serve the webhook on `app`, answering messages with `router`."""
    app.extensions["bot.chat"] = Chat(router, on_contact)
    app.register_blueprint(bp)


@bp.post("/wechat")
def receive() -> Response:
    services: Services = current_app.extensions["bot"]
    chat: Chat = current_app.extensions["bot.chat"]
    message, crypto = read_message(services.settings)
    metrics.MESSAGES.labels(message.type).inc()
    return respond(Dedupe(services.redis).once(message_key(message), lambda: _handle(services, chat, message)), crypto)


def _handle(services: Services, chat: Chat, message: BaseMessage) -> bytes:
    """Dispatch one message and render the reply (the same bytes go to every retry)."""
    ctx = Context(services, message)
    try:
        if not (message.type == "event" and message.event == "unsubscribe"):
            try:
                chat.on_contact(ctx)
            except Exception:  # a missed contact note must not cost the person their answer
                log.exception("could not record contact")
        reply: Reply = chat.router.dispatch(ctx)
    finally:
        ctx.close()
    return render_text(message, reply.text or "") if reply else b"success"
