"""10,000 due reminders delivered by 2 workers through the local fake WeChat API (SPEC §8).

    .venv/bin/python -m bench.reminders                        # PostgreSQL, 10,000 unthrottled, 2,000 at 200/s
    .venv/bin/python -m bench.reminders --database sqlite --count 2000 --throttled-count 500

Each run:
1. empties and migrates the bench's own database (BENCH_REMINDERS_POSTGRES_URL,
   default `volunteer_b_bench`; BENCH_REMINDERS_SQLITE_URL) and flushes its own Redis db
   (BENCH_REMINDERS_REDIS_URL, default db 13); creates `--count` residents holding places
   since yesterday in activities starting in 90 minutes, so with REMINDER_OFFSETS=2h every
   one of them is owed a reminder now;
2. starts the fake WeChat API as its own process (tests/fake_wechat.py) and measures its
   ceiling in the same run: two processes sending template messages straight to it, as
   fast as they can, with keep-alive connections;
3. starts `--workers` workers (`flask --app wsgi worker`) and times from their launch
   (process start, start-up sweep creating the reminder rows, and every send) to the
   last delivery counted at the fake API: notices per second, its ratio to the ceiling,
   each reminder delivered exactly once, and each worker's peak memory (VmHWM);
4. again with SEND_RATE_PER_SECOND=`--rate` and `--throttled-count` reminders: the rate
   the fake API saw (first to last delivery, and over the middle 90% of them) and the
   busiest one-second window, against the setting: never above it by more than 5%, and
   (when the workers are faster than the setting) not below it by more than 5%.

Targets: 10,000 in under 60 s unthrottled with 2 workers; the throttle held within 5%.
The machine is shared (2 cores, other sessions' tests and benches): read the numbers
next to the ceiling measured in the same run.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from redis import Redis
from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url

from bench.common import APP_ID, fake_api_env, fake_call, insert_residents, peak_rss_mb, resident_row, start_workers, stop
from bot.domain import activities, communities
from bot.storage.db import Database
from bot.storage.models import Notice, Resident, Signup, utc_now
from bot.storage.schema import reset_database
from tests import fake_wechat

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PG_URL = os.environ.get("BENCH_REMINDERS_POSTGRES_URL", "postgresql+psycopg://127.0.0.1:5432/volunteer_b_bench")
SQLITE_URL = os.environ.get("BENCH_REMINDERS_SQLITE_URL", f"sqlite:///{Path(tempfile.gettempdir()) / 'volunteer-bench-reminders.db'}")
REDIS_URL = os.environ.get("BENCH_REMINDERS_REDIS_URL", "redis://127.0.0.1:6379/13")
PER_ACTIVITY = 100


# ── set-up ─────────────────────────────────────────────────────────────────
def seed(db: Database, count: int) -> None:
    """`count` residents, each holding a place since yesterday in an activity starting in 90 minutes."""
    now = utc_now()
    start = now + timedelta(minutes=90)
    with db.transaction() as session:
        community = communities.add(session, "南乾元社区")
        insert_residents(session, [resident_row(i, f"bench-{i}", community.id, now) for i in range(count)])
        resident_ids = list(session.execute(select(Resident.id).order_by(Resident.id)).scalars())
        signups = []
        for n, first in enumerate(range(0, count, PER_ACTIVITY)):
            chunk = resident_ids[first : first + PER_ACTIVITY]
            activity = activities.create(
                session,
                activities.ActivityDraft(
                    kind="cleanup",
                    title=f"楼院义务清扫第{n + 1}组",
                    start_at=start + timedelta(minutes=n % 10),
                    end_at=start + timedelta(hours=2),
                    place="南乾元社区3号院",
                    capacity=len(chunk),
                    hours=activities.parse_hours("2"),
                    community_id=community.id,
                ),
            )
            activity.signup_seq = len(chunk)
            signups += [
                {
                    "activity_id": activity.id,
                    "resident_id": rid,
                    "status": "confirmed",
                    "seq": k + 1,
                    "created_at": now - timedelta(days=1),
                    "updated_at": now - timedelta(days=1),
                    "confirmed_at": now - timedelta(days=1),
                }
                for k, rid in enumerate(chunk)
            ]
        for first in range(0, len(signups), 2000):
            session.execute(insert(Signup), signups[first : first + 2000])


def worker_env(database_url: str, fake_url: str, rate: int) -> dict:
    return fake_api_env(
        database_url,
        REDIS_URL,
        fake_url,
        WECHAT_TEMPLATE_REMINDER="tpl-reminder",
        REMINDER_OFFSETS="2h",
        SEND_RATE_PER_SECOND=str(rate),
        NOTICE_CLAIM_TIMEOUT="2m",
        SWEEP_INTERVAL="30s",
    )


# ── the fake WeChat API ────────────────────────────────────────────────────
CEILING_CLIENT = """
import http.client, json, sys, time
host, port, token, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
conn = http.client.HTTPConnection(host, port, timeout=30)
data = {"thing1": {"value": "楼院义务清扫"}, "time2": {"value": "2026年11月28日 09:00"}, "thing3": {"value": "南乾元社区3号院"}}
sent, deadline = 0, time.monotonic() + seconds
started = time.monotonic()
while time.monotonic() < deadline:
    body = json.dumps({"touser": "ceiling", "template_id": "tpl", "data": data, "client_msg_id": f"ceiling:{sys.argv[5]}:{sent}"})
    conn.request("POST", f"/cgi-bin/message/template/send?access_token={token}", body=body, headers={"Content-Type": "application/json"})
    assert json.loads(conn.getresponse().read())["errcode"] == 0
    sent += 1
