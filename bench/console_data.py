"""The office-scale data set of bench/console.py, bulk-loaded into PostgreSQL with COPY.

10,000 residents (three in ten party members, with employers), 1,000 activities (950 in
the last two years, closed; 50 in the coming month, open), about 1,000,000 ledger
entries (one credit per person and past activity, plus signed corrections), a sign-up
behind every credit and 120 for each open activity (100 places, 20 waiting), a broadcast
to everyone with each recipient's notice, some failed notices, open disputes and an
audit log. Indexes are built after the load, as for any bulk import.
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.engine import make_url

COMMUNITIES = ("南乾元社区", "南顺城街社区", "南学街社区", "西大街社区", "夕阳楼社区")
EMPLOYERS = ("市第一医院", "西安交通大学", "市税务局", "碑林区人民法院", "市第三中学", "国网西安供电公司")
TITLES = {
    "cleanup": ("楼院义务清扫", "义务植树", "护城河清洁"),
    "lecture": ("反诈骗知识讲座", "健康知识讲座", "法治宣传讲座", "礼仪讲座"),
    "culture": ("百姓大舞台文艺汇演", "儿童读书会", "好妈妈课堂"),
    "visit": ("敬老院慰问", "儿童福利院义务理发"),
    "training": ("志愿者服务技能培训",),
}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "秀兰建国志强桂英明华丽娟伟军敏静德海淑珍玉梅国庆春燕"

RESIDENTS = 10_000
ADMIN_ID = RESIDENTS + 1
ORGANIZER_ID = RESIDENTS + 2  # scoped to the first community
PAST, FUTURE = 950, 50
OPEN_ACTIVITY = PAST + 1  # the first open one: 100 places taken, 20 waiting
BROADCAST_ID = 1


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


# Indexes dropped before the load and built after it (names as in the migrations).
INDEXES = {
    "uq_hour_entries_credit": "CREATE UNIQUE INDEX uq_hour_entries_credit ON hour_entries (resident_id, activity_id) WHERE kind = 'credit'",
    "ix_hour_entries_resident_created": "CREATE INDEX ix_hour_entries_resident_created ON hour_entries (resident_id, created_at)",
    "ix_hour_entries_activity": "CREATE INDEX ix_hour_entries_activity ON hour_entries (activity_id, resident_id, hours)",
    "ix_signups_activity_status_seq": "CREATE INDEX ix_signups_activity_status_seq ON signups (activity_id, status, seq)",
    "ix_signups_resident_status": "CREATE INDEX ix_signups_resident_status ON signups (resident_id, status)",
}


def load(url: str, now: datetime, entries_target: int = 1_000_000, seed: int = 12) -> dict:
    """Fill the (freshly migrated) database at `url`; returns counts and timings."""
    import psycopg

    rng = random.Random(seed)
    began = time.perf_counter()
    per_activity = entries_target // PAST
    with psycopg.connect(_dsn(url)) as conn:
        cur = conn.cursor()
        for name in INDEXES:
            cur.execute(f"DROP INDEX IF EXISTS {name}")
        cur.execute("ALTER TABLE signups DROP CONSTRAINT IF EXISTS uq_signups_activity_resident")
        with cur.copy("COPY communities (id, name, position, created_at) FROM STDIN") as copy:
            for i, name in enumerate(COMMUNITIES, 1):
                copy.write_row((i, name, i, now))
        with cur.copy(
            "COPY residents (id, openid, volunteer_no, name, phone, community_id, is_party_member, employer, role,"
            " role_community_id, subscribed, registered_at, last_message_at, created_at, updated_at) FROM STDIN"
        ) as copy:
            for i in range(1, RESIDENTS + 3):
                party = rng.random() < 0.3
                name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2))
                role, scope = ("admin", None) if i == ADMIN_ID else ("organizer", 1) if i == ORGANIZER_ID else ("resident", None)
                copy.write_row(
                    (i, f"bench-{i}", f"ZY{i:07d}", name, f"138{i:08d}", (i % 5) + 1, party,
                     rng.choice(EMPLOYERS) if party else None, role, scope, True, now - timedelta(days=800), now, now, now)
                )  # fmt: skip
        kinds = list(TITLES)
        starts = {}
        with cur.copy(
            "COPY activities (id, kind, title, content, place, community_id, start_at, end_at, deadline_at, capacity, hours,"
            " status, signup_seq, organizer_id, checkin_code, closed_at, created_at, updated_at) FROM STDIN"
        ) as copy:
            for i in range(1, PAST + FUTURE + 1):
                past = i <= PAST
                day = now - timedelta(days=700 * (PAST - i + 1) / PAST) if past else now + timedelta(days=(i - PAST) * 0.6)
                start = day.replace(hour=1 + (i % 8), minute=0, second=0, microsecond=0)
                starts[i] = start
                kind = kinds[i % len(kinds)]
                community = (i % 6) or None  # one in six for the whole subdistrict
                copy.write_row(
                    (i, kind, rng.choice(TITLES[kind]), "清扫楼道、院落垃圾，整理乱堆杂物", f"{COMMUNITIES[(community or 1) - 1]}活动室",
                     community, start, start + timedelta(hours=2), start, 1200 if past else 100, Decimal(2),
                     "closed" if past else "published", per_activity + 200, ORGANIZER_ID if community == 1 else ADMIN_ID,
                     None if past else f"{100000 + i}", start + timedelta(hours=3) if past else None, start - timedelta(days=7),
                     start - timedelta(days=7))
                )  # fmt: skip
        written = 0
        signups = 0
        # Sign-ups and ledger in two passes (one COPY at a time on a connection).
        people_of = {a: rng.sample(range(1, RESIDENTS + 1), per_activity) for a in range(1, PAST + 1)}
        with cur.copy(
            "COPY signups (id, activity_id, resident_id, status, seq, created_at, updated_at, confirmed_at,"
            " checked_in_at, checked_out_at) FROM STDIN"
        ) as copy:
            for activity, people in people_of.items():
                start = starts[activity]
                for seq, person in enumerate(people, 1):
                    signups += 1
                    made = start - timedelta(days=3)
                    copy.write_row(
                        (signups, activity, person, "confirmed", seq, made, made, made, start, start + timedelta(hours=2))
                    )
            for activity in range(PAST + 1, PAST + FUTURE + 1):
                taken = 100 if activity == OPEN_ACTIVITY else rng.randint(20, 100)
                waiting = 20 if activity == OPEN_ACTIVITY else 0
                for seq, person in enumerate(rng.sample(range(1, RESIDENTS + 1), taken + waiting), 1):
                    signups += 1
                    status = "confirmed" if seq <= taken else "waitlisted"
                    copy.write_row(
                        (signups, activity, person, status, seq, now, now, now if status == "confirmed" else None, None, None)
                    )
        with cur.copy(
            "COPY hour_entries (id, resident_id, activity_id, kind, hours, reason, author_id, created_at) FROM STDIN"
        ) as copy:
            for activity, people in people_of.items():
                credited = starts[activity] + timedelta(hours=3)
                for person in people:
                    written += 1
                    hours = Decimal(rng.choice(("1.5", "2.0", "2.0", "2.0")))
                    copy.write_row((written, person, activity, "credit", hours, "check-in to check-out", None, credited))
            while written < entries_target:
                activity = rng.randint(1, PAST)
                written += 1
                copy.write_row(
                    (written, rng.choice(people_of[activity]), activity, "correction", Decimal("0.5"), "dispute #0: 核对签到表",
                     ORGANIZER_ID, starts[activity] + timedelta(days=5))
                )  # fmt: skip
        with cur.copy(
            "COPY broadcasts (id, author_id, audience, text, status, total, created_at, confirmed_at, finished_at) FROM STDIN"
        ) as copy:
            copy.write_row((BROADCAST_ID, ADMIN_ID, "all", "本周六上午社区义诊，请相互转告", "done", RESIDENTS, now, now, now))
        notices = 0
        with cur.copy(
            "COPY notices (id, key, resident_id, kind, broadcast_id, text, fields, due_at, status, channel, attempts, reason,"
            " sent_at, created_at) FROM STDIN"
        ) as copy:
            for person in range(1, RESIDENTS + 1):
                notices += 1
                failed = person % 50 == 0
                copy.write_row(
                    (notices, f"broadcast:{BROADCAST_ID}:{person}", person, "broadcast", BROADCAST_ID, "本周六上午社区义诊", "{}",
                     now, "undeliverable" if failed else "sent", "template", 1, "43004 not subscribed" if failed else None,
                     None if failed else now, now)
                )  # fmt: skip
        with cur.copy("COPY disputes (id, resident_id, activity_id, text, status, created_at) FROM STDIN") as copy:
            for i in range(1, 51):
                activity = PAST - i
                copy.write_row((i, people_of[activity][0], activity, "我签退了但没记上时长", "open", now))
        with cur.copy(
            "COPY audit_log (id, created_at, actor_id, actor_name, via, action, object_type, object_id, community_id, summary, ip)"
            " FROM STDIN"
        ) as copy:
            for i in range(1, 5001):
                activity = rng.randint(1, PAST + FUTURE)
                copy.write_row(
                    (i, now - timedelta(minutes=i), ORGANIZER_ID, "王组织", "console" if i % 2 else "chat",
                     rng.choice(("publish", "close", "notify", "cancel", "checkin")), "activity", activity, 1, "bench", "127.0.0.1")
                )  # fmt: skip
        loaded = time.perf_counter() - began
        indexed = time.perf_counter()
        for sql in INDEXES.values():
            cur.execute(sql)
        cur.execute("ALTER TABLE signups ADD CONSTRAINT uq_signups_activity_resident UNIQUE (activity_id, resident_id)")
        # The ledger's running totals, as bot.domain.ledger_totals.rebuild computes them.
        cur.execute(
            "INSERT INTO activity_hour_totals (activity_id, hours, credits) SELECT activity_id, SUM(hours),"
            " SUM(CASE WHEN kind = 'credit' THEN 1 ELSE 0 END) FROM hour_entries GROUP BY activity_id"
        )
        year = "EXTRACT(YEAR FROM a.start_at + interval '8 hours')::int"
        cur.execute(
            f"INSERT INTO resident_year_hours (resident_id, year, hours) SELECT h.resident_id, {year}, SUM(h.hours)"
            f" FROM hour_entries h JOIN activities a ON a.id = h.activity_id GROUP BY h.resident_id, {year}"
        )
        for table in (
            "communities",
            "residents",
            "activities",
            "signups",
            "hour_entries",
            "broadcasts",
            "notices",
            "disputes",
            "audit_log",
        ):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        conn.commit()
        conn.autocommit = True
        cur.execute("VACUUM ANALYZE")
    return {
        "residents": RESIDENTS,
        "activities": PAST + FUTURE,
        "ledger_entries": written,
        "signups": signups,
        "notices": notices,
        "load_seconds": round(loaded, 1),
        "index_seconds": round(time.perf_counter() - indexed, 1),
    }
