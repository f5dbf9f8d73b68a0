"""The QR image an organizer shows on site for check-in (scene `checkin:<id>`).

With an app secret it is WeChat's own parametric QR (`qrcode/create` through
wechatpy): scanning it sends the bot a SCAN event (or a follow, for someone new).
Without one (the sandbox) the bot draws the QR itself and serves it at
`/qr/checkin/<signed id>.png`; it carries the same scene text, which the simulator's
`/scan checkin:<id>` sends. The id in that address is signed so the addresses of
other activities cannot be guessed from one.
"""

from __future__ import annotations

import io
import json
from datetime import datetime

import qrcode
from itsdangerous import BadSignature, URLSafeSerializer
from qrcode.constants import ERROR_CORRECT_M

from bot.runtime.services import Services
from bot.storage.keys import key
from bot.storage.models import Activity, utc_now

SALT = "checkin-qr"
# WeChat's temporary QR codes live at most 30 days.
MAX_EXPIRE_SECONDS = 30 * 86400
# Keep a made QR a while after the end, so a late scan still reaches us (and is answered).
AFTER_END_SECONDS = 3600


def scene(activity_id: int) -> str:
    return f"checkin:{activity_id}"


def png(text: str, box_size: int = 10) -> bytes:
    """A QR code carrying `text`, as PNG bytes."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=4)
    code.add_data(text)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()


def drawn_token(secret_key: str, activity_id: int) -> str:
    return URLSafeSerializer(secret_key, salt=SALT).dumps(activity_id)


def read_drawn_token(secret_key: str, token: str) -> int | None:
    """The activity id a drawn-QR address names; None when the address was not made by us."""
    try:
        value = URLSafeSerializer(secret_key, salt=SALT).loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, int) else None


def drawn_url(services: Services, activity_id: int) -> str:
    base = services.settings.PUBLIC_BASE_URL.rstrip("/")
    return f"{base}/qr/checkin/{drawn_token(services.settings.SECRET_KEY, activity_id)}.png"


def wechat_url(services: Services, activity: Activity, now: datetime | None = None) -> str:
    """WeChat's parametric QR for the activity (made once, reused from Redis until it expires)."""
    now = now or utc_now()
    cache_key = key("checkin_qr", activity.id)
    cached = services.redis.get(cache_key)
    if cached:
        return json.loads(cached)["url"]
    expire = int(min(MAX_EXPIRE_SECONDS, max(60, (activity.end_at - now).total_seconds() + AFTER_END_SECONDS)))
    from bot.wechat.client import client_for  # only needed with an app secret

    client = client_for(services)
    request = {"expire_seconds": expire, "action_name": "QR_STR_SCENE", "action_info": {"scene": {"scene_str": scene(activity.id)}}}
    result = client.call(lambda: client.qrcode.create(request))
    url = client.qrcode.get_url(result["ticket"])
    # Stop handing it out a minute before WeChat forgets it.
    ttl = max(1, min(expire, int(result.get("expire_seconds") or expire)) - 60)
    services.redis.set(cache_key, json.dumps({"url": url}), ex=ttl)
    return url


def link(services: Services, activity: Activity, now: datetime | None = None) -> str:
    """The address of the activity's check-in QR image."""
    if services.settings.sandbox:
        return drawn_url(services, activity.id)
    return wechat_url(services, activity, now)
