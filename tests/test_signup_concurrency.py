"""Capacity holds whatever the concurrency: threads in several processes, one activity."""

from __future__ import annotations

import multiprocessing
import re
import threading

from sqlalchemy import select

from bot.domain import communities as community_rules
from bot.domain import residents
from bot.storage.models import Activity, Signup

PROCESSES = 2
THREADS_PER_PROCESS = 3
PEOPLE = 30
CAPACITY = 5


def _sign_up_many(openids: list[str], activity_id: int, barrier, results) -> None:  # type: ignore[no-untyped-def]
    """In a fresh process: build the app from the environment and sign people up from threads."""
    from bot.app import create_app
    from bot.wechat.peer import WeChatPeer

    app = create_app()
    peer = WeChatPeer.from_settings(app.extensions["bot"].settings)
    chunks = [openids[i::THREADS_PER_PROCESS] for i in range(THREADS_PER_PROCESS)]
    replies: list[tuple[str, str]] = []
    lock = threading.Lock()

    def run(chunk: list[str]) -> None:
        client = app.test_client()
        for openid in chunk:
            request = peer.signed(peer.text_xml(openid, f"报名 {activity_id}"))
            response = client.post("/wechat", query_string=request.query, data=request.body)
            content = peer.read_reply(response.data).get("Content", "")
            with lock:
                replies.append((openid, content))

    threads = [threading.Thread(target=run, args=(chunk,)) for chunk in chunks]
    barrier.wait()  # every process starts sending at the same moment
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put(replies)


def test_thirty_people_five_places_from_threads_and_processes(services, make_activity):
    with services.db.transaction() as session:
        community = community_rules.add(session, "南乾元社区")
        openids = []
        for i in range(PEOPLE):
            person = residents.get_or_create(session, f"crowd-{i:02d}")
            residents.save_profile(
                session,
                person,
                name=f"居民{chr(0x4E00 + i)}",
                phone=f"1380000{i:04d}",
                community_id=community.id,
                is_party_member=False,
                employer=None,
            )
            openids.append(person.openid)
    activity_id = make_activity(capacity=CAPACITY)

    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES)
    results = ctx.Queue()
    processes = [ctx.Process(target=_sign_up_many, args=(openids[i::PROCESSES], activity_id, barrier, results)) for i in range(PROCESSES)]
    for p in processes:
        p.start()
    replies = dict(pair for _ in processes for pair in results.get(timeout=120))
    for p in processes:
        p.join(timeout=30)
        assert p.exitcode == 0

    assert len(replies) == PEOPLE
    confirmed_replies = [o for o, text in replies.items() if "报名成功" in text]
    waitlist_positions = {o: int(m.group(1)) for o, text in replies.items() if (m := re.search(r"候补第(\d+)位", text))}
    assert len(confirmed_replies) == CAPACITY
    assert sorted(waitlist_positions.values()) == list(range(1, PEOPLE - CAPACITY + 1))

    with services.db.transaction() as session:
        rows = session.execute(select(Signup).where(Signup.activity_id == activity_id).order_by(Signup.seq)).scalars().all()
        by_openid = {residents_openid(session, s.resident_id): s for s in rows}
    assert sum(1 for s in rows if s.status == "confirmed") == CAPACITY
    waitlisted = [s for s in rows if s.status == "waitlisted"]
    assert len(waitlisted) == PEOPLE - CAPACITY
    # "In order": what each person was told matches their place in line, first come first served.
    for rank, signup in enumerate(waitlisted, start=1):
        openid = next(o for o, s in by_openid.items() if s.id == signup.id)
        assert waitlist_positions[openid] == rank
    assert {o for o, s in by_openid.items() if s.status == "confirmed"} == set(confirmed_replies)
    # Sequence numbers were handed out under the lock: no two alike.
    assert len({s.seq for s in rows}) == PEOPLE
    # The counters every sign-up read and bumped instead of counting rows agree with the rows.
    with services.db.transaction() as session:
        activity = session.get(Activity, activity_id)
        assert (activity.taken, activity.waiting, activity.signup_seq) == (CAPACITY, PEOPLE - CAPACITY, PEOPLE)


def residents_openid(session, resident_id: int) -> str:  # type: ignore[no-untyped-def]
    from bot.storage.models import Resident

    return session.get(Resident, resident_id).openid
