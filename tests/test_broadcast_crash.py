"""A broadcast survives a worker killed (SIGKILL) in the middle of its fan-out: everyone gets it exactly once."""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from rq import Worker as RQWorker
from sqlalchemy import func, select, text

from bot.storage.models import Broadcast, Notice
from bot.wechat.peer import WeChatPeer
from tests.conftest import Wx, wait_for
from tests.fake_wechat import FakeWeChat
from tests.organizer_helpers import make_organizer, make_residents

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).parent / "flask")
AUDIENCE = 240
SETTINGS = {
    "WECHAT_APP_SECRET": "crash-test-secret",
    "WECHAT_TEMPLATE_NOTICE": "tpl-notice",
    "NOTICE_CLAIM_TIMEOUT": "2s",
    "SWEEP_INTERVAL": "1s",
    "SEND_RATE_PER_SECOND": "0",
    # Small batches make the fan-out last long enough to be killed in the middle of it.
    "BROADCAST_BATCH_SIZE": "3",
}


@pytest.fixture
def fake():  # type: ignore[no-untyped-def]
    server = FakeWeChat(delay=0.005).start()
    yield server
    server.stop()


@pytest.fixture
def workers(tmp_path):  # type: ignore[no-untyped-def]
    """Start `flask --app wsgi worker` processes; every one still running is killed at the end."""
    started: dict[str, subprocess.Popen] = {}

    def start(env: dict) -> str:
        name = f"crash-{uuid.uuid4().hex[:8]}"
        log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        started[name] = subprocess.Popen(
            [FLASK, "--app", "wsgi", "worker", "--name", name],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: RQ's scheduler child goes down with it at the end
        )
        return name

    start.processes = started  # type: ignore[attr-defined]
    yield start
    for process in started.values():
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=10)


def _organizer_and_audience(make_app, fake, communities):  # type: ignore[no-untyped-def]
    """A web app sending to the fake WeChat API, an organizer in chat, and AUDIENCE residents."""
    settings = {**SETTINGS, "WECHAT_API_BASE_URL": fake.url}
    web = make_app(**settings)
    services = web.extensions["bot"]
    wx = Wx(web, WeChatPeer.from_settings(services.settings), "org")
    make_organizer(services, "org")
    return settings, services, wx, make_residents(services, AUDIENCE, communities[0])


def _broadcast(services, wx) -> int:  # type: ignore[no-untyped-def]
    """The organizer broadcasts to everyone and confirms; returns the broadcast's id."""
    assert f"共 {AUDIENCE} 人" in wx.say("群发 今晚8点至明早6点停水，请提前储水")
    assert "已开始群发" in wx.say("确认")
    with services.db.autocommit() as conn:
        return conn.execute(select(Broadcast.id)).scalar_one()


def _made(services, broadcast_id: int) -> int:  # type: ignore[no-untyped-def]
    """Notices the fan-out has created so far (autocommit: no write lock held on SQLite)."""
    with services.db.autocommit() as conn:
        return conn.execute(select(func.count()).select_from(Notice).where(Notice.broadcast_id == broadcast_id)).scalar_one()


def _all_sent(services, broadcast_id: int) -> bool:  # type: ignore[no-untyped-def]
    with services.db.autocommit() as conn:
        done = conn.execute(select(Broadcast.status).where(Broadcast.id == broadcast_id)).scalar_one() == "done"
        sent = conn.execute(
            select(func.count()).select_from(Notice).where(Notice.broadcast_id == broadcast_id, Notice.status == "sent")
        ).scalar_one()
    return done and sent == AUDIENCE


def _each_reached_once(services, fake, broadcast_id: int, people: list[int]) -> None:  # type: ignore[no-untyped-def]
    """One notice per recipient in the database, and one delivery per person on WeChat's side (a
    send repeated after the kill carries the same client_msg_id and is dropped by WeChat, as the fake does)."""
    with services.db.autocommit() as conn:
        keys = conn.execute(select(Notice.key).where(Notice.broadcast_id == broadcast_id)).scalars().all()
    assert sorted(keys) == sorted(f"broadcast:{broadcast_id}:{r}" for r in people)
    received = Counter(d["touser"] for d in fake.delivered("template") if d["client_msg_id"].startswith(f"broadcast:{broadcast_id}:"))
    assert received == Counter({f"r-{i}": 1 for i in range(AUDIENCE)})


