"""A local HTTP server that speaks WeChat's API, for wechatpy's own client to talk to.

It stands in for WeChat's servers only (everything on our side is real). Endpoints,
under `/cgi-bin/`:

- `GET token`, `POST stable_token` — issue access tokens (force_refresh replaces the
  current one, which then stops working, as WeChat's does);
- `POST menu/create` — records the menu in `fake.menus`;
- `POST qrcode/create` — answers a fixed ticket; every request is kept in
  `fake.requests` as (endpoint, query, body);
- `POST message/custom/send`, `POST message/template/send` — record deliveries. Like
  WeChat, a template send repeating an earlier (touser, client_msg_id) is accepted and
  dropped; template fields longer than 20 characters or with newlines are refused
  (47003). A send with a token that is not current gets 40001.

Tests script errors: `fake.script("custom", 40001, 45009)` makes the next two custom
sends answer those codes. `delay` slows every send (to kill a worker mid-batch).
`fake.stats()` returns counts, deliveries and sends in flight. Use it in-process
(`FakeWeChat().start()`, `.url` for WECHAT_API_BASE_URL), or as its own process
(`python -m tests.fake_wechat --port N`, for benches), controlled over HTTP:
`GET /_fake/stats`, `POST /_fake/script {"endpoint", "errcodes"}`,
`POST /_fake/config {"delay", "token_delay"}`, `POST /_fake/reset`.
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

ENDPOINTS = {
    "/cgi-bin/token": "token",
    "/cgi-bin/stable_token": "stable_token",
    "/cgi-bin/message/custom/send": "custom",
    "/cgi-bin/message/template/send": "template",
    "/cgi-bin/menu/create": "menu",
    "/cgi-bin/qrcode/create": "qrcode",
}
# The ticket qrcode/create answers (WeChat's own documentation example).
QR_TICKET = "gQH47joAAAAAAAAAASxodHRw+/="
ERRMSG = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40014: "invalid access_token",
    42001: "access_token expired",
    43004: "require subscribe",
    43101: "user refuse to accept the msg",
    45009: "reach max api daily quota limit",
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
    47003: "argument invalid! data.thing.value invalid",
}


class FakeWeChat:
    """WeChat's API on 127.0.0.1, counting everything it is asked."""

    def __init__(self, delay: float = 0.0, token_delay: float = 0.0, port: int = 0):
        self.delay = delay
        self.token_delay = token_delay
        self.port = port
        self.lock = threading.Lock()
        self._tokens = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.calls: Counter[str] = Counter()
            self.force_refreshes = 0
            self.current_token: str | None = None
            self.scripts: dict[str, deque[int]] = defaultdict(deque)
            self.deliveries: list[dict] = []
            self.requests: list[tuple[str, dict, dict]] = []
            self.menus: list[dict] = []
            self.seen_msg_ids: set[tuple[str, str]] = set()
            self.deduplicated = 0
            self.refused = 0
            # Sends being answered right now (only counted when `delay` is set).
            self.in_flight = 0

    # ── control ───────────────────────────────────────────────────────────
    def start(self) -> FakeWeChat:
        fake = self

        class Handler(_Handler):
            pass

        Handler.fake = fake
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, name="fake-wechat", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        """The value for WECHAT_API_BASE_URL."""
        return f"http://127.0.0.1:{self.port}/cgi-bin/"

    def script(self, endpoint: str, *errcodes: int) -> None:
        """The next sends to `endpoint` (custom | template | stable_token | token) answer these codes."""
        with self.lock:
            self.scripts[endpoint].extend(errcodes)

    def stats(self) -> dict:
        with self.lock:
            return {
                "calls": dict(self.calls),
                "force_refreshes": self.force_refreshes,
                "deliveries": list(self.deliveries),
                "deduplicated": self.deduplicated,
                "refused": self.refused,
                "in_flight": self.in_flight,
            }

    def delivered(self, channel: str | None = None) -> list[dict]:
        with self.lock:
            return [d for d in self.deliveries if channel is None or d["channel"] == channel]

    # ── behaviour ─────────────────────────────────────────────────────────
    def _scripted(self, endpoint: str) -> int | None:
        with self.lock:
            queue = self.scripts.get(endpoint)
            return queue.popleft() if queue else None

    def issue_token(self, force: bool) -> dict:
        if self.token_delay:
            time.sleep(self.token_delay)
        with self.lock:
            if force:
                self.force_refreshes += 1
            if force or self.current_token is None:
                self.current_token = f"TOKEN-{next(self._tokens)}"
            return {"access_token": self.current_token, "expires_in": 7200}

    def handle(self, endpoint: str, query: dict, body: dict) -> dict:
        with self.lock:
            self.calls[endpoint] += 1
            self.requests.append((endpoint, query, body))
        code = self._scripted(endpoint)
        if code is not None:
            with self.lock:
                self.refused += 1
            return {"errcode": code, "errmsg": ERRMSG.get(code, "scripted error")}
        if endpoint == "token":
            return self.issue_token(force=True)
        if endpoint == "stable_token":
            return self.issue_token(force=bool(body.get("force_refresh")))
        token = (query.get("access_token") or [""])[0]
        with self.lock:
            valid = token and token == self.current_token
        if not valid:
            return {"errcode": 40001, "errmsg": ERRMSG[40001]}
        if self.delay:
            with self.lock:
                self.in_flight += 1
            time.sleep(self.delay)
            with self.lock:
                self.in_flight -= 1
        if endpoint == "menu":
            with self.lock:
                self.menus.append(body)
            return {"errcode": 0, "errmsg": "ok"}
        if endpoint == "qrcode":
            return {"ticket": QR_TICKET, "expire_seconds": body.get("expire_seconds"), "url": "http://weixin.qq.com/q/x"}
        if endpoint == "custom":
            with self.lock:
                self.deliveries.append(
                    {"channel": "custom", "touser": body.get("touser"), "text": body.get("text", {}).get("content"), "at": time.time()}
                )
            return {"errcode": 0, "errmsg": "ok"}
        if endpoint == "template":
            data = body.get("data") or {}
            for item in data.values():
                value = str(item.get("value", ""))
                if len(value) > 20 or "\n" in value:
                    return {"errcode": 47003, "errmsg": ERRMSG[47003]}
            msg_id = body.get("client_msg_id")
            with self.lock:
                if msg_id and (body.get("touser"), msg_id) in self.seen_msg_ids:
                    self.deduplicated += 1
                    return {"errcode": 0, "errmsg": "ok", "msgid": 0}
                if msg_id:
                    self.seen_msg_ids.add((body.get("touser"), msg_id))
                self.deliveries.append(
                    {
                        "channel": "template",
                        "touser": body.get("touser"),
                        "client_msg_id": msg_id,
                        "template_id": body.get("template_id"),
                        "data": data,
                        "at": time.time(),
                    }
                )
                return {"errcode": 0, "errmsg": "ok", "msgid": len(self.deliveries)}
        return {"errcode": 40066, "errmsg": "invalid url"}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as requests' sessions expect
    # Headers and body leave in one segment: two small writes on a keep-alive
    # connection meet the client's delayed ACK and cost 40 ms each.
    disable_nagle_algorithm = True
    wbufsize = 64 * 1024
    fake: FakeWeChat

    def log_message(self, format, *args):  # type: ignore[no-untyped-def]  # quiet
        pass

    def _reply(self, payload: dict, status: int = 200) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the caller is gone (a killed worker); WeChat would not notice either
            self.close_connection = True

    def _body(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw.decode("utf-8")) if raw else {}
        except ValueError:
            return {}

    def _route(self) -> None:
        url = urlparse(self.path)
        body = self._body()
        if url.path == "/_fake/stats":
            return self._reply(self.fake.stats())
        if url.path == "/_fake/script":
            self.fake.script(body["endpoint"], *body.get("errcodes", []))
            return self._reply({"ok": True})
        if url.path == "/_fake/config":
            self.fake.delay = float(body.get("delay", self.fake.delay))
            self.fake.token_delay = float(body.get("token_delay", self.fake.token_delay))
            return self._reply({"ok": True})
        if url.path == "/_fake/reset":
            self.fake.reset()
            return self._reply({"ok": True})
        endpoint = ENDPOINTS.get(url.path)
        if endpoint is None:
            return self._reply({"errcode": 40066, "errmsg": "invalid url"}, 404)
        return self._reply(self.fake.handle(endpoint, parse_qs(url.query), body))

    do_GET = _route
    do_POST = _route


def start_process(delay: float = 0.0) -> tuple[subprocess.Popen, str]:
    """Serve the fake in a process of its own (benchmarks: no GIL shared with the caller); returns it and its URL."""
    command = [sys.executable, "-m", "tests.fake_wechat", "--delay", str(delay)]
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, text=True, start_new_session=True)
    return proc, (proc.stdout.readline().strip() if proc.stdout else "")


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve a fake WeChat API on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    fake = FakeWeChat(delay=args.delay, port=args.port).start()
    print(fake.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
