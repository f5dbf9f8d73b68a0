"""What the benchmarks share: the app's environment, registered residents in bulk, calls
to the fake WeChat API, serving the app with gunicorn, starting workers, stopping process
groups, and reading a process's peak memory."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import time
from datetime import datetime
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.orm import Session

from bot.runtime.embedded_redis import free_port
from bot.storage.models import Resident

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
# WeChat's own sample app id; the token the benchmarks sign with.
APP_ID = "wx2c2769f8efd9abc2"
TOKEN = "benchtoken"


def app_env(database_url: str, redis_url: str, **settings: str) -> dict:
    """The environment a benchmarked app or worker runs with: development mode, its own
    database and Redis db, the bench's WeChat identity, and `settings` on top."""
    return {
        **os.environ,
        "APP_ENV": "development",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_APP_ID": APP_ID,
        **settings,
    }


def fake_api_env(database_url: str, redis_url: str, fake_url: str, **settings: str) -> dict:
    """`app_env` for workers that send through the fake WeChat API at `fake_url`."""
    return app_env(
        database_url,
        redis_url,
        WECHAT_APP_SECRET="bench-secret",
        WECHAT_ENCODING_AES_KEY="",
        WECHAT_API_BASE_URL=fake_url,
        WECHAT_TEMPLATE_NOTICE="tpl-notice",
        **settings,
    )


def resident_row(n: int, openid: str, community_id: int, now: datetime) -> dict:
    """A registered, following resident, numbered `n`, for `insert_residents`."""
    return {
        "openid": openid,
        "volunteer_no": f"ZY{n + 1:07d}",
        "name": f"居民{n}",
        "phone": str(13800000000 + n),
        "community_id": community_id,
        "is_party_member": False,
        "role": "resident",
        "subscribed": True,
        "registered_at": now,
        "created_at": now,
        "updated_at": now,
    }


def insert_residents(session: Session, rows: list[dict]) -> None:
    """Insert resident rows (see `resident_row`) a few thousand at a time."""
    for start in range(0, len(rows), 2000):
        session.execute(insert(Resident), rows[start : start + 2000])


def fake_call(url: str, path: str, payload: dict | None = None) -> dict:
    """GET (no payload) or POST a JSON payload to the fake WeChat API at `url`; its JSON answer."""
    host, port = url.split("//", 1)[1].split("/", 1)[0].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    conn.request("POST" if payload is not None else "GET", path, body=json.dumps(payload) if payload is not None else None)
    result = json.loads(conn.getresponse().read())
    conn.close()
    return result


def serve(target: str, env: dict, workers: int = 2, threads: int = 4, port: int | None = None) -> tuple[subprocess.Popen, int]:
    """Serve a WSGI `target` with gunicorn (gthread) on `port` (a free local one by default); wait until /healthz answers."""
    port = port or free_port()
    command = [
        str(BIN / "gunicorn"),
        "--workers", str(workers),
        "--threads", str(threads),
        "--worker-class", "gthread",
        "--bind", f"127.0.0.1:{port}",
        "--keep-alive", "30",
        "--backlog", "2048",
        "--log-level", "warning",
        target,
    ]  # fmt: skip
    return start_serving(command, env, port, target), port


def start_serving(command: list[str], env: dict, port: int, target: str) -> subprocess.Popen:
    """Start a server `command` (in its own session) and return once its /healthz answers on `port`."""
    proc = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    stop([proc])
    raise RuntimeError(f"{target} did not start on port {port}")


def start_workers(env: dict, count: int, logs: Path, label: str) -> list[subprocess.Popen]:
    """`count` × `flask --app wsgi worker`, each logging to its own file under `logs`."""
    procs = []
    for n in range(count):
        log = open(logs / f"bench-{label}-worker-{n}.log", "w")  # noqa: SIM115 - lives as long as the worker
        name = f"bench-{label}-{n}-{os.getpid()}"
        command = [str(BIN / "flask"), "--app", "wsgi", "worker", "--name", name, "--log-level", "WARNING"]
        procs.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
    return procs


def stop(procs: list[subprocess.Popen], timeout: float = 20) -> None:
    """Stop each process group: SIGTERM, then SIGKILL after `timeout` seconds."""
    for proc in procs:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
    for proc in procs:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")
