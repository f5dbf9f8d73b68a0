"""The webhook under wrk, next to a bare Flask endpoint served the same way (SPEC §8).

    .venv/bin/python -m bench.webhook                            # PostgreSQL
    .venv/bin/python -m bench.webhook --database both            # PostgreSQL, then SQLite
    .venv/bin/python -m bench.webhook --profile                  # + where a message's time goes

For each database it:
1. empties and migrates its own database (BENCH_POSTGRES_URL, default
   `volunteer_bench_webhook`; BENCH_SQLITE_URL) and flushes its own Redis db
   (BENCH_REDIS_URL, default db 9), registers `--residents` residents and publishes
   `--activities` activities on different days, with room for everyone;
2. serves bench/bare_app.py (only answers `success`) and the bot (wsgi:app), both with
   gunicorn `-w 2 -k sync`, and loads them with wrk (a C load generator: it does not
   take the CPU it measures the way Python would) at `--connections`, bare / bot / bare /
   bot (`--rounds`), `--seconds` each, after a warm-up of each. The load is SPEC §8's
   mix — 活动 40% · 活动 N 30% · 我的报名 20% · 报名 N 10% — from distinct residents,
   signed as WeChat signs them, every message with a MsgId never sent before
   (bench/webhook.lua). Reported: requests/s and p99 of each run, the median bot/bare
   ratio and the bot's p99 (targets: ≥ 0.30×, p99 < 50 ms);
3. times every bad-input class of SPEC §3 against the bot (status, < 100 ms, nothing written);
4. has `--burst` residents sign up for one activity of `--capacity` places, at
   `--connections`, and the same number (for another activity) all at once, one
   connection each: exactly capacity confirmed and the rest in line, replies that say
   so, p99 and the slowest reply (targets: p99 < 150 ms at 32 connections; slowest
   < 2 s all at once);
5. with `--profile`, runs each message type of the mix through the app in this process
   and prints the time per message of each step (signature and parse, the first Redis
   round trip, the handler, rendering, the second round trip, the rest).

The machine sets the absolute numbers: compare ratios from the same run. wrk is
`apt-get install -y wrk`; the bench says so if it is missing.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from bench.common import APP_ID, TOKEN, app_env, insert_residents, resident_row, start_serving, stop
from bot.domain import activities, communities
from bot.runtime.embedded_redis import free_port
from bot.runtime.services import Services
from bot.storage.db import normalise_url
from bot.storage.models import Base, Signup, utc_now
from bot.storage.schema import reset_database
from bot.wechat.peer import WeChatPeer
from config import Settings
from config.demo import COMMUNITIES as DEMO_COMMUNITIES

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "bench" / "webhook.lua"
BIN = ROOT / ".venv" / "bin"

PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://127.0.0.1:5432/volunteer_bench_webhook")
SQLITE_URL = os.environ.get("BENCH_SQLITE_URL", f"sqlite:///{Path(tempfile.gettempdir()) / 'volunteer-bench-webhook.db'}")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
OTHER_KEY = "YSBrZXkgbm9ib2R5IGNvbmZpZ3VyZWQ6IDMyIGJ5dGU"
# SPEC §8's mix.
MIX = (("活动", 40), ("活动 N", 30), ("我的报名", 20), ("报名 N", 10))
MSGID_MARK = 987654321987654321
TARGETS = {"ratio": 0.30, "p99_ms": 50, "burst_p99_ms": 150, "stampede_max_ms": 2000}


def need_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("wrk is not installed: apt-get install -y wrk (or build it from https://github.com/wg/wrk)")
    return wrk


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
        LOG_LEVEL="WARNING",  # the bad-input stage would log a line per refused body
    )


def seed(services: Services, count: int, n_activities: int) -> tuple[list[str], list[int]]:
    """Registered residents and activities on different days (no two overlap), room for everyone."""
    with services.db.transaction() as session:
        community_ids = [communities.add(session, name).id for name in DEMO_COMMUNITIES]
    now = utc_now()
    openids = [f"bench-{i:05d}" for i in range(count)]
    rows = [
        {**resident_row(i, openid, community_ids[i % len(community_ids)], now), "is_party_member": i % 7 == 0, "last_message_at": now}
        for i, openid in enumerate(openids)
    ]
    with services.db.transaction() as session:
        insert_residents(session, rows)
    day = now.replace(hour=1, minute=0, second=0, microsecond=0)  # 09:00 in Shanghai
    ids = [_activity(services, f"楼院义务清扫第{i + 1}场", day + timedelta(days=i + 2), 100_000) for i in range(n_activities)]
    if services.db.dialect == "postgresql":
        # As a live database would have them: statistics for the planner (thousands of rows just loaded).
        with services.db.autocommit() as conn:
            conn.execute(text("ANALYZE"))
    return openids, ids


def _activity(services: Services, title: str, start, capacity: int) -> int:  # type: ignore[no-untyped-def]
    with services.db.transaction() as session:
        return activities.create(
            session,
            activities.ActivityDraft(
                kind="culture",
                title=title,
                start_at=start,
                end_at=start + timedelta(hours=2),
                place="街道文化中心",
                capacity=capacity,
                hours=Decimal("2"),
                content="清扫楼道、清理小广告",
            ),
        ).id


def burst_activity(services: Services, capacity: int, days: int) -> int:
    """An afternoon activity: it overlaps none of the morning ones people signed up for."""
    start = utc_now().replace(hour=6, minute=0, second=0, microsecond=0) + timedelta(days=days)
    return _activity(services, "百姓大舞台文艺汇演", start, capacity)


# ── requests, as wrk's script reads them ───────────────────────────────────


def request_line(peer: WeChatPeer, openid: str, content: str) -> str:
    """`path<TAB>body before the MsgId<TAB>body after it`: wrk puts a fresh MsgId in between."""
    signed = peer.signed(peer.text_xml(openid, content, msg_id=MSGID_MARK), mode="plain")
    before, after = signed.body.decode("utf-8").split(str(MSGID_MARK))
    path = "/wechat?" + "&".join(f"{k}={v}" for k, v in signed.query.items())
    return f"{path}\t{before}\t{after}"


def mix_lines(peer: WeChatPeer, openids: list[str], ids: list[int], count: int, rng: random.Random) -> list[str]:
    """SPEC §8's mix in its proportions, shuffled, each from a resident picked at random."""
    kinds = [kind for kind, share in MIX for _ in range(share)]
    lines = []
    for i in range(count):
        kind = kinds[i % len(kinds)]
        content = kind.replace("N", str(rng.choice(ids)))
        lines.append(request_line(peer, rng.choice(openids), content))
    rng.shuffle(lines)
    return lines


