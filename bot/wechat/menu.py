"""The custom menu of SPEC §3: the CLICK keys the router answers, grouped under three buttons.

Labels live in `config.texts.MENU`; `flask --app wsgi menu push` installs the menu
through wechatpy's `client.menu.create`.
"""

from __future__ import annotations

from config import texts

# Every key the menu may carry: each is answered by a `@router.click` handler.
CLICK_KEYS = ("EVENTS", "MY_SIGNUPS", "MY_HOURS", "REGISTER", "HELP")
# WeChat's own limits: 3 top-level buttons, 5 under each, names of 4 / 8 Chinese characters.
MAX_TOP = 3
MAX_SUB = 5
MAX_TOP_BYTES = 16
MAX_SUB_BYTES = 60


def _button(name: str, key: str) -> dict:
    return {"type": "click", "name": name, "key": key}


def definition() -> dict:
    """The menu as WeChat's `menu/create` expects it: `{"button": [...]}`."""
    buttons = []
    for name, content in texts.MENU:
        if isinstance(content, str):
            buttons.append(_button(name, content))
        else:
            buttons.append({"name": name, "sub_button": [_button(sub_name, key) for sub_name, key in content]})
    return {"button": buttons}


def check(menu: dict) -> None:
    """Raise ValueError when the menu breaks WeChat's limits or uses an unknown key."""
    top = menu["button"]
    if not 1 <= len(top) <= MAX_TOP:
        raise ValueError(f"a menu has 1 to {MAX_TOP} top-level buttons, not {len(top)}")
    for button in top:
        subs = button.get("sub_button")
        if len(button["name"].encode()) > MAX_TOP_BYTES:
            raise ValueError(f"button name {button['name']!r} is longer than {MAX_TOP_BYTES} bytes")
        for sub in subs or [button]:
            if sub is not button and len(sub["name"].encode()) > MAX_SUB_BYTES:
                raise ValueError(f"button name {sub['name']!r} is longer than {MAX_SUB_BYTES} bytes")
            if sub.get("key") not in CLICK_KEYS:
                raise ValueError(f"unknown menu key {sub.get('key')!r}")
        if subs is not None and not 1 <= len(subs) <= MAX_SUB:
            raise ValueError(f"{button['name']!r} has {len(subs)} sub-buttons; WeChat allows 1 to {MAX_SUB}")


def push(client) -> dict:  # type: ignore[no-untyped-def]
    """Install the menu through the shared wechatpy client (`bot.wechat.client`); returns WeChat's answer."""
    menu = definition()
    check(menu)
    # `call` refreshes a token WeChat refused once and retries once.
    return client.call(lambda: client.menu.create(menu))