print(sent / (time.monotonic() - started))
"""


def measure_ceiling(url: str, clients: int, seconds: float) -> float:
    """Template sends per second the fake API answers, from `clients` processes sending flat out."""
    token = fake_call(url, "/cgi-bin/stable_token", {"grant_type": "client_credential", "appid": APP_ID, "secret": "x"})["access_token"]
    host, port = url.split("//", 1)[1].split("/", 1)[0].split(":")
    procs = [
        subprocess.Popen([sys.executable, "-c", CEILING_CLIENT, host, port, token, str(seconds), str(n)], stdout=subprocess.PIPE, text=True)
        for n in range(clients)
    ]
    return sum(float(p.communicate()[0]) for p in procs)


# ── workers ─────────────────────────────────────────────────────────────────
def run(database_url: str, count: int, workers: int, rate: int, label: str, timeout: float) -> dict:
    """One measured run: seed, launch workers, wait for every reminder to be finished."""
    reset_database(database_url)
    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()
    db = Database(database_url)
    seed(db, count)
    fake, fake_url = fake_wechat.start_process()
    try:
        ceiling = measure_ceiling(fake_url, 2, 5.0)
        fake_call(fake_url, "/_fake/reset", {})
        procs = start_workers(worker_env(database_url, fake_url, rate), workers, Path(tempfile.gettempdir()), f"reminders-{label}")
        started = time.time()
        try:
            deadline = time.monotonic() + timeout
            finished = 0
            while time.monotonic() < deadline:
                with db.session() as session:
                    finished = session.execute(
                        select(func.count()).select_from(Notice).where(Notice.status.in_(("sent", "undeliverable", "dropped", "failed")))
                    ).scalar_one()
                if finished >= count:
                    break
                time.sleep(0.2)
            rss = [peak_rss_mb(p.pid) for p in procs]
        finally:
            stop(procs)
        stats = fake_call(fake_url, "/_fake/stats")
    finally:
        os.killpg(fake.pid, signal.SIGTERM)
        fake.wait()
    with db.session() as session:
        statuses = dict(session.execute(select(Notice.status, func.count()).group_by(Notice.status)).all())
    db.dispose()

    deliveries = [d for d in stats["deliveries"] if str(d.get("client_msg_id", "")).startswith("reminder:")]
    per_key = Counter(d["client_msg_id"] for d in deliveries)
    times = sorted(d["at"] for d in deliveries)
    elapsed = (times[-1] - started) if times else float("nan")
    result = {
        "run": label,
        "reminders": count,
        "workers": workers,
        "SEND_RATE_PER_SECOND": rate,
        "statuses": statuses,
        "delivered": len(per_key),
        "delivered_twice": sum(1 for n in per_key.values() if n > 1),
        "template_calls": stats["calls"].get("template", 0),
        "seconds_from_launch_to_last_delivery": round(elapsed, 2),
        "notices_per_second": round(len(deliveries) / elapsed, 1) if times else 0,
        "fake_api_ceiling_per_second": round(ceiling, 1),
        "ratio_to_ceiling": round(len(deliveries) / elapsed / ceiling, 3) if times else 0,
        "peak_rss_mb_per_worker": rss,
    }
    if rate and len(times) > 1:
        # The middle 90% of deliveries: both workers running, start-up and the last stragglers left out.
        lo, hi = len(times) // 20, len(times) - 1 - len(times) // 20
        steady = (hi - lo) / (times[hi] - times[lo])
        first_to_last = (len(times) - 1) / (times[-1] - times[0])
        busiest = max(bisect.bisect_left(times, start + 1.0) - i for i, start in enumerate(times))
        result.update(
            {
                "rate_seen_first_to_last": round(first_to_last, 1),
                "rate_seen_middle_90pct": round(steady, 1),
                "busiest_one_second": busiest,
                # Never faster than the setting (+5%), whatever the workers could do…
                "never_above_rate_plus_5pct": steady <= 1.05 * rate and busiest <= 1.05 * rate,
                # …and as fast as it allows (−5%), when the workers can go faster unthrottled.
                "reached_rate_minus_5pct": steady >= 0.95 * rate,
            }
        )
        result["throttle_held_within_5pct"] = result["never_above_rate_plus_5pct"] and result["reached_rate_minus_5pct"]
    else:
        result["under_60s"] = elapsed < 60
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--count", type=int, default=10_000, help="reminders in the unthrottled run")
    parser.add_argument("--throttled-count", type=int, default=2_000, help="reminders in the throttled run (0 skips it)")
    parser.add_argument("--rate", type=int, default=200, help="SEND_RATE_PER_SECOND of the throttled run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    url = PG_URL if args.database == "postgresql" else SQLITE_URL
    print(f"database: {make_url(url).render_as_string(hide_password=True)}; redis: {REDIS_URL}; shared 2-core machine", flush=True)
    results = [run(url, args.count, args.workers, 0, "unthrottled", args.timeout)]
    print(json.dumps(results[-1], ensure_ascii=False, indent=2), flush=True)
    if args.throttled_count:
        results.append(run(url, args.throttled_count, args.workers, args.rate, "throttled", args.timeout))
        print(json.dumps(results[-1], ensure_ascii=False, indent=2), flush=True)
    ok = results[0].get("under_60s") and all(r["delivered"] == r["reminders"] and r["delivered_twice"] == 0 for r in results)
    ok = ok and all(r.get("throttle_held_within_5pct", True) for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
