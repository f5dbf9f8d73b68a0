"""The one way out to WeChat: picks the channel WeChat allows, sends, and says what happened.

Channels follow WeChat's rules:
- a customer-service message reaches a person within 48 h of a message from them (at
  most 5 per message) or within 1 min of a menu click, scan or follow (at most 3);
  the counts are kept in Redis per window, shared by all workers;
- beyond that only a template message does, when a template id is set for the kind
  (WECHAT_TEMPLATE_REMINDER for reminders, WECHAT_TEMPLATE_NOTICE for the rest):
  fields of at most 20 characters without newlines, and `client_msg_id` = the
  notice's key, so WeChat drops a repeat of a send that was in flight when a worker
  died;
- otherwise the notice is recorded as not deliverable, with the reason.
Unsubscribed people are never sent to. Without an app secret (the sandbox) nothing
leaves: the notice is recorded as sent on channel `sandbox` and `make chat` shows it.

WeChat's errors by kind: 40001/40014/42001 → refresh the token once and retry once
(`bot.wechat.client`); 45009 and -1 → `RetryLater` (the job backs off and retries);
43004, 43101, 45015, 45047 → undeliverable with the reason, never retried.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import requests
from redis import Redis
from wechatpy.exceptions import WeChatClientException

from bot.storage.keys import key
from bot.storage.models import utc_now
from bot.wechat.client import TOKEN_ERRORS, TokenUnavailable, client_for
from bot.wechat.throttle import RateLimiter
from config import Settings, texts

log = logging.getLogger(__name__)

MESSAGE_WINDOW = timedelta(hours=48)
MESSAGE_WINDOW_LIMIT = 5
EVENT_WINDOW = timedelta(minutes=1)
EVENT_WINDOW_LIMIT = 3
TEMPLATE_FIELD_MAX = 20

# Never retried: the person can't or won't receive it (these are WeChat's meanings).
UNDELIVERABLE = {
    43004: "the person does not follow the account",
    43101: "the person refused template messages",
    45015: "outside the customer-service window",
    45047: "customer-service message limit reached",
}
# WeChat is busy (-1) or we called too often (45009): later may work.
TRANSIENT = {-1, 45009}


class RetryLater(Exception):
    """WeChat could not take the message now; the job backs off and tries again."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Outbound:
    """One notice on its way to one person: what to say and what the channel rules need."""

    key: str
    kind: str
    text: str
    openid: str
    resident_id: int
    subscribed: bool = True
    fields: dict = field(default_factory=dict)
    activity_id: int | None = None
    last_message_at: datetime | None = None
    last_event_at: datetime | None = None


@dataclass(frozen=True)
class Outcome:
    status: str  # sent | undeliverable | failed
    channel: str | None  # custom | template | sandbox
    reason: str | None = None


# ── channels ────────────────────────────────────────────────────────────────
def _within(redis: Redis, counter: str, limit: int, ttl: timedelta) -> bool:
    """Count one more message in a window; True while the window's limit is not reached."""
    with redis.pipeline() as pipe:
        pipe.incr(counter)
        pipe.expire(counter, int(ttl.total_seconds()) + 60)
        count, _ = pipe.execute()
    return count <= limit


def customer_service_open(redis: Redis, out: Outbound, now: datetime) -> bool:
    """Whether WeChat's customer-service window is open for this person, taking one of its messages."""
    if out.last_message_at is not None and now - out.last_message_at < MESSAGE_WINDOW:
        stamp = int(out.last_message_at.timestamp())
        if _within(redis, key("cs", out.resident_id, "message", stamp), MESSAGE_WINDOW_LIMIT, MESSAGE_WINDOW):
            return True
    if out.last_event_at is not None and now - out.last_event_at < EVENT_WINDOW:
        stamp = int(out.last_event_at.timestamp())
        if _within(redis, key("cs", out.resident_id, "event", stamp), EVENT_WINDOW_LIMIT, EVENT_WINDOW):
            return True
    return False


