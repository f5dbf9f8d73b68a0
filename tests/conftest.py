"""Fixtures: a real Redis (db 15), a real database (SQLite or PostgreSQL), and `wx`.

`TEST_DATABASE_URL` picks the database leg (`make test` runs both); `TEST_REDIS_URL`
the Redis. With `CI=true` a missing service fails the run instead of being replaced.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bot.app import create_app
from bot.runtime import logs
from bot.runtime.embedded_redis import ensure_redis, reachable
from bot.storage.db import normalise_url
from bot.storage.models import Base, utc_now
from bot.storage.schema import reset_database
from bot.wechat.peer import WeChatPeer
from tests.ledger_helpers import activity_at

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_configure(config):  # type: ignore[no-untyped-def]
    # The test run starts this process: it configures logging once, as wsgi.py does for gunicorn.
    logs.configure("INFO")

TOKEN = "testtoken"
APP_ID = "wx2c2769f8efd9abc2"


def _database_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return normalise_url(url)
    path = Path(tempfile.gettempdir()) / f"volunteer-test-{os.getpid()}.db"
    return f"sqlite:///{path}"


def _prepare_database(url: str) -> None:
    """Start from an empty database and migrate it, as `db upgrade` would."""
    try:
        reset_database(url)
    except OperationalError as exc:
        pytest.exit(f"the test database at {make_url(url).render_as_string(hide_password=True)} is not reachable: {exc}", returncode=3)


@pytest.fixture(scope="session")
def test_env() -> dict:
    """Settings every test app (and every process a test starts) uses."""
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    if not reachable(redis_url):
        if IN_CI:
            pytest.exit(f"Redis at {redis_url} is not reachable and CI=true", returncode=3)
        redis_url = ensure_redis(redis_url)
    database_url = _database_url()
    _prepare_database(database_url)
    env = {
        "APP_ENV": "development",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_APP_ID": APP_ID,
        "WECHAT_APP_SECRET": "",
        "WECHAT_ENCODING_AES_KEY": "",
        "WECHAT_ENCODING_AES_KEY_PREVIOUS": "",
        "SECRET_KEY": "test-secret",
        "ORG_NAME": "测试街道办事处",
    }
    # Processes the tests start (workers, concurrent sign-ups) read the same settings.
    os.environ.update(env)
    return env


def _empty_tables(app) -> None:  # type: ignore[no-untyped-def]
    db = app.extensions["bot"].db
    tables = [t.name for t in Base.metadata.sorted_tables]
    with db.engine.begin() as conn:
        if db.dialect == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(tables):
                conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def make_app(test_env):  # type: ignore[no-untyped-def]
    """Build an app with extra settings; each one is cleaned up after the test."""
    apps = []

    def build(**overrides):  # type: ignore[no-untyped-def]
        app = create_app({**test_env, **overrides})
        app.testing = True
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["bot"].close()


@pytest.fixture
def app(make_app):  # type: ignore[no-untyped-def]
    app = make_app()
    _empty_tables(app)
    app.extensions["bot"].redis.flushdb()
    yield app
    app.extensions["bot"].redis.flushdb()


@pytest.fixture
def services(app):  # type: ignore[no-untyped-def]
    return app.extensions["bot"]


@pytest.fixture
def db(services):  # type: ignore[no-untyped-def]
    """A session on the test database for looking and setting up, in autocommit mode.

    Each statement stands alone, so a look never holds SQLite's write lock (which the app
    under test needs) nor an old snapshot. Call `db.expire_all()` before re-reading
    objects already loaded.
    """
    from bot.storage.db import Database

    database = Database(services.settings.DATABASE_URL, autocommit=True)
    session = database.session()
    yield session
    session.close()
    database.dispose()


class Wx:
    """Talks to the app as WeChat does: `wx.say("报名 3")` returns the reply text."""

    def __init__(self, app, peer: WeChatPeer, openid: str = "user-1"):  # type: ignore[no-untyped-def]
        self.app = app
        self.client = app.test_client()
        self.peer = peer
        self.openid = openid
        self.last_response = None

    def as_user(self, openid: str) -> Wx:
        return Wx(self.app, self.peer, openid)

    def post_xml(self, xml: str):  # type: ignore[no-untyped-def]
        request = self.peer.signed(xml)
        self.last_response = self.client.post("/wechat", query_string=request.query, data=request.body)
        return self.last_response

    def _content(self, xml: str) -> str:
        response = self.post_xml(xml)
        assert response.status_code == 200, response.data
        reply = self.peer.read_reply(response.data)
        return reply.get("Content", "") if reply else ""

    def say(self, text: str, *, user: str | None = None, msg_id: int | None = None) -> str:
        return self._content(self.peer.text_xml(user or self.openid, text, msg_id=msg_id))

    def speak(self, recognition: str | None, *, user: str | None = None, msg_id: int | None = None) -> str:
        """A voice message; WeChat's speech recognition heard `recognition` (None: recognition off)."""
        return self._content(self.peer.voice_xml(user or self.openid, recognition, msg_id=msg_id))

    def click(self, key: str, *, user: str | None = None) -> str:
        return self._content(self.peer.event_xml(user or self.openid, "CLICK", key))

    def scan(self, scene: str, *, user: str | None = None) -> str:
        return self._content(self.peer.event_xml(user or self.openid, "SCAN", scene))

    def subscribe(self, scene: str | None = None, *, user: str | None = None) -> str:
        key = f"qrscene_{scene}" if scene else None
        return self._content(self.peer.event_xml(user or self.openid, "subscribe", key))

    def unsubscribe(self, *, user: str | None = None) -> str:
        return self._content(self.peer.event_xml(user or self.openid, "unsubscribe"))

    def register(
        self,
        name: str = "张三",
        phone: str = "13800138000",
        community: int | str = 1,
        party: bool = False,
        employer: str = "",
        *,
        user: str | None = None,
    ) -> str:
        """Run the whole registration dialog; returns the last reply."""
        self.say("注册", user=user)
        self.say(name, user=user)
        self.say(phone, user=user)
        self.say(str(community), user=user)
        last = self.say("是" if party else "否", user=user)
        if party:
            last = self.say(employer or "西安市第一医院", user=user)
        return last


