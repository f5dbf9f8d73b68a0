"""Understanding free text (SPEC §9, §8): accuracy per intent, the confusion of intents, and
the time and memory the understanding adds, next to the strict command path in the same run.

    .venv/bin/python -m bench.understanding                 # everything
    .venv/bin/python -m bench.understanding --skip-accuracy # time and memory only

1. Accuracy: every message of each batch (tests/data/understanding_eval*.yaml, each
   against its world) through the real webhook (signed XML, voice where labelled), the
   clock pinned to the world's "now", on its own SQLite file and Redis db
   (BENCH_REDIS_URL, default db 13): right per intent, the confusion of labelled → read
   intents, wrong effects; per batch, then all together.
2. Time per message, in this process, with the activities already read (as the hot
   path's per-process cache will hold them): the strict path (`understand` + `fits`, as
   the router runs it on every text) and the free-text step (both parses, the rows made
   into items, resolution) on the same messages, p50 and p99 of each.
3. Memory: a fresh process imports the app, then builds the vocabulary tables and reads
   every message; the resident memory it adds (VmRSS), and the time the build takes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import namedtuple
from datetime import datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _accuracy(redis_url: str) -> None:
    from tests import understanding_eval as ev

    everything = []
    for batch, world_file in ev.BATCHES.items():
        print(f"\n== {batch} (world {world_file})")
        verdicts = _batch(redis_url, ev.load_world(world_file), ev.load_cases(batch))
        _report(verdicts)
        everything += verdicts
    result = ev.score(everything)
    print(f"\n== all batches: {result.right}/{result.total} = {result.accuracy:.1%}   wrong effects: {result.wrong_effects}")


def _batch(redis_url: str, world: dict, cases: list) -> list:  # type: ignore[type-arg]
    """One batch through the webhook of a fresh app on an empty database."""
    from bot.app import create_app
    from bot.storage.schema import reset_database
    from bot.wechat.peer import WeChatPeer
    from tests import understanding_eval as ev

    path = Path(tempfile.mkdtemp(prefix="bench-nlu-")) / "bench.db"
    database_url = f"sqlite:///{path}"
    reset_database(database_url)
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "WECHAT_TOKEN": "benchtoken",
            "WECHAT_APP_ID": "wx2c2769f8efd9abc2",
            "WECHAT_APP_SECRET": "",
            "WECHAT_ENCODING_AES_KEY": "",
            "APP_ENV": "development",
        }
    )
    services = app.extensions["bot"]
    services.redis.flushdb()
    client = app.test_client()
    peer = WeChatPeer.from_settings(services.settings)

    def send(openid: str, text: str, voice: bool) -> str:
        xml = peer.voice_xml(openid, text) if voice else peer.text_xml(openid, text)
        request = peer.signed(xml)
        response = client.post("/wechat", query_string=request.query, data=request.body)
        reply = peer.read_reply(response.data)
        return reply.get("Content", "") if reply else ""

    with ev.pinned(world):
        ev.build(services, world)
        verdicts = ev.run(app, services, cases, send, world)
    services.redis.flushdb()
    services.close()
    return verdicts


def _report(verdicts: list) -> None:  # type: ignore[type-arg]
    from tests import understanding_eval as ev

    result = ev.score(verdicts)
    voice = [v for v in verdicts if v.case.voice]
    print(f"accuracy: {result.right}/{result.total} = {result.accuracy:.1%}   wrong effects: {result.wrong_effects}")
    print(f"  of which voice: {sum(v.correct for v in voice)}/{len(voice)}")
    print("\nper intent (labelled):")
    for intent in ev.INTENTS:
        right, total = result.per_intent.get(intent, [0, 0])
        print(f"  {intent:9} {right:4}/{total:<4} {right / total if total else 0:7.1%}")
    seen = sorted(
        {s for _, s in result.confusion} | set(ev.INTENTS),
        key=lambda s: (s not in ev.INTENTS, ev.INTENTS.index(s) if s in ev.INTENTS else 0),
    )
    print("\nconfusion (rows: labelled, columns: read as):")
    print("           " + " ".join(f"{s[:6]:>6}" for s in seen))
    for labelled in ev.INTENTS:
        row = [result.confusion.get((labelled, s), 0) for s in seen]
        print(f"  {labelled:9}" + " ".join(f"{n:6}" for n in row))
    misses = [v for v in verdicts if not v.correct]
    if misses:
        print("\nmisses:")
        for v in misses:
            print(f"  {v.case.text!r}: {v.why}")


def _world_rows(world: dict) -> list:
    """The world's activities as catalogue rows (what `bot.domain.catalogue.read` returns)."""
    from bot.domain.timefmt import to_utc_naive

    Row = namedtuple("Row", "id kind title content place start_at end_at deadline_at capacity hours status community taken")
    rows = []
    for spec in world["activities"]:
        start = to_utc_naive(datetime.strptime(spec["start"], "%Y-%m-%d %H:%M"))
        end = to_utc_naive(datetime.strptime(spec["end"], "%Y-%m-%d %H:%M"))
        deadline = to_utc_naive(datetime.strptime(spec["deadline"], "%Y-%m-%d %H:%M")) if spec.get("deadline") else start
        rows.append(
            Row(
                spec["id"],
                spec["kind"],
                spec["title"],
                spec.get("content", ""),
                spec["place"],
                start,
                end,
                deadline,
                spec["capacity"],
                Decimal(spec["hours"]),
                spec.get("status", "published"),
                spec.get("community"),
                0,
            )
        )
    return rows


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _spread(values: list[float]) -> str:
    return f"p50 {statistics.median(values):.3f} ms   p99 {_percentile(values, 0.99):.3f} ms   max {max(values):.3f} ms"


