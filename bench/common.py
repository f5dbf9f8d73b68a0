"""What the benchmarks share: serving the app with gunicorn, starting workers, stopping
process groups, and reading a process's peak memory."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import time
from pathlib import Path

from bot.embedded_redis import free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"


def serve(target: str, env: dict, workers: int = 2, threads: int = 4) -> tuple[subprocess.Popen, int]:
    """Serve a WSGI `target` with gunicorn (gthread) on a free local port; wait until /healthz answers."""
    port = free_port()
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
    proc = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc, port
        except OSError:
            time.sleep(0.2)
    stop([proc])
    raise RuntimeError(f"{target} did not start")


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
