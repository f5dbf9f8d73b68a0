"""WeChat's webhook: verify → parse (wechatpy) → de-duplicate → dispatch → render.

Bad input never reaches the domain: a bad signature is 403; an empty, non-XML,
malformed, rootless or DOCTYPE-carrying body (XXE, billion laughs) is 400; more than
64 KiB is 413 (Flask's MAX_CONTENT_LENGTH). None of these writes anything.
"""

from __future__ import annotations

import logging
import re
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from flask import Blueprint, Response, abort, current_app, request
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from bot import metrics, residents
from bot.context import Context
from bot.dedupe import Dedupe, message_key
from bot.reply import Reply

log = logging.getLogger(__name__)

bp = Blueprint("wechat", __name__)

MAX_BODY = 64 * 1024
# Characters XML 1.0 cannot carry, even inside CDATA.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class BadRequest(Exception):
    pass


def sanitise(text: str) -> str:
    """Make text safe inside wechatpy's CDATA: it does not split `]]>`, so we do."""
    return _XML_INVALID.sub("", text).replace("]]>", "]] >")


def _check_xml(body: bytes) -> None:
    if not body or not body.strip():
        raise BadRequest("empty body")
    if b"<!doctype" in body.lower() or b"<!entity" in body.lower():
        raise BadRequest("DOCTYPE is never sent by WeChat")
    try:
        root = fromstring(body, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise BadRequest(f"malformed XML: {exc}") from exc
    if root.tag != "xml":
        raise BadRequest(f"root is <{root.tag}>, not <xml>")
    return root


def _signed(token: str) -> bool:
    try:
        check_signature(token, request.args.get("signature", ""), request.args.get("timestamp", ""), request.args.get("nonce", ""))
    except InvalidSignatureException:
        return False
    return True


def _decrypt(body: bytes) -> tuple[bytes, WeChatCrypto]:
    """Decrypt a safe-mode body with the current key, then the previous one."""
    settings = current_app.extensions["bot"].settings
    keys = settings.aes_keys
    if not keys:
        raise BadRequest("encrypted message but no WECHAT_ENCODING_AES_KEY is set")
    for aes_key in keys:
        crypto = WeChatCrypto(settings.WECHAT_TOKEN, aes_key, settings.WECHAT_APP_ID)
        try:
            plain = crypto.decrypt_message(
                body.decode("utf-8"),
                request.args.get("msg_signature", ""),
                request.args.get("timestamp", ""),
                request.args.get("nonce", ""),
            )
        except InvalidSignatureException:
            abort(403)
        except (InvalidAppIdException, ValueError, KeyError, TypeError, UnicodeError) as exc:
            log.info("decryption with one key failed: %s", type(exc).__name__)
            continue
        except Exception as exc:  # cryptography raises several kinds on a wrong key
            log.info("decryption with one key failed: %s", type(exc).__name__)
            continue
        return plain.encode("utf-8") if isinstance(plain, str) else plain, crypto
    raise BadRequest("no key decrypts this message")


@bp.get("/wechat")
def verify() -> Response:
    """WeChat's URL check: echo `echostr` when the signature is ours."""
    settings = current_app.extensions["bot"].settings
    if not _signed(settings.WECHAT_TOKEN):
        abort(403)
    return Response(request.args.get("echostr", ""), mimetype="text/plain")


@bp.post("/wechat")
def receive() -> Response:
    services = current_app.extensions["bot"]
    settings = services.settings
    if not _signed(settings.WECHAT_TOKEN):
        metrics.REJECTED.labels("signature").inc()
        abort(403)
    body = request.get_data(cache=False)
    encrypted = request.args.get("encrypt_type", "raw").lower() == "aes"
    crypto = None
    try:
        root = _check_xml(body)
        if encrypted:
            if root.find("Encrypt") is None or not (root.findtext("Encrypt") or "").strip():
                raise BadRequest("safe mode without <Encrypt>")
            body, crypto = _decrypt(body)
            root = _check_xml(body)
        if not (root.findtext("MsgType") or "").strip():
            raise BadRequest("no MsgType")
        if not (root.findtext("FromUserName") or "").strip():
            raise BadRequest("no FromUserName")
        message = parse_message(body)
    except BadRequest as exc:
        metrics.REJECTED.labels("bad_xml").inc()
        log.info("rejected webhook body: %s", exc)
        abort(400)

    metrics.MESSAGES.labels(message.type).inc()
    reply_xml = Dedupe(services.redis).once(message_key(message), lambda: _handle(services, message))
    if reply_xml is None or reply_xml == b"success":
        return Response("success", mimetype="text/plain")
    if crypto is not None:
        nonce = request.args.get("nonce", "")
        return Response(crypto.encrypt_message(reply_xml.decode("utf-8"), nonce), mimetype="application/xml")
    return Response(reply_xml, mimetype="application/xml")


def _handle(services, message) -> bytes:  # type: ignore[no-untyped-def]
    """Dispatch one message and render the reply (the same bytes go to every retry)."""
    ctx = Context(services, message)
    try:
        _touch(ctx)
        reply: Reply = services.router.dispatch(ctx)
    finally:
        ctx.close()
    if not reply:
        return b"success"
    rendered = TextReply(source=message.target, target=message.source, content=sanitise(reply.text or "")).render()
    return rendered.encode("utf-8")


def _touch(ctx: Context) -> None:
    """Note the contact (WeChat's customer-service window) before handling."""
    if ctx.message.type == "event" and ctx.message.event == "unsubscribe":
        return
    try:
        residents.touch(ctx.session, ctx.resident, event=ctx.message.type == "event")
        ctx.commit()
    except Exception:
        ctx.rollback()
        log.exception("could not record contact")
