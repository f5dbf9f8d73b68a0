"""A broadcast to 10,000 residents, delivered by 2 workers through the local fake WeChat API (SPEC §8).

    .venv/bin/python -m bench.broadcast                       # PostgreSQL, 10,000 residents, 2 workers
    .venv/bin/python -m bench.broadcast --database sqlite --residents 2000

It:
1. empties and migrates its own database (BENCH_POSTGRES_URL, default
   `volunteer_bench_broadcast`; BENCH_SQLITE_URL) and flushes its own Redis db
   (BENCH_REDIS_URL, default db 8); registers `--residents` residents in one community
   and 10 in another (the small baseline audience);
2. starts the fake WeChat API as its own process (tests/fake_wechat.py), the bot under
   gunicorn (wsgi:app) and `--workers` workers (`flask --app wsgi worker`), all with
   SEND_RATE_PER_SECOND=0 (unthrottled) and a template id, so every notice is a
   template send with its `client_msg_id`;
3. baseline, same run: the fake API's own ceiling (two processes sending template
   messages straight to it as fast as they can), and the webhook's reply time for
   `帮助` and for `群发`/`确认` to the 10-person audience;
4. the organizer says `群发 @大社区 …` and `确认` through the real webhook (signed XML
   over HTTP): both reply times; then the time from `确认` to the last delivery
   (`max(sent_at)`), deliveries per second, every recipient reached exactly once (at
   WeChat's side), and the peak memory (VmHWM) of each worker process.

Targets: last delivery within 60 s of `确认` unthrottled; the organizer's replies under
200 ms whatever the audience size. The machine is shared and its speed drifts: read the
numbers next to the baselines of the same run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import func, select

from bench.common import APP_ID, TOKEN, fake_api_env, fake_call, insert_residents, peak_rss_mb, resident_row, serve, start_workers, stop
from bot.domain import communities, residents
from bot.runtime.services import Services
from bot.storage.db import normalise_url
from bot.storage.models import Broadcast, Notice, utc_now
from bot.storage.schema import reset_database
from bot.wechat.peer import WeChatPeer
from config import Settings
from tests import fake_wechat

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://127.0.0.1:5432/volunteer_bench_broadcast")
SQLITE_URL = os.environ.get("BENCH_SQLITE_URL", f"sqlite:///{Path(tempfile.gettempdir()) / 'volunteer-bench-broadcast.db'}")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
BIG, SMALL = "大社区", "小社区"
ORGANIZER = "bench-organizer"


# ── set-up ─────────────────────────────────────────────────────────────────
def seed(services: Services, count: int) -> None:
    """The organizer, `count` residents in 大社区 and 10 in 小社区, all registered and following."""
    now = utc_now()
    with services.db.transaction() as session:
        big = communities.add(session, BIG)
        small = communities.add(session, SMALL)
        residents.grant_role(session, ORGANIZER, "organizer").name = "王组织"
        rows = [
            resident_row(i, f"{'big' if i < count else 'small'}-{i}", big.id if i < count else small.id, now) for i in range(count + 10)
        ]
        insert_residents(session, rows)


def server_env(database_url: str, fake_url: str) -> dict:
    return fake_api_env(
        database_url,
        REDIS_URL,
        fake_url,
        SEND_RATE_PER_SECOND="0",
        NOTICE_CLAIM_TIMEOUT="30s",
        SWEEP_INTERVAL="5s",
    )


# ── the organizer, through the real webhook ─────────────────────────────────
class Organizer:
    """Speaks to the webhook over HTTP exactly as WeChat would, and times each reply."""

    def __init__(self, port: int):
        self.peer = WeChatPeer(TOKEN, APP_ID)
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def say(self, text: str) -> tuple[str, float]:
        request = self.peer.signed(self.peer.text_xml(ORGANIZER, text))
        started = time.perf_counter()
        self.conn.request("POST", "/wechat?" + urlencode(request.query), body=request.body, headers={"Content-Type": "text/xml"})
        body = self.conn.getresponse().read()
        elapsed = (time.perf_counter() - started) * 1000
        return self.peer.read_reply(body).get("Content", ""), elapsed


def broadcast_to(organizer: Organizer, community: str, words: str) -> dict:
    asked, ask_ms = organizer.say(f"群发 @{community} {words}")
    if "确认" not in asked:
        raise RuntimeError(f"unexpected reply to 群发: {asked}")
    started, confirm_ms = organizer.say("确认")
    if "已开始群发" not in started:
        raise RuntimeError(f"unexpected reply to 确认: {started}")
    return {"ask_ms": round(ask_ms, 1), "confirm_ms": round(confirm_ms, 1), "ask_reply": asked.splitlines()[0]}


def wait_delivered(services: Services, broadcast_id: int, expected: int, timeout: float) -> dict:
    """Wait until every notice of the broadcast is finished; times from its confirmation."""
    deadline = time.monotonic() + timeout
    while True:
        with services.db.transaction() as session:
            broadcast = session.get(Broadcast, broadcast_id)
            finished = dict(
                session.execute(
                    select(Notice.status, func.count()).where(Notice.broadcast_id == broadcast_id).group_by(Notice.status)
                ).all()
            )
            done = broadcast.status == "done" and sum(v for k, v in finished.items() if k not in ("pending", "claimed")) >= expected
            if done or time.monotonic() > deadline:
                last = session.execute(select(func.max(Notice.sent_at)).where(Notice.broadcast_id == broadcast_id)).scalar()
                seconds = (last - broadcast.confirmed_at).total_seconds() if last else float("nan")
                fanned = (broadcast.finished_at - broadcast.confirmed_at).total_seconds() if broadcast.finished_at else float("nan")
                return {"statuses": finished, "seconds": round(seconds, 2), "fan_out_seconds": round(fanned, 2), "complete": done}
        time.sleep(0.25)


def ceiling(fake_url: str, count: int) -> dict:
    """The fake API's own ceiling: two processes posting template sends as fast as they can."""
    code = (
        "import http.client, json, sys, time\n"
        "port, n, tag = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]\n"
        "c = http.client.HTTPConnection('127.0.0.1', port)\n"
        "c.request('POST', '/cgi-bin/stable_token', body=json.dumps({'grant_type': 'client_credential'}))\n"
        "token = json.loads(c.getresponse().read())['access_token']\n"
        "for i in range(n):\n"
        "    body = json.dumps({'touser': f'ceiling-{tag}-{i}', 'template_id': 't', 'client_msg_id': f'c-{tag}-{i}',\n"
        "                       'data': {'thing1': {'value': '街道通知'}}})\n"
        "    c.request('POST', '/cgi-bin/message/template/send?access_token=' + token, body=body)\n"
        "    c.getresponse().read()\n"
    )
    port = fake_url.split(":")[2].split("/")[0]
    started = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", code, port, str(count // 2), str(n)]) for n in range(2)]
    for proc in procs:
        proc.wait()
    seconds = time.perf_counter() - started
    return {"sends": count, "seconds": round(seconds, 2), "per_second": round(count / seconds)}