def template_id_for(settings: Settings, kind: str) -> str:
    return settings.WECHAT_TEMPLATE_REMINDER if kind == "reminder" else settings.WECHAT_TEMPLATE_NOTICE


def template_value(value: object) -> str:
    """A template field as WeChat takes it: one line, at most 20 characters."""
    text = re.sub(r"\s+", " ", str(value)).strip()
    return text if len(text) <= TEMPLATE_FIELD_MAX else text[: TEMPLATE_FIELD_MAX - 1] + "…"


def template_data(out: Outbound) -> dict:
    """The template's keyword fields for a notice (the README lists the keywords each template needs)."""
    f = out.fields or {}
    if out.kind == "reminder":
        raw = {
            "thing1": f.get("title"),
            "time2": f.get("time") or f.get("when"),
            "thing3": f.get("place"),
            "thing4": texts.REMINDER_TEMPLATE_HINT.format(id=out.activity_id),
        }
    else:
        first_line = out.text.strip().splitlines()[0] if out.text.strip() else ""
        raw = {
            "thing1": f.get("title") or texts.NOTICE_TEMPLATE_TITLE,
            "thing2": f.get("summary") or texts.NOTICE_KIND_NAMES.get(out.kind, texts.NOTICE_TEMPLATE_TITLE),
            "thing3": f.get("detail") or f.get("content") or first_line,
        }
    return {name: {"value": template_value(value)} for name, value in raw.items() if value}


# ── sending ─────────────────────────────────────────────────────────────────
def send(services, out: Outbound, now: datetime | None = None) -> Outcome:  # type: ignore[no-untyped-def]
    """Deliver one notice; returns the outcome, or raises RetryLater when WeChat says "not now"."""
    now = now or utc_now()
    settings: Settings = services.settings
    if not out.subscribed:
        return Outcome("undeliverable", None, "unsubscribed: the person unfollowed the account")
    if settings.sandbox:
        return Outcome("sent", "sandbox")

    template_id = template_id_for(settings, out.kind)
    if customer_service_open(services.redis, out, now):
        channel = "custom"
    elif template_id:
        channel = "template"
    else:
        return Outcome("undeliverable", None, "outside WeChat's customer-service window and no template id is set")

    RateLimiter(services.redis, settings.send_rate).wait()
    client = client_for(services)
    try:
        if channel == "custom":
            client.call(lambda: client.message.send_text(out.openid, out.text))
        else:
            data = template_data(out)
            client.call(lambda: client.message.send_template(out.openid, template_id, data, client_msg_id=out.key))
    except WeChatClientException as exc:
        return _by_kind(exc, channel)
    except TokenUnavailable as exc:
        raise RetryLater(str(exc)) from exc
    except requests.ReadTimeout as exc:
        if channel == "custom":
            # WeChat may have delivered it; a customer-service message has no key to
            # make a resend harmless, so it is not resent.
            return Outcome("failed", channel, f"no answer within the timeout, not resent to avoid a duplicate: {exc}")
        raise RetryLater(f"no answer within the timeout: {exc}") from exc
    except requests.RequestException as exc:
        raise RetryLater(f"network: {type(exc).__name__}: {exc}") from exc
    return Outcome("sent", channel)


def _by_kind(exc: WeChatClientException, channel: str) -> Outcome:
    code = exc.errcode
    detail = f"{code} {exc.errmsg or ''}".strip()
    if code in UNDELIVERABLE:
        return Outcome("undeliverable", channel, f"{detail} ({UNDELIVERABLE[code]})")
    if code is None or code in TRANSIENT:
        raise RetryLater(detail) from exc
    if code in TOKEN_ERRORS:
        raise RetryLater(f"{detail} (token refused again after one refresh)") from exc
    # Anything else is not going to improve by itself: record it, never loop on it.
    log.warning("WeChat refused a %s message: %s", channel, detail)
    return Outcome("failed", channel, detail)
