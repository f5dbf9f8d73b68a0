"""Real `flask --app wsgi worker` processes against the fake WeChat API: flushed Redis, SIGKILL, two workers.

Deliveries are counted at the fake server, which drops a template message repeating an
earlier client_msg_id the way WeChat does; every notice must arrive exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.domain import notices, residents
from bot.runtime import queue
from bot.storage.models import Notice, Signup, utc_now
from jobs import sweeps
from tests.conftest import wait_for

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).parent / "flask")


@pytest.fixture
def worker_env(wechat_api):  # type: ignore[no-untyped-def]
    """Settings for worker processes (and the in-test app): a real-looking account on the fake API."""
    return {
        "WECHAT_APP_SECRET": "s3cret",
        "WECHAT_API_BASE_URL": wechat_api.url,
        "WECHAT_TEMPLATE_REMINDER": "TPL-REMINDER",
        "WECHAT_TEMPLATE_NOTICE": "TPL-NOTICE",
        "SEND_RATE_PER_SECOND": "0",
        "REMINDER_OFFSETS": "2h",
        "NOTICE_CLAIM_TIMEOUT": "2s",
        "SWEEP_INTERVAL": "1s",
    }


@pytest.fixture
def live(app, make_app, worker_env):  # type: ignore[no-untyped-def]
    return make_app(**worker_env).extensions["bot"]


class Workers:
    """Starts `flask --app wsgi worker` processes, each in its own process group; stops them all."""

    def __init__(self, env: dict, tmp: Path):
        self.env = {**os.environ, **env}
        self.tmp = tmp
        self.procs: list[subprocess.Popen] = []

    def start(self, *args: str) -> subprocess.Popen:
        log = open(self.tmp / f"worker-{len(self.procs)}.log", "w")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(
            [FLASK, "--app", "wsgi", "worker", *args], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        proc.log = log  # type: ignore[attr-defined]
        self.procs.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
        """Signal the worker and its scheduler child (the whole process group)."""
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        proc.wait(30)

    def output(self, proc: subprocess.Popen) -> str:
        return Path(proc.log.name).read_text()  # type: ignore[attr-defined]

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                self.kill(proc, signal.SIGTERM)
            proc.log.close()  # type: ignore[attr-defined]


@pytest.fixture
def workers(worker_env, tmp_path):  # type: ignore[no-untyped-def]
    started = Workers(worker_env, tmp_path)
    yield started
    started.stop_all()


def confirmed_people(services, make_activity, count: int, start) -> list[int]:  # type: ignore[no-untyped-def]
    """An activity at `start` with `count` people holding places since yesterday; returns the signup ids."""
    activity_id = make_activity(capacity=count, start=start)
    ids = []
    with services.db.transaction() as session:
        for i in range(count):
            resident = residents.get_or_create(session, f"o-{activity_id}-{i}")
            session.flush()
            since = utc_now() - timedelta(days=1)
            signup = Signup(activity_id=activity_id, resident_id=resident.id, status="confirmed", seq=i + 1, confirmed_at=since)
            session.add(signup)
            session.flush()
            ids.append(signup.id)
    return ids


def pending_notices(services, count: int, *, in_window: bool = False) -> list[int]:  # type: ignore[no-untyped-def]
    """`count` notices due now, each to its own person (in the customer-service window, or not)."""
    with services.db.transaction() as session:
        ids = []
        for i in range(count):
            resident = residents.get_or_create(session, f"o-batch-{i}")
            resident.last_message_at = utc_now() if in_window else None
            session.flush()
            ids.append(notices.create(session, key=f"batch:{i}", resident_id=resident.id, kind="notify", text=f"第{i}条通知").id)
        return ids


def status_counts(services) -> Counter:  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        return Counter(dict(session.execute(select(Notice.status, func.count()).group_by(Notice.status)).all()))


def test_reminders_scheduled_before_a_redis_flush_are_each_delivered_once(live, make_activity, workers, wechat_api):
    start = utc_now() + timedelta(minutes=90)  # the 2 h reminder is due
    swept = confirmed_people(live, make_activity, 4, start)
    sweeps.sweep(live)  # these reminders were created and their jobs queued…
    unswept = confirmed_people(live, make_activity, 3, start + timedelta(minutes=5))  # …these not yet
    assert len(queue.get(live.redis, queue.NOTICES)) == 4

    live.redis.flushdb()  # Redis loses every job
    proc = workers.start("--burst")
    assert proc.wait(60) == 0, workers.output(proc)

    delivered = wechat_api.delivered("template")
    keys = Counter(d["client_msg_id"] for d in delivered)
    expected = {k for k in keys if k.startswith("reminder:")}
    assert len(delivered) == len(swept) + len(unswept) == len(expected)
    assert set(keys.values()) == {1}
    assert {int(k.split(":")[1]) for k in expected} == set(swept + unswept)
    assert status_counts(live) == Counter({"sent": 7})


def test_a_worker_killed_mid_send_loses_and_doubles_nothing(live, workers, wechat_api):
    wechat_api.delay = 0.3  # slow enough to kill a worker in the middle of a send
    ids = pending_notices(live, 12)  # template channel: outside the customer-service window
    first = workers.start()
    wait_for(lambda: len(wechat_api.delivered()) >= 3 and wechat_api.stats()["in_flight"] == 1, timeout=60)
    workers.kill(first)  # SIGKILL, while WeChat is answering one send
    with live.db.session() as session:
        [claimed_at] = session.execute(select(Notice.claimed_at).where(Notice.status == "claimed")).scalars()
    # The claim of the send in flight is left behind; once it is older than NOTICE_CLAIM_TIMEOUT
    # (2 s here), the next worker's start-up sweep takes it over.
    wait_for(lambda: utc_now() - claimed_at > timedelta(seconds=2.5), timeout=10)

    workers.start()
    wait_for(lambda: status_counts(live)["sent"] == len(ids), timeout=90)

    delivered = wechat_api.delivered()
    keys = Counter(d["client_msg_id"] for d in delivered)
    assert len(delivered) == 12 and set(keys) == {f"batch:{i}" for i in range(12)}  # none lost, none twice
    # The send in flight at the kill went out twice; WeChat dropped the repeat by its client_msg_id.
    assert wechat_api.stats()["deduplicated"] == 1
    assert wechat_api.stats()["calls"]["template"] == 13


def test_two_workers_on_one_batch_send_nothing_twice(live, workers, wechat_api):
    wechat_api.delay = 0.02
    ids = pending_notices(live, 30, in_window=True)  # customer-service messages: WeChat would not dedupe these
    # Every notice is queued twice, back to back (as two sweeps racing might), so the two
    # workers take the two copies of a notice at the same moment.
    jobs = queue.get(live.redis, queue.NOTICES)
    jobs.empty()
    for notice_id in ids:
        for job_id in (queue.send_job_id(notice_id), f"again-{notice_id}"):
            jobs.enqueue(queue.SEND_NOTICE, notice_id, job_id=job_id)
    assert len(jobs) == 60

    procs = [workers.start("--burst"), workers.start("--burst")]
    for proc in procs:
        assert proc.wait(120) == 0, workers.output(proc)

    delivered = wechat_api.delivered("custom")
    assert sorted(d["touser"] for d in delivered) == sorted(f"o-batch-{i}" for i in range(30))
    assert wechat_api.stats()["calls"]["custom"] == 30
    assert status_counts(live) == Counter({"sent": 30})
