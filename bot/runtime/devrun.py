"""`make run`: migrate, load the demo data, then serve the bot and its worker on 127.0.0.1:8000.

Uses the settings as configured (SQLite by default). Without a reachable Redis it
starts an embedded one and says so. Ctrl-C stops everything it started.
"""

from __future__ import annotations

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


def main() -> int:
    settings = Settings.load()
    env = dict(os.environ)
    env["REDIS_URL"] = ensure_redis(settings.REDIS_URL)
    flask = [str(BIN / "flask"), "--app", "wsgi"]

    for step in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run(flask + step, cwd=ROOT, env=env, check=True)

    children: list[subprocess.Popen] = []
    has_worker = subprocess.run(flask + ["worker", "--help"], cwd=ROOT, env=env, capture_output=True).returncode == 0
    if has_worker:
        children.append(subprocess.Popen(flask + ["worker"], cwd=ROOT, env=env))
    children.append(
        subprocess.Popen(
            [str(BIN / "gunicorn"), "--bind", "127.0.0.1:8000", "--workers", "2", "--threads", "4", "--access-logfile", "-", "wsgi:app"],
            cwd=ROOT,
            env=env,
        )
    )
    print(
        "\nServing the bot on http://127.0.0.1:8000 (webhook: /wechat)"
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
                child.kill()

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
