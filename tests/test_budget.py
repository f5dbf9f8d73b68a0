"""SPEC §8's budget per message, proven by counts through the real webhook: Redis round trips
(at most 2: the claim with what the handler reads, then the reply with what it wrote) and
SQL statements (none for 活动 and 活动 N while nothing changed, one SELECT for 我的报名, one
transaction of at most 3 statements for 报名 N with the activity locked for one of them)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.chat.reply import Reply
from bot.chat.router import Router
from bot.domain import residents
from bot.storage.keys import key
from bot.storage.models import Resident, utc_now
from tests.conftest import Wx, prepend_routes, wait_for
from tests.counting import RedisTrips, Statements


@pytest.fixture
def counted(app, services):  # type: ignore[no-untyped-def]
    trips, statements = RedisTrips(services.redis), Statements(services.db.engine)
    yield trips, statements
    trips.close()
    statements.close()


@pytest.fixture
def world(wx, communities, make_activity, counted):  # type: ignore[no-untyped-def]
    """Three activities, two registered people who have just written (their contact is noted for the minute)."""
    ids = [make_activity(f"活动{i}", capacity=2, hours_long=1, start=utc_now() + timedelta(days=2 + i)) for i in range(3)]
    for n, openid in enumerate(("u1", "u2")):
        assert "登记完成" in wx.register(name=f"居民{'甲乙'[n]}", phone=f"1390000000{n}", user=openid)
    wx.say("活动", user="u1")  # this process reads the catalogue once
    trips, statements = counted
    trips.reset()
    statements.reset()
    return ids


def names(trip) -> list[str]:  # type: ignore[no-untyped-def]
    return [name for name, _key in trip]


def _one_message(counted) -> tuple[list, list]:  # type: ignore[no-untyped-def]
    trips, statements = counted
    return list(trips.trips), list(statements.seen)


# ── the read commands ───────────────────────────────────────────────────────
def test_events_list_costs_two_round_trips_and_no_sql(wx, world, counted):
    reply = wx.say("活动", user="u1")
    assert all(f"【{i}】" in reply for i in world)
    trips, statements = _one_message(counted)
    assert len(trips) == 2
    assert names(trips[0]) == ["EVAL"]  # the claim, the dialog state, the cursor, the contact gate, the version
    assert names(trips[1]) == ["SET", "EVAL"]  # the `更多` cursor, then the reply
    assert trips[1][0][1] == key("events_page", "u1")
    assert statements == []


def test_more_reads_its_cursor_from_the_first_round_trip(wx, make_activity, world, counted):
    for i in range(10):
        make_activity(f"更多活动{i}", capacity=2, hours_long=1)
    first = wx.say("活动", user="u2")
    counted[0].reset()
    counted[1].reset()
    second = wx.say("更多", user="u2")
    assert "第 2 页" in second and second != first
    trips, statements = _one_message(counted)
    assert len(trips) == 2 and statements == []


def test_event_detail_costs_two_round_trips_and_no_sql(wx, world, counted):
    reply = wx.say(f"活动 {world[1]}", user="u1")
    assert f"【{world[1]}】活动1" in reply
    trips, statements = _one_message(counted)
    assert len(trips) == 2 and statements == []


def test_my_signups_costs_one_select(wx, world, counted):
    wx.say(f"报名 {world[0]}", user="u1")
    counted[0].reset()
    counted[1].reset()
    assert f"【{world[0]}】" in wx.say("我的报名", user="u1")
    trips, statements = _one_message(counted)
    assert len(trips) == 2
    [select] = statements
    assert select.sql.startswith("SELECT") and select.autocommit


# ── signing up ──────────────────────────────────────────────────────────────
def test_signup_is_one_transaction_of_at_most_three_statements(wx, services, world, counted):
    assert "报名成功" in wx.say(f"报名 {world[0]}", user="u1")
    trips, statements = _one_message(counted)
    assert len(trips) == 2
    # After the reply: the catalogue's new version (places left changed), then the reply.
    assert trips[1][-1][0] == "EVAL" and ("SET", key("version", "catalogue")) in trips[1]
    assert all(not s.autocommit for s in statements)  # nothing outside the one transaction
    assert len({s.connection for s in statements}) == 1
    assert 1 <= len(statements) <= 3
    locking = [i for i, s in enumerate(statements) if "UPDATE activities" in s.sql or "FOR UPDATE OF activities" in s.sql]
    if services.db.dialect == "postgresql":
        # The activity is locked by the last statement alone: only the commit follows it.
        assert locking == [len(statements) - 1]
        assert "FOR UPDATE OF residents" in statements[0].sql  # the person first, always in that order
    else:
        assert locking  # SQLite: the whole transaction holds the write lock from BEGIN IMMEDIATE


def test_a_signup_to_a_full_activity_costs_the_same(wx, world, counted):
    wx.say(f"报名 {world[2]}", user="u1")
    wx.register(name="居民丙", phone="13900000009", user="u3")
    wx.say(f"报名 {world[2]}", user="u3")  # two places, both taken
    counted[0].reset()
    counted[1].reset()
    assert "候补第1位" in wx.say(f"报名 {world[2]}", user="u2")
    trips, statements = _one_message(counted)
    assert len(trips) == 2 and 1 <= len(statements) <= 3 and all(not s.autocommit for s in statements)


def test_the_list_is_read_again_once_after_a_change_and_never_stale(wx, make_app, world, counted):
    assert "余 2 个名额" in wx.say(f"活动 {world[0]}", user="u1")
    # Someone signs up through another process (another app on the same database and Redis).
    other = make_app()
    other_wx = Wx(other, wx.peer)
    assert "报名成功" in other_wx.say(f"报名 {world[0]}", user="u2")
    counted[0].reset()
    counted[1].reset()
    assert "余 1 个名额" in wx.say(f"活动 {world[0]}", user="u1")
    [reread] = counted[1].seen
    assert reread.sql.startswith("SELECT") and reread.autocommit
    counted[1].reset()
    assert "余 1 个名额" in wx.say(f"活动 {world[0]}", user="u1")
    assert counted[1].seen == []


def test_a_redis_flush_never_serves_the_old_catalogue(wx, services, world, counted, db):
    assert "余 2 个名额" in wx.say(f"活动 {world[1]}", user="u1")
    services.redis.flushdb()  # the version is gone: a new one is set, never the old one again
    counted[1].reset()
    wx.say(f"活动 {world[1]}", user="u1")
    assert [s.sql.split()[0] for s in counted[1].seen if "activities" in s.sql] == ["SELECT"]


# ── dialogs, retries and copies ─────────────────────────────────────────────
def test_a_dialog_step_costs_two_round_trips(wx, world, counted):
    wx.say("注册", user="u5")
    counted[0].reset()
    assert "手机号" in wx.say("王小明", user="u5")
    trips = counted[0].trips
    assert len(trips) == 2
    assert ("SET", key("conv", "u5")) in trips[1]  # the next state, with the reply


def test_a_retried_copy_costs_one_round_trip_and_no_sql(wx, world, counted):
    request = wx.peer.signed(wx.peer.text_xml("u1", f"报名 {world[1]}", msg_id=990001))
    first = wx.client.post("/wechat", query_string=request.query, data=request.body)
    counted[0].reset()
    counted[1].reset()
    again = wx.client.post("/wechat", query_string=request.query, data=request.body)
    assert again.data == first.data
    trips, statements = _one_message(counted)
    assert [names(t) for t in trips] == [["EVAL"]] and statements == []


def test_contact_is_noted_once_a_minute_in_the_last_round_trip_with_no_sql(wx, services, world, counted, db):
    # The minute is over: in Redis (the gate) and in the database (the contact noted).
    residents.flush_contacts(services.redis, services.db)  # what earlier messages noted
    db.execute(update(Resident).where(Resident.openid == "u1").values(last_message_at=utc_now() - timedelta(minutes=2)))
    services.redis.delete(residents.contact_key("u1"))
    counted[0].reset()
    counted[1].reset()
    wx.say(f"活动 {world[0]}", user="u1")
    trips, statements = _one_message(counted)
    assert statements == [] and len(trips) == 2 and "HSET" in names(trips[1])  # noted with the reply
    assert residents.flush_contacts(services.redis, services.db) == 1  # the sweep writes it
    db.expire_all()
    assert utc_now() - db.execute(select(Resident.last_message_at).where(Resident.openid == "u1")).scalar_one() < timedelta(minutes=1)
    counted[0].reset()
    wx.say(f"活动 {world[0]}", user="u1")
    assert "HSET" not in names(_one_message(counted)[0][1])  # within the minute: nothing noted


def test_a_copy_arriving_while_the_first_is_handled_waits_on_a_notification(app, wx, services, counted):
    """Not a poll: the waiting copy sends its claim script and one BLPOP, however long it waits."""
    gate = threading.Event()
    started: list[str] = []
    router = Router("test-slow")

    @router.text("慢")
    def slow(ctx):  # type: ignore[no-untyped-def]
        """Wait for the test, then answer."""
        started.append(ctx.openid)
        assert gate.wait(30)
        return Reply("慢慢来")

    prepend_routes(app, router)
    request = wx.peer.signed(wx.peer.text_xml("u9", "慢", msg_id=990002))
    first: dict = {}
    post = lambda: app.test_client().post("/wechat", query_string=request.query, data=request.body)  # noqa: E731
    thread = threading.Thread(target=lambda: first.update(response=post()))
    thread.start()
    wait_for(lambda: started)
    trips, by_thread = counted[0], {}
    trips.reset()
    me = threading.get_ident()
    original = trips.pool.connection_class.send_packed_command

    def send(self, command, check_health=True):  # type: ignore[no-untyped-def]
        by_thread.setdefault(threading.get_ident(), []).append(self._names)
        return original(self, command, check_health)

    trips.pool.connection_class.send_packed_command = send
    releaser = threading.Timer(0.8, gate.set)  # the first copy finishes while this one waits
    releaser.start()
    second = post()
    thread.join(10)
    assert second.data == first["response"].data and "慢慢来" in wx.peer.read_reply(second.data)["Content"]
    assert [names(t) for t in by_thread[me]] == [["EVAL"], ["BLPOP"]]
    assert started == ["u9"]
