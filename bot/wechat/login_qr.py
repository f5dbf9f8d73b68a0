"""The console login page's temporary parametric QR (`QR_STR_SCENE`, scene `login:<token>`).

Made through wechatpy's `client.qrcode.create` (as the check-in QR is) only when an app
secret is set; scanning it sends the bot a SCAN event (or a follow) carrying the scene,
which `handlers/console_login.py` turns into an approval of that browser.
"""

from __future__ import annotations

from bot.runtime.services import Services
from bot.wechat.client import client_for


def url(services: Services, scene: str, expire_seconds: int) -> str:
    """The image address of a new temporary QR for `scene`, valid `expire_seconds` (WeChat's minimum is 60)."""
    client = client_for(services)
    request = {
        "expire_seconds": max(60, expire_seconds),
        "action_name": "QR_STR_SCENE",
        "action_info": {"scene": {"scene_str": scene}},
    }
    result = client.call(lambda: client.qrcode.create(request))
    return client.qrcode.get_url(result["ticket"])
