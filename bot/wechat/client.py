"""wechatpy's `WeChatClient`, configured the way every process here must use it.

- Every call goes to WECHAT_API_BASE_URL (tests and benches point it at a local fake)
  under HTTP_TIMEOUT_SECONDS, and wechatpy's own unbounded auto-retry is off.
- The access token lives in Redis (a wechatpy session storage under our `key()`
  prefix), shared by web and worker processes on every machine. When it is missing,
  or WeChat calls it invalid, ONE process refreshes it under a Redis lock, through
  `POST stable_token` (wechatpy's own fetch goes to the fixed `/cgi-bin/token` URL,
  so `fetch_access_token` is overridden); the others wait and reuse its token.
- Template sends carry `client_msg_id`, which wechatpy 1.8's `send_template` lacks.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from typing import TypeVar

import requests
from redis import Redis
from wechatpy import WeChatClient
from wechatpy.client.api import WeChatMessage
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.redisstorage import RedisStorage

from bot.storage.keys import key
from config import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

# WeChat's "this token is not (or no longer) valid" codes: refresh once, retry once.
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
# Stored tokens expire this long before WeChat's own expiry, so none is used stale.
TOKEN_MARGIN_SECONDS = 120


class TokenUnavailable(Exception):
    """No token could be had in time (another process holds the refresh lock too long)."""


class TemplateMessage(WeChatMessage):
    """wechatpy's message API, with `client_msg_id` on template sends (WeChat drops a repeat)."""

    def send_template(self, user_id, template_id, data, url=None, mini_program=None, client_msg_id=None):  # type: ignore[no-untyped-def]
        """Send a template message; `client_msg_id` makes a resend of the same id a no-op at WeChat."""
        payload = {"touser": user_id, "template_id": template_id, "data": data}
        if url:
            payload["url"] = url
        if mini_program:
            payload["miniprogram"] = mini_program
        if client_msg_id:
            payload["client_msg_id"] = client_msg_id
        return self._post("message/template/send", data=payload)


class SharedTokenClient(WeChatClient):
    """A WeChatClient whose token is shared through Redis and refreshed by one process at a time."""

    message = TemplateMessage()

    def __init__(self, settings: Settings, redis: Redis):
        timeout = float(settings.HTTP_TIMEOUT_SECONDS)
        super().__init__(
            settings.WECHAT_APP_ID,
            settings.WECHAT_APP_SECRET,
            session=RedisStorage(redis, prefix=key("wechat")),
            timeout=timeout,
            auto_retry=False,
        )
        base = settings.WECHAT_API_BASE_URL
        # wechatpy joins base and endpoint as strings, and reads the base off the instance.
        self.API_BASE_URL = base if base.endswith("/") else base + "/"
        self.redis = redis
        self.lock_timeout = timeout * 2 + 5
        # requests re-reads proxy and CA settings from the environment on every call (a
        # third of a send's CPU here); read them once, when the client is made.
        self._http.proxies = requests.utils.get_environ_proxies(self.API_BASE_URL)
        self._http.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        self._http.trust_env = False

    @property
    def access_token(self) -> str:  # type: ignore[override]
        """The shared token, fetched (by one process) when there is none."""
        token = self.session.get(self.access_token_key)
        if token:
            return token
        self.fetch_access_token()
        return self.session.get(self.access_token_key)

    def fetch_access_token(self, stale: str | None = None) -> dict:  # type: ignore[override]
        """Fetch a token through `stable_token` under the shared lock; returns what WeChat said.

        With `stale` (a token WeChat just refused) the refresh is forced, unless another
        process replaced that token while this one waited for the lock.
        """
        lock = self.redis.lock(key("wechat", "token-lock"), timeout=self.lock_timeout, blocking_timeout=self.lock_timeout)
        if not lock.acquire():
            raise TokenUnavailable("timed out waiting for another process to refresh the access token")
        try:
            current = self.session.get(self.access_token_key)
            if current and current != stale:
                return {"access_token": current}
            log.info("fetching a WeChat access token (force=%s)", bool(stale))
            payload = {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret, "force_refresh": bool(stale)}
            # Not self.post(): that would first ask for the very token being fetched.
            response = self._http.post(self.API_BASE_URL + "stable_token", data=json.dumps(payload), timeout=self.timeout)
            try:
                response.raise_for_status()
            except requests.RequestException as exc:
                raise WeChatClientException(None, None, client=self, request=exc.request, response=exc.response) from exc
            result = self._handle_result(response)
            expires_in = int(result.get("expires_in", 7200))
            self.session.set(self.access_token_key, result["access_token"], max(1, expires_in - TOKEN_MARGIN_SECONDS))
            return result
        finally:
            try:
                lock.release()
            except Exception:  # the lock expired meanwhile; nothing to undo
                log.warning("token lock expired before release")

    def call(self, send: Callable[[], T]) -> T:
        """Run one API call; on a token error refresh the token once and retry once."""
        token = self.access_token
        try:
            return send()
        except WeChatClientException as exc:
            if exc.errcode not in TOKEN_ERRORS:
                raise
            log.info("WeChat refused the access token (%s); refreshing once", exc.errcode)
            self.fetch_access_token(stale=token)
            return send()


_clients: dict[int, tuple[object, SharedTokenClient]] = {}


def client_for(services) -> SharedTokenClient:  # type: ignore[no-untyped-def]
    """This process's client for these services (one HTTP session, reused)."""
    cached = _clients.get(id(services))
    if cached is not None and cached[0] is services:
        return cached[1]
    client = SharedTokenClient(services.settings, services.redis)
    _clients[id(services)] = (services, client)
    return client