def _timing(rounds: int) -> None:
    from bot.app import build_router
    from bot.chat.understanding import fits, understand
    from bot.chat.understanding.lexicon import Lexicon
    from bot.chat.understanding.parse import parse
    from bot.chat.understanding.resolve import decide
    from bot.chat.understanding.world import People, World, catalogue_of
    from bot.domain.timefmt import to_local, to_utc_naive
    from tests import understanding_eval as ev

    words = build_router().words()
    lexicon = Lexicon.shared()
    batches = []
    for batch, world_file in ev.BATCHES.items():
        spec = ev.load_world(world_file)
        now = to_utc_naive(datetime.strptime(spec["now"], "%Y-%m-%d %H:%M"))
        held = {i: "confirmed" for i in spec["resident"]["holds"]} | {i: "waitlisted" for i in spec["resident"]["waiting"]}
        members = tuple((m["name"], m["relation"]) for m in spec["resident"].get("family", ()))
        people = People(spec["resident"]["community"], members, {})
        # One catalogue per world, kept as a process keeps its one while the activities stay.
        context = (now, to_local(now).replace(tzinfo=None), catalogue_of(_world_rows(spec), lexicon), held, people)
        batches += [(f"{batch}:{t}", t, context) for case in ev.load_cases(batch) for t in case.say]

    def strict(text: str, context: tuple) -> None:  # type: ignore[type-arg]
        intent = understand(text, words)
        if intent is not None:
            fits(intent)

    def free(text: str, context: tuple) -> None:  # type: ignore[type-arg]
        now, local, catalogue, held, people = context
        first = parse(text, lexicon, now)
        world = World(catalogue, local, load_held=lambda: held, load_people=lambda: people)
        if first.intent not in ("help", "register", "hours", "mine", "greet", "thanks", "none"):
            first = parse(text, lexicon, now, world.protected, world.communities, world.titles, prior=first, pairs=world.pairs)
        decide(first, world, lexicon)

    for _, text, context in batches:  # warm up: caches of character readings, regexes
        strict(text, context)
        free(text, context)
    timings: dict[str, list[float]] = {"strict": [], "free": []}
    best: dict[str, dict[str, float]] = {"strict": {}, "free": {}}
    for _ in range(rounds):
        for key, text, context in batches:
            for name, step in (("strict", strict), ("free", free)):
                started = time.perf_counter()
                step(text, context)
                took = (time.perf_counter() - started) * 1000
                timings[name].append(took)
                best[name][key] = min(best[name].get(key, took), took)
    print(f"\ntime per message ({len(batches)} messages × {rounds} rounds, this process, activities already read):")
    for name, values in timings.items():
        print(f"  {name:7} every run:    {_spread(values)}")
    for name, per_message in best.items():
        print(f"  {name:7} best of {rounds}:   {_spread(list(per_message.values()))}")
    added99 = _percentile(timings["free"], 0.99)
    work99 = _percentile(list(best["free"].values()), 0.99)
    print(
        f"  added by the free-text step: p99 {added99:.3f} ms over every run, {work99:.3f} ms for the work itself "
        f"(each message's best run: without the machine's interruptions); budget 1 ms"
    )


