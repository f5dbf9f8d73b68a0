"""WeChat's parametric QR codes (`qrcode/create` through wechatpy), and the check-in QR's address.

Scanning a parametric QR sends the bot a SCAN event carrying its scene (or a follow,
for someone new). With an app secret the check-in QR is WeChat's own; without one (the
sandbox) the bot draws it itself and serves it at `/qr/checkin/<signed id>.png`
(bot.web.records); it carries the same scene text, which the simulator's
`/scan checkin:<id>` sends.
"""

from __future__ import annotations

import json
from datetime import datetime

from bot.domain import checkin_codes
from bot.runtime.services import Services
from bot.storage.keys import key
from bot.storage.models import Activity, utc_now
from bot.wechat.client import client_for

# WeChat's temporary QR codes live at most 30 days.
MAX_EXPIRE_SECONDS = 30 * 86400
# Keep a made QR a while after the end, so a late scan still reaches us (and is answered).
AFTER_END_SECONDS = 3600


def parametric(services: Services, scene: str, expire_seconds: int) -> tuple[str, int]:
    """A temporary QR (`QR_STR_SCENE`) carrying `scene`: its image address and how long WeChat keeps it."""
    client = client_for(services)
    request = {"expire_seconds": expire_seconds, "action_name": "QR_STR_SCENE", "action_info": {"scene": {"scene_str": scene}}}
    result = client.call(lambda: client.qrcode.create(request))
    return client.qrcode.get_url(result["ticket"]), min(expire_seconds, int(result.get("expire_seconds") or expire_seconds))


def drawn_url(services: Services, activity_id: int) -> str:
    """Where the bot serves the check-in QR it draws itself (the sandbox)."""
    base = services.settings.PUBLIC_BASE_URL.rstrip("/")
    return f"{base}/qr/checkin/{checkin_codes.drawn_token(services.settings.SECRET_KEY, activity_id)}.png"


def wechat_url(services: Services, activity: Activity, now: datetime | None = None) -> str:
    """WeChat's parametric QR for the activity (made once, reused from Redis until it expires)."""
    now = now or utc_now()
    cache_key = key("checkin_qr", activity.id)
    cached = services.redis.get(cache_key)
    if cached:
        return json.loads(cached)["url"]
    expire = int(min(MAX_EXPIRE_SECONDS, max(60, (activity.end_at - now).total_seconds() + AFTER_END_SECONDS)))
    url, kept = parametric(services, checkin_codes.scene(activity.id), expire)
    # Stop handing it out a minute before WeChat forgets it.
    services.redis.set(cache_key, json.dumps({"url": url}), ex=max(1, kept - 60))
    return url


def link(services: Services, activity: Activity, now: datetime | None = None) -> str:
    """The address of the activity's check-in QR image."""
    if services.settings.sandbox:
        return drawn_url(services, activity.id)
    return wechat_url(services, activity, now)