def run(database_url: str, count: int, workers: int) -> dict:
    reset_database(database_url)
    settings = Settings.load({"DATABASE_URL": database_url, "REDIS_URL": REDIS_URL})
    services = Services.from_settings(settings)
    services.redis.flushdb()
    seed(services, count)
    fake, fake_url = fake_wechat.start_process()
    env = server_env(database_url, fake_url)
    procs: list[subprocess.Popen] = [fake]
    try:
        result: dict = {"database": services.db.dialect, "residents": count, "workers": workers}
        result["ceiling"] = ceiling(fake_url, count)
        fake_call(fake_url, "/_fake/reset", {})
        web, port = serve("wsgi:app", env)
        procs.append(web)
        worker_procs = start_workers(env, workers, Path(tempfile.gettempdir()), "broadcast")
        procs += worker_procs
        time.sleep(2)  # workers up and listening
        organizer = Organizer(port)
        helps = sorted(organizer.say("帮助")[1] for _ in range(21))
        result["help_ms"] = {"p50": round(statistics.median(helps), 1), "max": round(helps[-1], 1)}

        result["small"] = broadcast_to(organizer, SMALL, "小范围测试通知")
        with services.db.transaction() as session:
            small_id = session.execute(select(func.max(Broadcast.id))).scalar_one()
        result["small"].update(wait_delivered(services, small_id, 10, timeout=60))

        result["big"] = broadcast_to(organizer, BIG, "今晚8点至明早6点停水，请提前储水")
        with services.db.transaction() as session:
            big_id = session.execute(select(func.max(Broadcast.id))).scalar_one()
        result["big"].update(wait_delivered(services, big_id, count, timeout=600))
        result["big"]["per_second"] = round(count / result["big"]["seconds"]) if result["big"]["seconds"] else None
        result["peak_rss_mb"] = [round(peak_rss_mb(p.pid), 1) for p in worker_procs]

        stats = fake_call(fake_url, "/_fake/stats")
        received = Counter(d["touser"] for d in stats["deliveries"] if str(d.get("client_msg_id", "")).startswith(f"broadcast:{big_id}:"))
        result["big"]["people_reached"] = len(received)
        result["big"]["reached_twice"] = sum(1 for n in received.values() if n > 1)
        result["big"]["dropped_repeats_at_wechat"] = stats["deduplicated"]
        return result
    finally:
        stop(procs)
        services.close()


def report(r: dict) -> None:
    big, small = r["big"], r["small"]
    print(f"\n{r['database']}: broadcast to {r['residents']:,} residents, {r['workers']} workers, unthrottled (machine shared)")
    c = r["ceiling"]
    print(f"  baseline: fake API ceiling {c['per_second']:,} sends/s ({c['sends']:,} in {c['seconds']} s, 2 client processes)")
    print(f"  baseline: 帮助 reply p50 {r['help_ms']['p50']} ms, max {r['help_ms']['max']} ms")
    print(f"  baseline: 10 people — 群发 {small['ask_ms']} ms, 确认 {small['confirm_ms']} ms, last delivery after {small['seconds']} s")
    print(f"  {r['residents']:,} people — 群发 {big['ask_ms']} ms, 确认 {big['confirm_ms']} ms (target < 200 ms)")
    print(f"    last delivery {big['seconds']} s after 确认 (target < 60 s), {big['per_second']} deliveries/s, statuses {big['statuses']}")
    print(f"    of which the fan-out (all {r['residents']:,} notices created and queued) took {big['fan_out_seconds']} s")
    print(f"    reached {big['people_reached']:,} people, {big['reached_twice']} twice; peak RSS per worker {r['peak_rss_mb']} MB")
    met = big["complete"] and big["seconds"] < 60 and big["ask_ms"] < 200 and big["confirm_ms"] < 200 and big["reached_twice"] == 0
    print(f"  → {'MET' if met else 'MISSED'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--residents", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print the raw result as JSON too")
    args = parser.parse_args()
    url = normalise_url(PG_URL if args.database == "postgresql" else SQLITE_URL)
    result = run(url, args.residents, args.workers)
    report(result)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
