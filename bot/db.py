"""The database connection: one engine per app, sessions handed out by `Database.session()`.

SQLite is the embedded default. Its transactions start with `BEGIN IMMEDIATE`, so two
processes never both read-then-write the same rows: that is what keeps capacity exact
there. PostgreSQL uses row locks (`SELECT … FOR UPDATE`) for the same rules.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker


def normalise_url(url: str) -> str:
    """Use psycopg 3 for `postgresql://` URLs, as the requirements install it."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str, *, autocommit: bool = False) -> Engine:
    """An engine for `url`. `autocommit=True` (tests' looks at the data) runs each statement
    on its own, so a look never holds SQLite's write lock nor an old snapshot."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None hands transaction control to the events below.
        engine = create_engine(url, connect_args={"isolation_level": None, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        if not autocommit:

            @event.listens_for(engine, "begin")
            def _sqlite_begin(conn):  # type: ignore[no-untyped-def]
                # `Database.autocommit` runs each statement on its own: no write lock held.
                if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
                    conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if autocommit:
        return create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    # No pre-ping: it costs a round trip on every request. A connection the server
    # dropped fails one request, and SQLAlchemy then discards the whole stale pool.
    return create_engine(url, pool_size=10, max_overflow=20, pool_recycle=1800)


def insert_for(bind: Connection | Session):  # type: ignore[no-untyped-def]
    """The dialect's INSERT, which knows ON CONFLICT (PostgreSQL and SQLite both have it)."""
    dialect = bind.get_bind().dialect.name if isinstance(bind, Session) else bind.dialect.name
    return pg_insert if dialect == "postgresql" else sqlite_insert


class Database:
    """An engine and its session factory."""

    def __init__(self, url: str, *, autocommit: bool = False):
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, autocommit=autocommit)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self) -> Session:
        return self.sessions()

    def autocommit(self) -> Connection:
        """A connection whose statements each commit on their own.

        For lookups and single-statement writes: no BEGIN and COMMIT round trips around
        them, and on SQLite no write lock held between statements. Each statement sees
        what is committed when it runs; use `session()` when statements must agree.
        """
        return self._autocommit.connect()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on any error."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
