"""Benchmark of the hours ledger at scale, in PostgreSQL (SPEC §8).

    .venv/bin/python -m bench.tally [--url postgresql+psycopg://127.0.0.1:5432/volunteer_bench_tally]
                                    [--entries 1000000] [--volunteers 20000] [--samples 1000] [--keep]

Loads 1,000,000 ledger entries for 20,000 volunteers into its own database (COPY,
indexes built after), then measures, in one run:

- `时长`: p50/p99 of `bot.domain.hours.summary` — what the `时长` reply is built from —
  for 1,000 random volunteers, each in a fresh session as a handler has it;
- the full CSV export: `flask --app wsgi export hours --out FILE` as its own process:
  wall time, rows per second, and that process's peak memory (its max RSS, from
  wait4); the same for a one-year export, so constant memory shows as equal peaks;
- baselines in the same run: a bare `SELECT 1` round trip (p50/p99) and a plain
  `COPY (the export's join) TO STDOUT` and `COPY hour_entries TO STDOUT`, and the export
  command with no rows (start-up cost and memory), reported as ratios.

Targets: 时长 p99 < 20 ms; export > 100,000 rows/s in < 200 MB. The machine is
shared, so read the ratios next to the absolute numbers. Prints a JSON report.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.storage.schema import reset_database

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql+psycopg://127.0.0.1:5432/volunteer_bench_tally"
COMMUNITIES = ("南乾元社区", "南顺城街社区", "南学街社区", "西大街社区", "夕阳楼社区")
EMPLOYERS = ("市第一医院", "西安交通大学", "市税务局", "碑林区人民法院", "市第三中学", "国网西安供电公司")
TITLES = ("楼院义务清扫", "反诈骗知识讲座", "百姓大舞台文艺汇演", "敬老院慰问", "健康知识讲座", "义务植树", "儿童读书会", "法治宣传讲座")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "秀兰建国志强桂英明华丽娟伟军敏静德海淑珍玉梅国庆春燕"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


# ── the database ───────────────────────────────────────────────────────────
def load(url: str, entries: int, volunteers: int, seed: int = 4) -> dict:
    """Bulk-load communities, volunteers, activities and ledger entries with COPY; indexes after."""
    import psycopg

    rng = random.Random(seed)
    per_person = max(1, entries // volunteers)
    activities = max(per_person * 4, volunteers // 2)  # ~100 people per activity at the defaults
    now = datetime(2026, 11, 28, 12, 0)
    started = time.perf_counter()
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as conn:
        cur = conn.cursor()
        # Build the ledger's indexes after the load, as one would for a bulk import.
        cur.execute("DROP INDEX IF EXISTS uq_hour_entries_credit")
        cur.execute("DROP INDEX IF EXISTS ix_hour_entries_resident_created")
        with cur.copy("COPY communities (id, name, position, created_at) FROM STDIN") as copy:
            for i, name in enumerate(COMMUNITIES, 1):
                copy.write_row((i, name, i, now))
        with cur.copy(
            "COPY residents (id, openid, volunteer_no, name, phone, community_id, is_party_member, employer, role,"
            " subscribed, registered_at, created_at, updated_at) FROM STDIN"
        ) as copy:
            for i in range(1, volunteers + 1):
                party = rng.random() < 0.3
                name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2))
                copy.write_row(
                    (i, f"bench-{i}", f"ZY{i:07d}", name, f"138{i:08d}", rng.randint(1, 5), party,
                     rng.choice(EMPLOYERS) if party else None, "organizer" if i <= 20 else "resident", True, now, now, now)
                )  # fmt: skip
        with cur.copy(
            "COPY activities (id, kind, title, content, place, community_id, start_at, end_at, deadline_at, capacity, hours,"
            " status, signup_seq, organizer_id, closed_at, created_at, updated_at) FROM STDIN"
        ) as copy:
            for i in range(1, activities + 1):
                start = now - timedelta(days=rng.randint(1, 3 * 365), hours=rng.randint(0, 8))
                length = rng.choice((1, 1.5, 2, 2.5, 3))
                community = rng.randint(0, 5) or None
                copy.write_row(
                    (i, "cleanup", rng.choice(TITLES), "清扫楼道、院落垃圾，整理乱堆杂物", f"{COMMUNITIES[(community or 1) - 1]}活动室",
                     community, start, start + timedelta(hours=length), start, 120, Decimal(str(length)), "closed", 0,
                     rng.randint(1, 20), start + timedelta(hours=length), start, start)
                )  # fmt: skip
        written = 0
        corrections = entries - per_person * volunteers
        with cur.copy("COPY hour_entries (id, resident_id, activity_id, kind, hours, reason, author_id, created_at) FROM STDIN") as copy:
            for person in range(1, volunteers + 1):
                for activity in rng.sample(range(1, activities + 1), per_person):
                    written += 1
                    copy.write_row((written, person, activity, "credit", Decimal(rng.choice((1, 1.5, 2, 2.5))), "bench", None, now))
            for _ in range(corrections):
                written += 1
                copy.write_row(
                    (written, rng.randint(1, volunteers), rng.randint(1, activities), "correction", Decimal("-0.5"), "bench", 1, now)
                )
        load_seconds = time.perf_counter() - started
        index_started = time.perf_counter()
        cur.execute("CREATE UNIQUE INDEX uq_hour_entries_credit ON hour_entries (resident_id, activity_id) WHERE kind = 'credit'")
        cur.execute("CREATE INDEX ix_hour_entries_resident_created ON hour_entries (resident_id, created_at)")
        for table in ("communities", "residents", "activities", "hour_entries"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        conn.commit()
        conn.autocommit = True
        cur.execute("VACUUM ANALYZE")
    return {
        "entries": written,
        "volunteers": volunteers,
        "activities": activities,
        "load_seconds": round(load_seconds, 1),
        "index_seconds": round(time.perf_counter() - index_started, 1),
    }


# ── measurements ───────────────────────────────────────────────────────────
def measure_hours(url: str, samples: int, volunteers: int) -> dict:
    """p50/p99 of the `时长` summary for `samples` random volunteers, beside a `SELECT 1` round trip."""
    from bot.domain import hours
    from bot.storage.db import Database
    from bot.storage.models import Resident
    from config import Settings

    settings = Settings.load({"DATABASE_URL": url})
    db = Database(url)
    rng = random.Random(7)
    people = rng.sample(range(1, volunteers + 1), samples)

    def one(resident_id: int) -> float:
        began = time.perf_counter()
        with db.session() as session:
            resident = session.get(Resident, resident_id)
            summary = hours.summary(session, resident, star_levels=settings.star_levels, party_target=settings.party_target_hours)
            assert summary.recent
        return (time.perf_counter() - began) * 1000

    for resident_id in people[:50]:  # warm the pool and the caches
        one(resident_id)
    timings = [one(resident_id) for resident_id in people]

    def select_one() -> float:
        began = time.perf_counter()
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1")).scalar()
        return (time.perf_counter() - began) * 1000

    for _ in range(50):
        select_one()
    baseline = [select_one() for _ in range(samples)]
    db.dispose()
    return {
        "hours_p50_ms": round(statistics.median(timings), 2),
        "hours_p99_ms": round(percentile(timings, 0.99), 2),
        "hours_max_ms": round(max(timings), 2),
        "select1_p50_ms": round(statistics.median(baseline), 3),
        "select1_p99_ms": round(percentile(baseline, 0.99), 3),
        "ratio_hours_p99_to_select1_p99": round(percentile(timings, 0.99) / percentile(baseline, 0.99), 1),
    }


def run_export(url: str, *args: str) -> dict:
    """Run `flask --app wsgi export hours … --out FILE` as its own process; time, rows and peak RSS."""
    with tempfile.TemporaryDirectory(prefix="bench-tally-") as folder:
        out = Path(folder) / "hours.csv"
        env = {**os.environ, "DATABASE_URL": url, "APP_ENV": "development"}
        began = time.perf_counter()
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "export", "hours", *args, "--out", str(out)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - began
        proc.returncode = os.waitstatus_to_exitcode(status)
        stderr = proc.stderr.read().decode() if proc.stderr else ""
        if proc.returncode != 0:
            raise RuntimeError(f"export failed: {stderr}")
        with out.open("rb") as handle:
            rows = sum(1 for _ in handle) - 1
        size = out.stat().st_size
    return {"rows": rows, "seconds": round(seconds, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "bytes": size}


def measure_copy(url: str) -> dict:
    """Baselines: PostgreSQL's own COPY … TO STDOUT of the export's join and of the bare table."""
    import psycopg

    # The export's query (bot.domain.exports.hours_rows), written out for COPY.
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    joined = (
        "COPY (SELECT r.volunteer_no, r.name, hc.name, r.is_party_member, r.employer, a.id, a.title, a.start_at, a.place,"
        " a.content, h.hours, ac.name, o.name FROM hour_entries h JOIN residents r ON r.id = h.resident_id"
        " JOIN activities a ON a.id = h.activity_id LEFT JOIN communities hc ON hc.id = r.community_id"
        " LEFT JOIN communities ac ON ac.id = a.community_id LEFT JOIN residents o ON o.id = a.organizer_id"
        " ORDER BY h.id) TO STDOUT WITH (FORMAT csv)"
    )
    results = {}
    with psycopg.connect(dsn) as conn:
        for name, sql in (("copy_join", joined), ("copy_table", "COPY hour_entries TO STDOUT WITH (FORMAT csv)")):
            began = time.perf_counter()
            size = 0
            with conn.cursor().copy(sql) as copy:
                for chunk in copy:
                    size += len(chunk)
            results[f"{name}_seconds"] = round(time.perf_counter() - began, 2)
            results[f"{name}_bytes"] = size
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("BENCH_TALLY_URL", DEFAULT_URL))
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--volunteers", type=int, default=20_000)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--keep", action="store_true", help="reuse the loaded database (skip the load)")
    args = parser.parse_args()

    report: dict = {"url": make_url(args.url).render_as_string(hide_password=True), "cpu_count": os.cpu_count()}
    if not args.keep:
        reset_database(args.url)
        report["load"] = load(args.url, args.entries, args.volunteers)
    report["hours"] = measure_hours(args.url, args.samples, args.volunteers)
    startup = run_export(args.url, "--year", "1900")  # no rows: the command's own start-up time and memory
    one_year = run_export(args.url, "--year", "2025")
    full = run_export(args.url)
    baseline = measure_copy(args.url)
    net = max(0.001, full["seconds"] - startup["seconds"])
    report["export"] = {
        "empty": startup,
        "one_year": one_year,
        "full": full,
        "full_rows_per_second": round(full["rows"] / full["seconds"]),
        "full_rows_per_second_without_startup": round(full["rows"] / net),
        **baseline,
        "copy_join_rows_per_second": round(full["rows"] / baseline["copy_join_seconds"]),
        "ratio_export_to_copy_join_time": round(full["seconds"] / baseline["copy_join_seconds"], 1),
        "ratio_export_to_copy_table_time": round(full["seconds"] / baseline["copy_table_seconds"], 1),
    }
    report["targets"] = {
        "hours_p99_under_20ms": report["hours"]["hours_p99_ms"] < 20,
        "export_over_100k_rows_per_second": report["export"]["full_rows_per_second"] > 100_000,
        "export_under_200mb": full["peak_rss_mb"] < 200,
        "export_memory_flat": full["peak_rss_mb"] - one_year["peak_rss_mb"] < 20,
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
