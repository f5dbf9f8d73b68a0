"""Signing in to the organizer console from WeChat, with no password (SPEC §10).

The login page asks for a *challenge*: a random pending id (kept only in that browser's
signed session cookie), a six-digit code shown as `登录 NNNNNN`, and a QR scene
`login:<128 random bits>`. An organizer sends the code (or scans the QR) from WeChat;
the bot checks their role and approves the challenge; the browser holding the pending
id picks the approval up on its next poll and gets a fresh console session. A code is
valid for two minutes and is consumed by the first approval (Redis GETDEL), so it is
single-use; the QR dies with it.

Console sessions live in Redis: idle for two hours or twelve hours old, they are gone.
`退出登录` in chat revokes every session of the person; `POST /console/logout` ends one.

Guessing: wrong codes are counted per person (as check-in codes are), and new
challenges per IP address, so nobody can flood the code space with waiting browsers.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass

from redis import Redis

from bot.domain.errors import Forbidden, UserError
from bot.domain.roles import is_organizer
from bot.storage.keys import key
from bot.storage.models import Resident
from config import console_texts

CODE_DIGITS = 6
CODE_TTL = 120  # seconds a code (and its QR) is valid
PICKUP_TTL = 120  # seconds the browser has to pick an approval up
SESSION_IDLE = 2 * 3600
SESSION_ABSOLUTE = 12 * 3600
# A session's idle clock is written at most this often (not on every request).
TOUCH_EVERY = 60
SCENE_PREFIX = "login"
SCENE_BYTES = 16  # 128 bits

MAX_WRONG_CODES = 10  # per person per period
MAX_CHALLENGES_PER_IP = 30  # per period
GUARD_PERIOD = 600


class LoginRefused(UserError):
    pass


@dataclass(frozen=True)
class Challenge:
    pending_id: str
    code: str
    scene: str  # `login:<token>`
    expires_in: int


@dataclass(frozen=True)
class Approval:
    browser: str
    ip: str
    at: float  # epoch seconds


@dataclass(frozen=True)
class ConsoleSession:
    sid: str
    resident_id: int
    created: float
    seen: float
    browser: str
    ip: str


# ── user agents, named for a person ──────────────────────────────────────────
_BROWSERS = (
    ("MicroMessenger", "微信内置浏览器"),
    ("QihooBrowser", "360浏览器"),
    ("360SE", "360浏览器"),
    ("QQBrowser", "QQ浏览器"),
    ("Edg/", "Edge"),
    ("Firefox/", "Firefox"),
    ("HeadlessChrome/", "Chrome (headless)"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Windows", "Windows"),
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def browser_label(user_agent: str | None) -> str:
    """`Chrome 120 · Windows` from a User-Agent header, for the chat reply and the log."""
    agent = user_agent or ""
    name = next((label for needle, label in _BROWSERS if needle in agent), None)
    if name is None:
        return console_texts.UNKNOWN_BROWSER
    version = ""
    if name in ("Chrome", "Edge", "Firefox"):
        match = re.search(r"(?:Chrome|Edg|Firefox)/(\d+)", agent)
        version = f" {match.group(1)}" if match else ""
    system = next((label for needle, label in _SYSTEMS if needle in agent), "")
    return f"{name}{version}" + (f" · {system}" if system else "")


# ── the challenge: what the login page shows ────────────────────────────────
def _count(redis: Redis, name: str, limit: int) -> bool:
    """Count one more try under `name`; False once `limit` is passed within the period."""
    pipe = redis.pipeline()
    pipe.set(name, 0, ex=GUARD_PERIOD, nx=True)  # the period starts at the first try
    pipe.incr(name)
    return pipe.execute()[1] <= limit


def start(redis: Redis, *, browser: str, ip: str) -> Challenge:
    """A new challenge for a browser; raises LoginRefused when this IP asked too often."""
    if not _count(redis, key("console", "challenges", ip), MAX_CHALLENGES_PER_IP):
        raise LoginRefused(console_texts.LOGIN_PAGE_TOO_MANY)
    pending_id = secrets.token_urlsafe(32)
    token = secrets.token_urlsafe(SCENE_BYTES)
    while True:  # codes name a waiting browser: never two at once
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        if redis.set(key("console", "code", code), pending_id, nx=True, ex=CODE_TTL):
            break
    state = {"code": code, "scene": token, "browser": browser, "ip": ip}
    pipe = redis.pipeline()
    pipe.set(key("console", "scene", token), pending_id, ex=CODE_TTL)
    pipe.set(key("console", "pending", pending_id), json.dumps(state), ex=CODE_TTL)
    pipe.execute()
    return Challenge(pending_id, code, f"{SCENE_PREFIX}:{token}", CODE_TTL)


def forget(redis: Redis, pending_id: str) -> None:
    """Drop a challenge the browser no longer shows (it asked for a new one)."""
    raw = redis.getdel(key("console", "pending", pending_id))
    if raw:
        state = json.loads(raw)
        redis.delete(key("console", "code", state["code"]), key("console", "scene", state["scene"]))


# ── approving it from chat ───────────────────────────────────────────────────
def _approve(redis: Redis, resident: Resident, pending_id: str) -> Approval | None:
    raw = redis.getdel(key("console", "pending", pending_id))
    if raw is None:
        return None
    state = json.loads(raw)
    # Whichever of code and QR was used, the other one dies with it.
    redis.delete(key("console", "code", state["code"]), key("console", "scene", state["scene"]))
    now = time.time()
    approved = {"resident_id": resident.id, "browser": state["browser"], "ip": state["ip"], "at": now}
    redis.set(key("console", "approved", pending_id), json.dumps(approved), ex=PICKUP_TTL)
    return Approval(state["browser"], state["ip"], now)


def approve_code(redis: Redis, resident: Resident, text: str) -> Approval:
    """`登录 NNNNNN`: approve the browser showing this code for `resident`; raises with the reason."""
    if not is_organizer(resident):
        raise Forbidden(console_texts.LOGIN_FORBIDDEN)
    code = text.replace(" ", "")
    if not code:
        raise LoginRefused(console_texts.LOGIN_NEED_CODE)
    wrong = key("console", "wrong", resident.openid)
    tries = redis.get(wrong)
    if tries is not None and int(tries) >= MAX_WRONG_CODES:
        raise LoginRefused(console_texts.LOGIN_TOO_MANY)
    pending_id = None
    if code.isdigit() and len(code) == CODE_DIGITS:
        # GETDEL: of two people sending the same code at once, one gets it.
        pending_id = redis.getdel(key("console", "code", code))
    approval = _approve(redis, resident, pending_id.decode()) if pending_id else None
    if approval is None:
        _count(redis, wrong, MAX_WRONG_CODES)
        raise LoginRefused(console_texts.LOGIN_WRONG_CODE)
    return approval


def approve_scene(redis: Redis, resident: Resident, scene: str) -> Approval:
    """The login QR was scanned (scene `login:<token>`): approve its browser for `resident`."""
    if not is_organizer(resident):
        raise Forbidden(console_texts.LOGIN_FORBIDDEN)
    _, _, token = scene.partition(":")
    pending_id = redis.getdel(key("console", "scene", token)) if token else None
    approval = _approve(redis, resident, pending_id.decode()) if pending_id else None
    if approval is None:
        raise LoginRefused(console_texts.LOGIN_QR_EXPIRED)
    return approval


# ── the browser picks the approval up ───────────────────────────────────────
def poll(redis: Redis, pending_id: str) -> ConsoleSession | str:
    """A new session once the challenge was approved (single use); else `waiting` or `expired`."""
    raw = redis.getdel(key("console", "approved", pending_id))
    if raw is None:
        return "waiting" if redis.exists(key("console", "pending", pending_id)) else "expired"
    approved = json.loads(raw)
    return _open_session(redis, approved["resident_id"], approved["browser"], approved["ip"])


def _open_session(redis: Redis, resident_id: int, browser: str, ip: str) -> ConsoleSession:
    now = time.time()
    session = ConsoleSession(secrets.token_urlsafe(32), resident_id, now, now, browser, ip)
    pipe = redis.pipeline()
    pipe.set(key("console", "session", session.sid), json.dumps(_state(session)), ex=SESSION_IDLE)
    pipe.sadd(key("console", "sessions", resident_id), session.sid)
    pipe.expire(key("console", "sessions", resident_id), SESSION_ABSOLUTE)
    pipe.execute()
    return session


def _state(session: ConsoleSession) -> dict:
    return {
        "resident_id": session.resident_id,
        "created": session.created,
        "seen": session.seen,
        "browser": session.browser,
        "ip": session.ip,
    }


def load(redis: Redis, sid: str | None, now: float | None = None) -> ConsoleSession | None:
    """The live session `sid`, its idle clock restarted; None when unknown, idle 2 h or 12 h old."""
    if not sid:
        return None
    now = time.time() if now is None else now
    name = key("console", "session", sid)
    raw = redis.get(name)
    if raw is None:
        return None
    state = json.loads(raw)
    age = now - state["created"]
    if age >= SESSION_ABSOLUTE or now - state["seen"] >= SESSION_IDLE:
        revoke(redis, sid, state["resident_id"])
        return None
    if now - state["seen"] >= TOUCH_EVERY:
        state["seen"] = now
        redis.set(name, json.dumps(state), ex=int(min(SESSION_IDLE, SESSION_ABSOLUTE - age)) or 1)
    return ConsoleSession(sid, state["resident_id"], state["created"], state["seen"], state["browser"], state["ip"])


def revoke(redis: Redis, sid: str, resident_id: int | None = None) -> None:
    """End one session (logging out, or a role taken away)."""
    pipe = redis.pipeline()
    pipe.delete(key("console", "session", sid))
    if resident_id is not None:
        pipe.srem(key("console", "sessions", resident_id), sid)
    pipe.execute()


def revoke_all(redis: Redis, resident_id: int) -> int:
    """`退出登录`: end every console session of the person; returns how many were live."""
    members = key("console", "sessions", resident_id)
    sids = [s.decode() for s in redis.smembers(members)]
    live = 0
    if sids:
        live = redis.delete(*(key("console", "session", sid) for sid in sids))
    redis.delete(members)
    return live