def write_lines(lines: list[str]) -> str:
    fd, path = tempfile.mkstemp(prefix="bench-webhook-", suffix=".tsv")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return path


# ── servers and load ───────────────────────────────────────────────────────


def serve(target: str, env: dict, port: int, workers: int) -> subprocess.Popen:
    """gunicorn `-w N -k sync` on 127.0.0.1:port; returns once /healthz answers."""
    command = [
        str(BIN / "gunicorn"), "-w", str(workers), "-k", "sync", "--bind", f"127.0.0.1:{port}",
        "--backlog", "2048", "--log-level", "warning", target,
    ]  # fmt: skip
    return start_serving(command, env, port, target)


_bases = iter(range(1, 10**6))


def wrk(port: int, lines_path: str, connections: int, seconds: float, *, once: bool = False) -> dict:
    """One wrk run. `once`: each line sent exactly once (one wrk thread), the run ended as
    soon as every reply is in, and the latencies those replies took (timed by the script)."""
    base = 10**15 + next(_bases) * 10**10  # MsgIds never sent before (below 2^53: exact in wrk's Lua)
    done = tempfile.mktemp(prefix="bench-webhook-done-")
    threads = 1 if once else min(2, connections)
    command = [
        need_wrk(), f"-t{threads}", f"-c{connections}", f"-d{int(seconds)}s", "--timeout", "30s", "-s", str(LUA),
        f"http://127.0.0.1:{port}", "--", lines_path, "once" if once else "mix", str(base), done,
    ]  # fmt: skip
    env = {**os.environ, "WRK_MODE": "once" if once else "mix"}
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    if once:
        # wrk runs for its whole duration; stop it (SIGINT: it reports) once every reply is in.
        while proc.poll() is None and not os.path.exists(done):
            time.sleep(0.05)
        time.sleep(0.05)  # the script is writing the file
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=seconds + 60)
    marker = [line for line in out.splitlines() if line.startswith("WRK-JSON ")]
    if not marker:
        raise RuntimeError(f"wrk said:\n{out}")
    result = json.loads(marker[-1][len("WRK-JSON ") :])
    if once:
        if not os.path.exists(done):
            raise RuntimeError(f"not every reply came back within {seconds} s:\n{out}")
        with open(done, encoding="utf-8") as f:
            counts, *times = f.read().split("\n")
        os.unlink(done)
        latencies = sorted(float(t) for t in times if t)
        replies, confirmed, waitlisted, others = (int(n) for n in counts.split())
        result = {
            "replies": replies,
            "confirmed": confirmed,
            "waitlisted": waitlisted,
            "others": others,
            "p50_ms": round(latencies[len(latencies) // 2], 2),
            "p99_ms": round(latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))], 2),
            "max_ms": round(latencies[-1], 2),
            "errors": result["errors"],
        }
    return result


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
    results: dict = {}
    for name, (query, body, expected) in cases.items():
        timings = []
        for _ in range(repeat):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)  # sync workers close each connection
            path = "/wechat?" + "&".join(f"{k}={v}" for k, v in query.items())
            started = time.perf_counter()
            conn.request("POST", path, body=body, headers={"Content-Type": "text/xml"})
            response = conn.getresponse()
            response.read()
            timings.append((time.perf_counter() - started) * 1000)
            conn.close()
            if response.status != expected:
                raise AssertionError(f"{name}: expected {expected}, got {response.status}")
        timings.sort()
        results[name] = {"status": expected, "p50_ms": round(timings[len(timings) // 2], 2), "max_ms": round(timings[-1], 2)}
    results["nothing written"] = nothing_written(before, stored_state(services))
    return results


# ── the run ────────────────────────────────────────────────────────────────


def burst(services: Services, port: int, openids: list[str], capacity: int, connections: int, days: int) -> dict:
    """`openids` sign up for one new activity of `capacity` places, each once, at `connections`."""
    activity_id = burst_activity(services, capacity, days)
    peer = WeChatPeer(TOKEN, APP_ID)
    path = write_lines([request_line(peer, openid, f"报名 {activity_id}") for openid in openids])
    try:
        result = wrk(port, path, connections, seconds=120, once=True)
    finally:
        os.unlink(path)
    with services.db.session() as session:
        rows = session.execute(select(Signup.status, Signup.seq).where(Signup.activity_id == activity_id)).all()
    confirmed = sum(1 for status, _ in rows if status == "confirmed")
    waitlisted = sum(1 for status, _ in rows if status == "waitlisted")
    result.update(
        activity_id=activity_id,
        signups_confirmed=confirmed,
        signups_waitlisted=waitlisted,
        exact=confirmed == capacity and waitlisted == len(openids) - capacity and len({s for _, s in rows}) == len(rows),
        replies_right=result["confirmed"] == capacity and result["waitlisted"] == len(openids) - capacity,
    )
    return result


def run(database: str, args: argparse.Namespace) -> dict:
    url = PG_URL if database == "postgresql" else SQLITE_URL
    shown = make_url(normalise_url(url)).render_as_string(hide_password=True)
    print(f"\n== {database}: preparing {shown} and Redis {REDIS_URL}", flush=True)
    reset_database(url)
    env = server_env(url)
    services = Services.from_settings(Settings.load(env))
    services.redis.flushdb()  # the bench's own Redis db only
    openids, ids = seed(services, args.residents, args.activities)
    peer = WeChatPeer(TOKEN, APP_ID)
    rng = random.Random(42)
    # A fresh draw of the mix for every bot run, so that no run's sign-ups repeat an earlier one's.
    per_run = max(20_000, args.lines)
    files = [write_lines(mix_lines(peer, openids, ids, per_run, rng)) for _ in range(args.rounds + 1)]
    result: dict = {"database": database, "workers": args.workers, "connections": args.connections, "seconds": args.seconds}
    ports = (args.port, args.port + 1) if args.port else (free_port(), free_port())
    servers = {"bare": serve("bench.bare_app:app", env, ports[0], args.workers), "bot": serve("wsgi:app", env, ports[1], args.workers)}
    port = dict(zip(servers, ports, strict=True))
    try:
        print("   warming up both…", flush=True)
        wrk(port["bare"], files[0], args.connections, args.warmup)
        wrk(port["bot"], files[0], args.connections, args.warmup)
        runs: dict[str, list[dict]] = {"bare": [], "bot": []}
        for n in range(args.rounds):
            for label in ("bare", "bot"):
                print(f"   {label} {n + 1}/{args.rounds}: {args.seconds} s at {args.connections} connections…", flush=True)
                runs[label].append(wrk(port[label], files[n + 1], args.connections, args.seconds))
        result["runs"] = runs
        ratios = sorted(bot["rps"] / bare["rps"] for bare, bot in zip(runs["bare"], runs["bot"], strict=True))
        result["ratio"] = round(_median(ratios), 3)
        result["bot_p99_ms"] = round(_median([r["p99_ms"] for r in runs["bot"]]), 2)
        print("   bad input…", flush=True)
        time.sleep(2)  # requests still queued when wrk stopped are answered first: not the bad input's writes
        cases = bad_inputs(peer, WeChatPeer(TOKEN, APP_ID, AES_KEY), WeChatPeer(TOKEN, APP_ID, OTHER_KEY), openids[0])
        result["bad_input"] = time_bad_inputs(services, port["bot"], cases, args.bad_repeat)
        people = openids[: args.burst]
        for n, connections in enumerate((args.connections, len(people))):
            print(f"   burst: {len(people)} sign-ups for {args.capacity} places at {connections} connections…", flush=True)
            result[f"burst_{connections}"] = burst(services, port["bot"], people, args.capacity, connections, days=args.activities + 3 + n)
    finally:
        stop(list(servers.values()))
        for path in files:
            os.unlink(path)
        services.close()
    if args.profile:
        from bench.webhook_profile import profile

        result["profile"] = profile(env, openids, ids, args.profile_messages)
    return result


def _median(values: list[float]) -> float:
    values = sorted(values)
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def report(result: dict) -> None:
    served = f"gunicorn -w {result['workers']} -k sync, wrk at {result['connections']} connections, {result['seconds']} s a run"
    print(f"\n{result['database']}: {served}")
    print(f"  {'':8} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  errors")
    for n, (bare, bot) in enumerate(zip(result["runs"]["bare"], result["runs"]["bot"], strict=True), 1):
        for label, r in ((f"bare {n}", bare), (f"bot {n}", bot)):
            errors = {k: v for k, v in r["errors"].items() if v}
            print(f"  {label:8} {r['rps']:>9} {r['p50_ms']:>8} {r['p99_ms']:>8} {r['max_ms']:>8}  {errors or '-'}")
    met = result["ratio"] >= TARGETS["ratio"] and result["bot_p99_ms"] < TARGETS["p99_ms"]
    print(
        f"  bot/bare (median of {len(result['runs']['bot'])}): {result['ratio']:.2f}× (target ≥ {TARGETS['ratio']:.2f}×),"
        f" bot p99 {result['bot_p99_ms']} ms (target < {TARGETS['p99_ms']}) → {'MET' if met else 'MISSED'}"
    )
    print("  bad input (status, p50 / max ms):")
    for name, r in result["bad_input"].items():
        if isinstance(r, dict):
            print(f"    {name:26} {r['status']}  {r['p50_ms']:>6} / {r['max_ms']:>6}{'' if r['max_ms'] < 100 else '  (over 100 ms!)'}")
    print(f"    nothing written: {result['bad_input']['nothing written']}")
    for key in sorted((k for k in result if k.startswith("burst_")), key=lambda k: int(k.split("_")[1])):
        b, connections = result[key], int(key.split("_")[1])
        target, value = ("stampede_max_ms", b["max_ms"]) if connections > result["connections"] else ("burst_p99_ms", b["p99_ms"])
        what = "slowest" if target == "stampede_max_ms" else "p99"
        print(
            f"  burst at {connections} connections: {b['replies']} replies, {b['signups_confirmed']} confirmed +"
            f" {b['signups_waitlisted']} waitlisted (exact: {b['exact']}; replies say so: {b['replies_right']}),"
            f" p50 {b['p50_ms']} ms, p99 {b['p99_ms']} ms, slowest {b['max_ms']} ms;"
            f" {what} target < {TARGETS[target]} ms → {'MET' if value < TARGETS[target] and b['exact'] else 'MISSED'}"
        )
    if "profile" in result:
        from bench.webhook_profile import print_profile

        print_profile(result["profile"])


def main() -> int:
    parser = argparse.ArgumentParser(description="The webhook under wrk next to a bare Flask endpoint (SPEC §8).")
    parser.add_argument("--database", choices=["postgresql", "sqlite", "both"], default="postgresql")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers, for both apps")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=15, help="each timed run")
    parser.add_argument("--rounds", type=int, default=2, help="bare / bot pairs")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up for each app")
    parser.add_argument("--lines", type=int, default=40_000, help="distinct messages drawn for each run")
    parser.add_argument("--residents", type=int, default=3000)
    parser.add_argument("--activities", type=int, default=30)
    parser.add_argument("--burst", type=int, default=1000, help="residents in the sign-up bursts")
    parser.add_argument("--capacity", type=int, default=100, help="places in each burst's activity")
    parser.add_argument("--bad-repeat", type=int, default=20)
    parser.add_argument("--port", type=int, default=0, help="serve bare on PORT and the bot on PORT+1 (default: free ports)")
    parser.add_argument("--profile", action="store_true", help="also print where a message's time goes, step by step")
    parser.add_argument("--profile-messages", type=int, default=400, help="messages of each type for --profile")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    need_wrk()

    results = [run(db, args) for db in (("postgresql", "sqlite") if args.database == "both" else (args.database,))]
    for result in results:
        report(result)
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
