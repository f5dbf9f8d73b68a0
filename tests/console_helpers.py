"""Helpers for the console tests: sign a browser (a Flask test client) in the way a person
does — open the login page, send its code from WeChat through the webhook, let the page
poll — and read CSRF tokens off pages."""

from __future__ import annotations

import re

CODE = re.compile(r"登录 (\d{6})")
TOKEN = re.compile(r'name="csrf-token" content="([^"]+)"')
FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')

BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"


def login_code(client) -> str:  # type: ignore[no-untyped-def]
    """Open the login page and read the code it shows."""
    page = client.get("/console/login", headers={"User-Agent": BROWSER})
    assert page.status_code == 200, page.data
    match = CODE.search(page.get_data(as_text=True))
    assert match, "no code on the login page"
    return match.group(1)


def sign_in(app, wx, openid: str):  # type: ignore[no-untyped-def]
    """A test client signed in as `openid` (who must be an organizer or admin)."""
    client = app.test_client()
    code = login_code(client)
    reply = wx.say(f"登录 {code}", user=openid)
    assert "已登录工作台" in reply, reply
    status = client.get("/console/login/status")
    assert status.status_code == 200 and status.headers.get("HX-Redirect") == "/console/", (status.status_code, status.headers)
    return client


def csrf_token(client, path: str = "/console/") -> str:  # type: ignore[no-untyped-def]
    """The CSRF token the console's pages carry for this browser."""
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code)
    match = TOKEN.search(page.get_data(as_text=True))
    assert match
    return match.group(1)


def post(client, path: str, data: dict | None = None, *, token: str | None = None):  # type: ignore[no-untyped-def]
    """POST a console form with this browser's CSRF token (as the page's form would)."""
    return client.post(path, data={**(data or {}), "csrf_token": token or csrf_token(client)})