_MEMORY_PROBE = """
import sys, time
sys.path.insert(0, {root!r})
def rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS'):
            return int(line.split()[1]) / 1024
import bot.app  # noqa: F401  the app and its imports, as a web process has them
before = rss()
started = time.perf_counter()
from bot.chat.understanding import prepare
prepare()
built = time.perf_counter() - started
after_build = rss()
from bench.understanding import _read_all
_read_all()
print(f"{{before:.1f}} {{after_build:.1f}} {{rss():.1f}} {{built * 1000:.0f}}")
"""


def _read_all() -> None:
    """Read every message of every batch once (the memory probe's work)."""
    from bot.chat.understanding.lexicon import Lexicon
    from bot.chat.understanding.parse import parse
    from bot.chat.understanding.resolve import decide
    from bot.chat.understanding.world import World, item_from_row
    from bot.domain.timefmt import to_local, to_utc_naive
    from tests import understanding_eval as ev

    lexicon = Lexicon.shared()
    for batch, world_file in ev.BATCHES.items():
        spec = ev.load_world(world_file)
        now = to_utc_naive(datetime.strptime(spec["now"], "%Y-%m-%d %H:%M"))
        world = World([item_from_row(r, lexicon) for r in _world_rows(spec)], to_local(now).replace(tzinfo=None))
        for case in ev.load_cases(batch):
            for text in case.say:
                parsed = parse(text, lexicon, now, world.protected, world.communities, world.titles, pairs=world.pairs)
                decide(parsed, world, lexicon)


def _memory() -> None:
    out = subprocess.run([sys.executable, "-c", _MEMORY_PROBE.format(root=str(ROOT))], capture_output=True, text=True, check=True, cwd=ROOT)
    before, built, after, build_ms = (float(x) for x in out.stdout.split())
    print("\nmemory of a fresh process (VmRSS):")
    print(f"  the app imported: {before:.1f} MB")
    print(f"  + vocabulary tables (OpenCC, character readings, cn2an), built in {build_ms:.0f} ms: +{built - before:.1f} MB")
    print(f"  + every message of the set read once: +{after - built:.1f} MB")
    print(f"  added by understanding: {after - before:.1f} MB (budget 60 MB), once per process, before a fork")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"))
    parser.add_argument("--rounds", type=int, default=20, help="timing rounds over the whole set")
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--batch", action="append", help="only this batch (a file name in tests/data; repeatable)")
    args = parser.parse_args()
    if args.batch:
        from tests import understanding_eval as ev

        for name in list(ev.BATCHES):
            if name not in args.batch:
                del ev.BATCHES[name]
    if not args.skip_accuracy:
        from bot.runtime.embedded_redis import ensure_redis, reachable

        _accuracy(args.redis_url if reachable(args.redis_url) else ensure_redis(args.redis_url))
    _timing(args.rounds)
    _memory()


if __name__ == "__main__":
    main()