@pytest.fixture
def wechat_api():  # type: ignore[no-untyped-def]
    """A local HTTP server speaking WeChat's API (tests/fake_wechat.py); `.url` is WECHAT_API_BASE_URL."""
    from tests.fake_wechat import FakeWeChat

    fake = FakeWeChat().start()
    yield fake
    fake.stop()


@pytest.fixture
def wx(app):  # type: ignore[no-untyped-def]
    settings = app.extensions["bot"].settings
    return Wx(app, WeChatPeer.from_settings(settings))


@pytest.fixture
def communities(services):  # type: ignore[no-untyped-def]
    """The five demo communities, in order."""
    from bot.domain import communities as community_rules
    from config.demo import COMMUNITIES as DEMO_COMMUNITIES

    with services.db.transaction() as session:
        return [community_rules.add(session, name).id for name in DEMO_COMMUNITIES]


@pytest.fixture
def make_activity(services, communities):  # type: ignore[no-untyped-def]
    """Create a published activity; times are offsets from now unless given."""

    def make(
        title: str = "楼院义务清扫",
        *,
        kind: str = "cleanup",
        start: datetime | None = None,
        hours_long: float = 2,
        capacity: int = 10,
        hours: str = "2",
        community_id: int | None = None,
        deadline: datetime | None = None,
        place: str = "南乾元社区3号院",
        content: str = "清扫楼道",
        organizer_id: int | None = None,
        min_age: int | None = None,
        max_age: int | None = None,
    ) -> int:
        return activity_at(
            services,
            start or utc_now() + timedelta(days=2),
            length=timedelta(hours=hours_long),
            hours=hours,
            capacity=capacity,
            title=title,
            community_id=community_id,
            organizer_id=organizer_id,
            place=place,
            content=content,
            kind=kind,
            deadline=deadline,
            min_age=min_age,
            max_age=max_age,
        )

    return make


def prepend_routes(app, router) -> None:  # type: ignore[no-untyped-def]
    """Put test-only routes in front of the app's own (first match wins)."""
    chat = app.extensions["bot.chat"]
    router.include(chat.router)
    app.extensions["bot.chat"] = replace(chat, router=router)


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05):  # type: ignore[no-untyped-def]
    """Poll until `predicate()` is truthy; returns its value or fails the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout}s")
