"""`make run`: migrate, load the demo data, then serve the bot and its worker on 127.0.0.1:8000.

Uses the settings as configured (SQLite by default). Without a reachable Redis it
starts an embedded one and says so. Ctrl-C stops everything it started.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.runtime.embedded_redis import ensure_redis
from config import Settings

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


_PR_SET_PDEATHSIG = 1


def _end_with_parent() -> None:
    """In the child, before exec: SIGTERM when `make run` dies (Linux; elsewhere Ctrl-C still stops it)."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):
            pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make run", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000, help="where to serve (default 8000)")
    port = parser.parse_args(argv).port
    settings = Settings.load()
    env = dict(os.environ)
    env["REDIS_URL"] = ensure_redis(settings.REDIS_URL)
    flask = [str(BIN / "flask"), "--app", "wsgi"]

    for step in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run(flask + step, cwd=ROOT, env=env, check=True)

    children: list[subprocess.Popen] = []
    # Each child in its own session, so the terminal's Ctrl-C reaches only this process,
    # which then stops each child with one SIGTERM: gunicorn's threaded worker told to quit
    # twice (the terminal's SIGINT, then ours) can hang in its second shutdown and keep the
    # port, so the next `make run` cannot serve. The kernel stops each child too if this
    # process dies without cleaning up (killed, or its terminal closed).
    spawn = {"cwd": ROOT, "env": env, "start_new_session": True, "preexec_fn": _end_with_parent}
    has_worker = subprocess.run(flask + ["worker", "--help"], cwd=ROOT, env=env, capture_output=True).returncode == 0
    if has_worker:
        children.append(subprocess.Popen(flask + ["worker"], **spawn))
    children.append(
        subprocess.Popen(
            [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4", "--access-logfile", "-", "wsgi:app"],
            **spawn,
        )
    )
    print(
        f"\nServing the bot on http://127.0.0.1:{port} (webhook: /wechat)"
        f"{' with its worker' if has_worker else ''}."
        "\nIn a second terminal: make chat   (Ctrl-C here stops everything)\n",
        flush=True,
    )

    def stop(*_):  # type: ignore[no-untyped-def]
        for child in children:
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + 10
        for child in children:
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)  # the whole group: gunicorn's workers too

    signal.signal(signal.SIGTERM, lambda *_: (stop(), sys.exit(0)))
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
