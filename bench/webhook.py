"""The webhook under load, next to a bare Flask endpoint served the same way (SPEC §8).

    .venv/bin/python -m bench.webhook                      # PostgreSQL
    .venv/bin/python -m bench.webhook --database both      # PostgreSQL, then SQLite

For each database it:
1. empties and migrates its own database (BENCH_POSTGRES_URL, default
   `volunteer_bench_webhook`; BENCH_SQLITE_URL) and Redis db (BENCH_REDIS_URL, default
   db 9), then registers `--residents` residents and publishes activities;
2. serves bench/bare_app.py, then bench/floor_app.py (only the protocol work and one
   durable write per sign-up: the least any handler could cost), then the bot
   (wsgi:app), with the same gunicorn settings, and replays the same signed text
   messages — 活动, 活动 N, 报名 N, 我的报名 from distinct residents, each with its own
   MsgId — from a separate load-generator process (bench/loadgen.py) at
   `--concurrency` keep-alive connections: requests/s, p50, p99;
3. reports floor/bare (the ceiling for any implementation on this stack and machine)
   next to bot/bare and bot/floor;
4. times every bad-input class of §3 (status, and nothing written);
5. bursts: 1,000 distinct residents sign up for one activity of `--capacity` places,
   at `--concurrency` connections and then all 1,000 at once: exactly capacity
   confirmed, the rest waitlisted, p99; and the same burst against the floor app at
   `--concurrency` connections (every sign-up written), the least such a burst takes.

Targets (SPEC §8): bot ≥ 60% of bare throughput, p99 < 50 ms at 32 connections; burst
p99 < 200 ms; bad input < 100 ms. Numbers depend on the machine and what else runs on
it: compare ratios from the same run.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from bench.common import APP_ID, TOKEN, app_env, insert_residents, resident_row, serve, stop
from bot.domain import activities, communities
from bot.runtime.services import Services
from bot.storage.db import normalise_url
from bot.storage.keys import key as redis_key
from bot.storage.models import Base, Signup, utc_now
from bot.storage.schema import reset_database
from bot.wechat.peer import WeChatPeer
from config import Settings
from config.demo import COMMUNITIES as DEMO_COMMUNITIES

ROOT = Path(__file__).resolve().parent.parent

PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://127.0.0.1:5432/volunteer_bench_webhook")
SQLITE_URL = os.environ.get("BENCH_SQLITE_URL", f"sqlite:///{Path(tempfile.gettempdir()) / 'volunteer-bench-webhook.db'}")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
OTHER_KEY = "YSBrZXkgbm9ib2R5IGNvbmZpZ3VyZWQ6IDMyIGJ5dGU"


# ── set-up ─────────────────────────────────────────────────────────────────


def server_env(database_url: str) -> dict:
    return app_env(
        database_url,
        REDIS_URL,
        WECHAT_APP_SECRET="",
        # A key is set so the safe-mode refusals can be timed; the load itself is plain mode.
        WECHAT_ENCODING_AES_KEY=AES_KEY,
        WECHAT_ENCODING_AES_KEY_PREVIOUS="",
        SECRET_KEY="bench-secret",
        # The bad-input stage would print a line per refused body.
        LOG_LEVEL="WARNING",
    )


def seed(services: Services, count: int, n_activities: int) -> tuple[list[str], list[int]]:
    """Registered residents and far-apart activities with room for everyone."""
    with services.db.transaction() as session:
        community_ids = [communities.add(session, name).id for name in DEMO_COMMUNITIES]
    now = utc_now()
    openids = [f"bench-{i:05d}" for i in range(count)]
    rows = [
        # Party members among them; everyone wrote a moment ago (the customer-service window).
        {**resident_row(i, openid, community_ids[i % len(community_ids)], now), "is_party_member": i % 7 == 0, "last_message_at": now}
        for i, openid in enumerate(openids)
    ]
    with services.db.transaction() as session:
        insert_residents(session, rows)
    activity_ids = []
    day = now.replace(hour=1, minute=0, second=0, microsecond=0)  # 09:00 in Shanghai
    with services.db.transaction() as session:
        for i in range(n_activities):
            start = day + timedelta(days=i + 2)
            activity = activities.create(
                session,
                activities.ActivityDraft(
                    kind=("cleanup", "lecture", "culture", "visit", "training")[i % 5],
                    title=f"楼院义务清扫第{i + 1}场",
                    start_at=start,
                    end_at=start + timedelta(hours=2),
                    place="南乾元社区3号院",
                    capacity=100_000,
                    hours=Decimal("2"),
                    community_id=community_ids[i % len(community_ids)],
                    content="清扫楼道、清理小广告",
                ),
            )
            activity_ids.append(activity.id)
    return openids, activity_ids


def burst_activity(services: Services, capacity: int, days: int) -> int:
    """An afternoon activity: it overlaps none of the morning ones people signed up for."""
    start = utc_now().replace(hour=6, minute=0, second=0, microsecond=0) + timedelta(days=days)
    with services.db.transaction() as session:
        activity = activities.create(
            session,
            activities.ActivityDraft(
                kind="culture",
                title="百姓大舞台文艺汇演",
                start_at=start,
                end_at=start + timedelta(hours=2),
                place="街道文化中心",
                capacity=capacity,
                hours=Decimal("2"),
            ),
        )
        return activity.id


# ── requests ───────────────────────────────────────────────────────────────

# MsgIds never seen before (not even by an earlier run): a repeat would be a de-duplication hit.
_msg_ids = itertools.count(int(time.time() * 1000) * 1000)


def signed_request(peer: WeChatPeer, openid: str, content: str) -> dict:
    request = peer.signed(peer.text_xml(openid, content, msg_id=next(_msg_ids)), mode="plain")
    return {"path": "/wechat?" + "&".join(f"{k}={v}" for k, v in request.query.items()), "body": request.body.decode("utf-8")}


def message_mix(peer: WeChatPeer, openids: list[str], activity_ids: list[int], count: int, rng: random.Random) -> list[dict]:
    """活动, 活动 N, 报名 N, 我的报名 in equal parts, from random residents."""
    items = []
    for i in range(count):
        openid = rng.choice(openids)
        kind = i % 4
        if kind == 0:
            content = "活动"
        elif kind == 1:
            content = f"活动 {rng.choice(activity_ids)}"
        elif kind == 2:
            content = f"报名 {rng.choice(activity_ids)}"
        else:
            content = "我的报名"
        items.append(signed_request(peer, openid, content))
    return items


def write_requests(items: list[dict]) -> str:
    fd, path = tempfile.mkstemp(prefix="bench-webhook-", suffix=".jsonl")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        for item in items:
            f.write(json.dumps(item, ensure_ascii=False) + "\n")
    return path


# ── servers and load ───────────────────────────────────────────────────────


def load(port: int, path: str, concurrency: int, warmup: int = 0, bodies: bool = False) -> dict:
    """Run bench/loadgen.py in its own process and return its JSON."""
    command = [sys.executable, "-m", "bench.loadgen", "--port", str(port), "--requests", path, "--concurrency", str(concurrency)]
    if warmup:
        command += ["--warmup", str(warmup)]
    if bodies:
        command.append("--bodies")
    out = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


# ── bad input ──────────────────────────────────────────────────────────────


def bad_inputs(peer: WeChatPeer, safe_peer: WeChatPeer, stranger: WeChatPeer, openid: str) -> dict[str, tuple[dict, bytes, int]]:
    """Each bad-input class of §3: (query, body, expected status)."""
    good = peer.text_xml(openid, "报名 1")
    signed = peer.query()
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        f"<xml><FromUserName>{openid}</FromUserName><MsgType>text</MsgType><Content>&xxe;</Content></xml>"
    )
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "lol">'
        + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
        + f"]><xml><FromUserName>{openid}</FromUserName><MsgType>text</MsgType><Content>&j;</Content></xml>"
    )
    safe = safe_peer.signed(peer.text_xml(openid, "报名 1"), mode="safe")
    undecryptable = stranger.signed(peer.text_xml(openid, "报名 1"), mode="safe")
    return {
        "missing signature": ({}, good.encode(), 403),
        "bad signature": ({**signed, "signature": "0" * 40}, good.encode(), 403),
        "bad msg_signature": ({**safe.query, "msg_signature": "0" * 40}, safe.body, 403),
        "empty body": (signed, b"", 400),
        "non-XML": (signed, "报名 1".encode(), 400),
        "malformed XML": (signed, good.encode()[:-4], 400),
        "root other than <xml>": (signed, good.replace("xml>", "message>").encode(), 400),
        "no MsgType": (signed, f"<xml><FromUserName>{openid}</FromUserName><Content>报名 1</Content></xml>".encode(), 400),
        "DOCTYPE (XXE)": (signed, xxe.encode(), 400),
        "DOCTYPE (billion laughs)": (signed, laughs.encode(), 400),
        "body over 64 KiB": (signed, peer.text_xml(openid, "x" * 70_000).encode(), 413),
        "undecryptable": (undecryptable.query, undecryptable.body, 400),
    }


def stored_state(services: Services) -> tuple:
    """Row counts of every table, and the Redis keys (each with its value's digest)."""
    with services.db.engine.connect() as conn:
        counts = tuple(conn.execute(select(func.count()).select_from(t)).scalar() for t in Base.metadata.sorted_tables)
    keys = {k: services.redis.dump(k) for k in services.redis.scan_iter(count=1000)}
    return counts, {k: v for k, v in keys.items() if v is not None}


def nothing_written(before: tuple, after: tuple) -> bool:
    """Same rows, and no Redis key added or changed (keys may expire meanwhile: that is no write)."""
    (rows_before, keys_before), (rows_after, keys_after) = before, after
    return rows_before == rows_after and all(keys_before.get(k) == v for k, v in keys_after.items())


def time_bad_inputs(services: Services, port: int, cases: dict, repeat: int) -> dict:
    before = stored_state(services)
    results = {}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for name, (query, body, expected) in cases.items():
        timings = []
        for _ in range(repeat):
            path = "/wechat?" + "&".join(f"{k}={v}" for k, v in query.items())
            started = time.perf_counter()
            conn.request("POST", path, body=body, headers={"Content-Type": "text/xml"})
            response = conn.getresponse()
            response.read()
            timings.append((time.perf_counter() - started) * 1000)
            if response.status != expected:
                raise AssertionError(f"{name}: expected {expected}, got {response.status}")
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        timings.sort()
        results[name] = {"status": expected, "p50_ms": round(timings[len(timings) // 2], 2), "max_ms": round(timings[-1], 2)}
    results["nothing written"] = nothing_written(before, stored_state(services))
    return results


def forget_replies(services: Services) -> None:
    """Drop every de-duplication key (claims and stored replies) from the bench's Redis db."""
    keys = list(services.redis.scan_iter(match=redis_key("dedupe", "*"), count=1000))
    for start in range(0, len(keys), 1000):
        services.redis.delete(*keys[start : start + 1000])


# ── the run ────────────────────────────────────────────────────────────────


def burst(services: Services, peer: WeChatPeer, port: int, openids: list[str], capacity: int, concurrency: int, days: int) -> dict:
    activity_id = burst_activity(services, capacity, days)
    path = write_requests([signed_request(peer, openid, f"报名 {activity_id}") for openid in openids])
    try:
        result = load(port, path, concurrency, bodies=True)
    finally:
        os.unlink(path)
    bodies = result.pop("bodies")
    with services.db.session() as session:
        rows = session.execute(select(Signup.status, Signup.seq).where(Signup.activity_id == activity_id)).all()
    confirmed = sum(1 for status, _ in rows if status == "confirmed")
    waitlisted = sum(1 for status, _ in rows if status == "waitlisted")
    result.update(
        activity_id=activity_id,
        confirmed=confirmed,
        waitlisted=waitlisted,
        exact=confirmed == capacity and waitlisted == len(openids) - capacity and len({s for _, s in rows}) == len(rows),
        replies_ok=sum("报名成功" in b for b in bodies),
        replies_waitlist=sum("候补第" in b for b in bodies),
    )
    return result


def floor_burst(services: Services, port: int, openids: list[str], args: argparse.Namespace) -> dict:
    """The same burst against the floor app: the least a sign-up could cost, queued on one row."""
    activity_id = burst_activity(services, args.capacity, days=args.activities + 6)
    path = write_requests([signed_request(WeChatPeer(TOKEN, APP_ID), openid, f"报名 {activity_id}") for openid in openids])
    try:
        result = load(port, path, args.concurrency)
    finally:
        os.unlink(path)
    with services.db.engine.connect() as conn:
        written = conn.execute(
            text("SELECT count(*), count(DISTINCT seq) FROM bench_floor_signups WHERE activity_id = :id"), {"id": activity_id}
        ).one()
    result["all_written"] = tuple(written) == (len(openids), len(openids))
    return result


def bot_extras(services: Services, port: int, openids: list[str], args: argparse.Namespace) -> dict:
    """With the bot still serving: bad-input timings, then the two sign-up bursts."""
    peer = WeChatPeer(TOKEN, APP_ID)
    cases = bad_inputs(peer, WeChatPeer(TOKEN, APP_ID, AES_KEY), WeChatPeer(TOKEN, APP_ID, OTHER_KEY), openids[0])
    print("   bad input…", flush=True)
    extras: dict = {"bad_input": time_bad_inputs(services, port, cases, args.bad_repeat)}
    people = openids[: args.burst]
    for n, concurrency in enumerate((args.concurrency, len(people))):
        print(f"   burst: {len(people)} sign-ups for {args.capacity} places at {concurrency} connections…", flush=True)
        extras[f"burst_{concurrency}"] = burst(services, peer, port, people, args.capacity, concurrency, days=args.activities + 3 + n)
    return extras


def run(database: str, args: argparse.Namespace) -> dict:
    url = PG_URL if database == "postgresql" else SQLITE_URL
    shown = make_url(normalise_url(url)).render_as_string(hide_password=True)
    print(f"\n== {database}: preparing {shown} and Redis {REDIS_URL}", flush=True)
    reset_database(url)
    env = server_env(url)
    services = Services.from_settings(Settings.load(env))
    services.redis.flushdb()  # the bench's own Redis db only
    openids, activity_ids = seed(services, args.residents, args.activities)
    mix = message_mix(WeChatPeer(TOKEN, APP_ID), openids, activity_ids, args.warmup + args.requests, random.Random(42))
    mix_path = write_requests(mix)
    result: dict = {"database": database, "workers": args.workers, "threads": args.threads, "concurrency": args.concurrency}
    try:
        for label, target in (("bare", "bench.bare_app:app"), ("floor", "bench.floor_app:app"), ("bot", "wsgi:app")):
            proc, port = serve(target, env, args.workers, args.threads)
            try:
                print(f"   {label}: {args.requests} requests at {args.concurrency} connections…", flush=True)
                result[label] = load(port, mix_path, args.concurrency, warmup=args.warmup)
                if label == "floor":
                    print(f"   floor burst: {args.burst} sign-ups at {args.concurrency} connections…", flush=True)
                    result["floor_burst"] = floor_burst(services, port, openids[: args.burst], args)
                    # The bot replays the same MsgIds: left in place, the floor's stored
                    # replies would answer them and the bot would do no work at all.
                    forget_replies(services)
                if label == "bot":
                    result.update(bot_extras(services, port, openids, args))
            finally:
                stop([proc])
    finally:
        os.unlink(mix_path)
        services.close()
    result["ratio"] = round(result["bot"]["rps"] / result["bare"]["rps"], 3)
    result["floor_ratio"] = round(result["floor"]["rps"] / result["bare"]["rps"], 3)
    return result


def report(result: dict) -> None:
    bare, floor, bot = result["bare"], result["floor"], result["bot"]
    served = f"gunicorn gthread {result['workers']} workers × {result['threads']} threads"
    print(f"\n{result['database']}: {served}, {result['concurrency']} connections")
    print(f"  {'':6} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  statuses")
    for label, r in (("bare", bare), ("floor", floor), ("bot", bot)):
        print(f"  {label:6} {r['rps']:>9} {r['p50_ms']:>8} {r['p99_ms']:>8} {r['max_ms']:>8}  {r['statuses']}")
    ok = result["ratio"] >= 0.6 and bot["p99_ms"] < 50
    verdict = "MET" if ok else "MISSED"
    print(f"  bot/bare throughput: {result['ratio']:.0%} (target ≥ 60%), bot p99 {bot['p99_ms']} ms (target < 50) → {verdict}")
    print(
        f"  floor/bare throughput: {result['floor_ratio']:.0%}: the ceiling for any handler on this stack"
        f" (protocol + one sign-up write); bot/floor: {bot['rps'] / floor['rps']:.0%}"
    )
    print("  bad input (status, p50 / max ms):")
    for name, r in result["bad_input"].items():
        if isinstance(r, dict):
            print(f"    {name:26} {r['status']}  {r['p50_ms']:>6} / {r['max_ms']:>6}{'' if r['max_ms'] < 100 else '  (over 100 ms!)'}")
    print(f"    nothing written: {result['bad_input']['nothing written']}")
    fb = result["floor_burst"]
    print(
        f"  floor burst at {result['concurrency']} connections: {fb['count']} sign-ups (all written: {fb['all_written']}),"
        f" {fb['rps']} req/s, p50 {fb['p50_ms']} ms, p99 {fb['p99_ms']} ms: the least any sign-up burst could take"
    )
    for key in sorted(k for k in result if k.startswith("burst_")):
        b = result[key]
        print(
            f"  burst at {key.split('_')[1]} connections: {b['count']} sign-ups, {b['confirmed']} confirmed + {b['waitlisted']} waitlisted"
            f" (exact: {b['exact']}; replies {b['replies_ok']} 报名成功 / {b['replies_waitlist']} 候补), {b['rps']} req/s,"
            f" p50 {b['p50_ms']} ms, p99 {b['p99_ms']} ms (target < 200)"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description="The webhook under load next to a bare Flask endpoint (SPEC §8).")
    parser.add_argument("--database", choices=["postgresql", "sqlite", "both"], default="postgresql")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers, for both apps")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker, for both apps")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--requests", type=int, default=8000, help="timed requests per app")
    parser.add_argument("--warmup", type=int, default=800)
    parser.add_argument("--residents", type=int, default=3000)
    parser.add_argument("--activities", type=int, default=30)
    parser.add_argument("--burst", type=int, default=1000, help="residents in the sign-up burst")
    parser.add_argument("--capacity", type=int, default=100, help="places in the burst's activity")
    parser.add_argument("--bad-repeat", type=int, default=20)
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()

    results = [run(db, args) for db in (("postgresql", "sqlite") if args.database == "both" else (args.database,))]
    for result in results:
        report(result)
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
