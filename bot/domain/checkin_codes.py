"""What names an activity on site: its six-digit check-in code and its QR scene.

The code (`签到 CODE`) is made the first time an organizer asks for it (`签到码 N`) and
is unique across activities. The QR carries the scene `checkin:<id>`: WeChat's own
parametric QR when an app secret is set (bot.wechat.qr), else one the bot draws, whose
address carries the activity id signed (`drawn_token`) so other activities' addresses
cannot be guessed from one.
"""

from __future__ import annotations

import secrets

from itsdangerous import BadSignature, URLSafeSerializer
from redis import Redis
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain import activities
from bot.domain.errors import CheckinRefused
from bot.storage.keys import key
from bot.storage.models import Activity
from config import texts

CODE_DIGITS = 6
# Wrong codes a person may try before being told to wait: the code is only six digits.
MAX_WRONG_CODES = 10
WRONG_CODE_PERIOD = 600
SCENE_PREFIX = "checkin"
_TOKEN_SALT = "checkin-qr"


def scene(activity_id: int) -> str:
    """The QR scene that checks a scanner in: `checkin:<id>`."""
    return f"{SCENE_PREFIX}:{activity_id}"


def activity_of_scene(scene_text: str) -> int | None:
    """The activity id a `checkin:<id>` scene names; None when it names none."""
    prefix, _, number = scene_text.partition(":")
    return int(number) if prefix == SCENE_PREFIX and number.isdigit() else None


def drawn_token(secret_key: str, activity_id: int) -> str:
    """The activity id, signed, for the address of a QR the bot draws."""
    return URLSafeSerializer(secret_key, salt=_TOKEN_SALT).dumps(activity_id)


def read_drawn_token(secret_key: str, token: str) -> int | None:
    """The activity id a drawn-QR address names; None when the address was not made by us."""
    try:
        value = URLSafeSerializer(secret_key, salt=_TOKEN_SALT).loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, int) else None


def ensure_code(session: Session, activity_id: int) -> Activity:
    """The activity with its six-digit check-in code, made the first time it is asked for."""
    activity = activities.lock(session, activity_id)
    while activity.checkin_code is None:
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        try:
            # Codes are unique across activities (a code names its activity); retry on the rare clash.
            with session.begin_nested():
                activity.checkin_code = code
                session.flush()
        except IntegrityError:
            session.refresh(activity)
            activity.checkin_code = None
    return activity


def by_code(session: Session, code: str) -> Activity:
    """The activity whose check-in code this is; a wrong code is refused."""
    code = code.strip()
    activity = None
    if code.isdigit() and len(code) == CODE_DIGITS:
        activity = session.execute(select(Activity).where(Activity.checkin_code == code)).scalar_one_or_none()
    if activity is None:
        raise CheckinRefused(texts.CHECKIN_WRONG_CODE)
    return activity


class CodeGuard:
    """Counts a person's wrong codes in Redis, so the six digits cannot be guessed by trying."""

    def __init__(self, redis: Redis, openid: str):
        self.redis = redis
        self.key = key("checkin_wrong", openid)

    def check(self) -> None:
        tries = self.redis.get(self.key)
        if tries is not None and int(tries) >= MAX_WRONG_CODES:
            raise CheckinRefused(texts.CHECKIN_TOO_MANY_TRIES)

    def failed(self) -> None:
        pipe = self.redis.pipeline()
        # The period starts at the first wrong code (SET NX, not EXPIRE NX: the embedded Redis is 6.2).
        pipe.set(self.key, 0, ex=WRONG_CODE_PERIOD, nx=True)
        pipe.incr(self.key)
        pipe.execute()