def test_killed_mid_fan_out_every_recipient_gets_the_broadcast_exactly_once(app, make_app, fake, workers, communities):
    settings, services, wx, people = _organizer_and_audience(make_app, fake, communities)
    broadcast_id = _broadcast(services, wx)
    first, second = workers(settings), workers(settings)

    def fan_out_worker() -> str | None:
        """The worker running the fan-out job."""
        for worker in RQWorker.all(connection=services.redis):
            if worker.name in (first, second) and worker.get_current_job_id() == f"broadcast-{broadcast_id}":
                return worker.name
        return None

    victim = wait_for(fan_out_worker, timeout=60, interval=0.01)
    # Only the cheap count between here and the kill: the fan-out must still be running.
    wait_for(lambda: _made(services, broadcast_id) >= 20, timeout=60, interval=0.005)
    workers.processes[victim].send_signal(signal.SIGKILL)
    workers.processes[victim].wait(timeout=10)
    with services.db.autocommit() as conn:
        status = conn.execute(select(Broadcast.status).where(Broadcast.id == broadcast_id)).scalar_one()
    assert status == "sending" and _made(services, broadcast_id) < AUDIENCE  # it really died half-way

    workers(settings)  # a replacement; the watchdog hands the fan-out to whoever is alive
    # The take-over comes from the watchdog, a scheduled job. If the killed worker held
    # RQ's scheduler lock, scheduled jobs wait until the lock expires and another worker
    # takes it (bot.runtime.worker: SCHEDULER_LOCK_SECONDS + SCHEDULER_CHECK_SECONDS).
    wait_for(lambda: _all_sent(services, broadcast_id), timeout=180, interval=0.2)
    _each_reached_once(services, fake, broadcast_id, people)
    assert f"共 {AUDIENCE} 人，已送达 {AUDIENCE}，待发送 0，无法送达 0" in wx.say("群发状态")


def _alive_in_group(pgid: int) -> list[int]:
    """Processes of a process group that still run (zombies waiting for init do not count)."""
    alive = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                # pid (comm) state ppid pgrp …; comm may hold spaces, so split after the last ")"
                state, _ppid, pgrp = handle.read().rsplit(")", 1)[1].split()[:3]
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
        if int(pgrp) == pgid and state != "Z":
            alive.append(int(entry))
    return alive


def test_a_killed_worker_leaves_no_process_no_transaction_and_no_lock(app, make_app, fake, workers, communities):
    """SIGKILL of the worker's main process only (as an OOM kill does) while it fans out, holding RQ's scheduler."""
    settings, services, wx, people = _organizer_and_audience(make_app, fake, communities)

    victim = workers(settings)
    process = workers.processes[victim]
    # Alone, it takes RQ's scheduler lock and starts the scheduler child.
    wait_for(lambda: services.redis.get("rq:scheduler-lock:notices") == str(process.pid).encode(), timeout=60)
    wait_for(lambda: len(_alive_in_group(process.pid)) >= 2, timeout=30)

    broadcast_id = _broadcast(services, wx)
    wait_for(lambda: _made(services, broadcast_id) >= 20, timeout=60, interval=0.005)
    if services.db.dialect == "postgresql":
        with services.db.autocommit() as conn:
            killed_at = conn.execute(text("SELECT clock_timestamp()")).scalar_one()
    process.send_signal(signal.SIGKILL)  # the main process only: its children are not signalled
    process.wait(timeout=10)
    killed = time.monotonic()

    # Nothing of the dead worker keeps running: its scheduler child ends with it …
    wait_for(lambda: not _alive_in_group(process.pid), timeout=10)
    # … and gives RQ's scheduler lock back, so another worker can take scheduled work over.
    wait_for(lambda: services.redis.get("rq:scheduler-lock:notices") is None, timeout=10)
    if services.db.dialect == "postgresql":
        # No transaction of the dead process stays open: its sockets died with it. (Well inside
        # the 15 s idle-in-transaction timeout, which would end it otherwise.)
        def none_left_open() -> bool:
            with services.db.autocommit() as conn:
                return not conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND xact_start IS NOT NULL AND xact_start < :killed AND pid <> pg_backend_pid()"
                    ),
                    {"killed": killed_at},
                ).scalar_one()

        wait_for(none_left_open, timeout=5)
    assert time.monotonic() - killed < 12

    workers(settings)  # a replacement finishes the fan-out
    wait_for(lambda: _all_sent(services, broadcast_id), timeout=120, interval=0.2)
    _each_reached_once(services, fake, broadcast_id, people)
