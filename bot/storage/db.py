"""The database connection: one engine per app, sessions handed out by `Database.session()`.

SQLite is the embedded default. Its transactions start with `BEGIN IMMEDIATE`, so two
processes never both read-then-write the same rows: that is what keeps capacity exact
there. PostgreSQL uses row locks (`SELECT … FOR UPDATE`) for the same rules.
"""

from __future__ import annotations

import os
import re
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import bindparam, column, create_engine, event, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.dialects.sqlite.base import SQLiteDialect
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.selectable import TextualSelect


def normalise_url(url: str) -> str:
    """Use psycopg 3 for `postgresql://` URLs, as the requirements install it."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


# Every PostgreSQL session carries these, so no hung or orphaned process can hold others
# for more than seconds: a transaction left idle is ended by the server, and a statement
# waiting on someone else's lock gives up instead of queueing behind it for ever.
PG_LOCK_TIMEOUT_MS = 5000
PG_IDLE_IN_TRANSACTION_TIMEOUT_MS = 15000
PG_OPTIONS = f"-c lock_timeout={PG_LOCK_TIMEOUT_MS} -c idle_in_transaction_session_timeout={PG_IDLE_IN_TRANSACTION_TIMEOUT_MS}"


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
    connect_args = {"options": PG_OPTIONS}
    if autocommit:
        return create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=True, connect_args=connect_args)
    # No pre-ping: it costs a round trip on every request. A connection the server
    # dropped fails one request, and SQLAlchemy then discards the whole stale pool.
    return create_engine(url, pool_size=10, max_overflow=20, pool_recycle=1800, connect_args=connect_args)


# ── fork safety ───────────────────────────────────────────────────────────────
# A child forked from a process with open database connections must neither use them
# (two processes talking on one socket corrupt the session) nor keep them alive: while
# the child holds an inherited socket, the server never learns that the parent died,
# and the parent's open transaction (and its row locks) outlives it. So in every
# forked child each engine forgets its pool, and each inherited socket is pointed at
# /dev/null: nothing is sent on it, and the parent's copy is the only one left.
_databases: weakref.WeakSet[Database] = weakref.WeakSet()
_sockets: weakref.WeakValueDictionary[int, object] = weakref.WeakValueDictionary()
_hook_lock = threading.Lock()
_hook_installed = False


def _track_socket(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    fileno = getattr(dbapi_connection, "fileno", None)
    if fileno is not None:
        try:
            _sockets[id(dbapi_connection)] = dbapi_connection
        except TypeError:  # not weak-referenceable: nothing to track
            pass


def _after_fork_in_child() -> None:
    for database in list(_databases):
        database.engine.dispose(close=False)
        database._autocommit = database.engine.execution_options(isolation_level="AUTOCOMMIT")
    connections = list(_sockets.values())
    _sockets.clear()
    if not connections:
        return
    devnull = os.open(os.devnull, os.O_RDWR)
    try:
        for connection in connections:
            try:
                fd = connection.fileno()
            except Exception:  # already closed in the parent
                continue
            os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def _install_fork_hook() -> None:
    global _hook_installed
    with _hook_lock:
        if not _hook_installed:
            os.register_at_fork(after_in_child=_after_fork_in_child)
            _hook_installed = True


_PG_PARAM_CAST = re.compile(r"(?<![:\w]):(\w+)::(JSONB?)\b")


class Precompiled:
    """A statement SQLAlchemy will not cache, compiled once per dialect into one it will.

    SQLAlchemy compiles a dialect's `INSERT … ON CONFLICT` (and any statement holding one)
    again on every execution: 8 ms for a sign-up's statement, more than running it. This
    compiles it once into a textual statement with the same parameters (their types and
    fixed values kept) and the same result columns, which SQLAlchemy caches as any other.
    The statement may hold no expanding parameter (`IN` of a list): spell those out. Give
    the statement, or a function of the dialect's `insert` that builds it for either.
    """

    def __init__(self, statement):  # type: ignore[no-untyped-def]
        self.build = statement if callable(statement) else lambda _insert: statement
        self._compiled: dict[str, TextClause | TextualSelect] = {}

    def on(self, bind: Connection | Session) -> TextClause | TextualSelect:
        """The statement for `bind`'s dialect (PostgreSQL or SQLite)."""
        name = bind.get_bind().dialect.name if isinstance(bind, Session) else bind.dialect.name
        compiled = self._compiled.get(name)
        if compiled is None:
            compiled = self._compiled[name] = self._compile(name)
        return compiled

    def _compile(self, name: str) -> TextClause | TextualSelect:
        dialect = (PGDialect if name == "postgresql" else SQLiteDialect)(paramstyle="named")
        statement = self.build(pg_insert if name == "postgresql" else sqlite_insert)
        compiled = statement.compile(dialect=dialect)
        params = {}
        for parameter, key in compiled.bind_names.items():
            if parameter.expanding:
                raise ValueError(f"{key}: an expanding parameter cannot be precompiled")
            value = {} if parameter.required else {"value": parameter.value}
            params[key] = bindparam(key, type_=parameter.type, **value)
        # PostgreSQL's compiler writes a JSON parameter as `:name::JSON`, which text() would not
        # read as a parameter: spell the cast out.
        sql = _PG_PARAM_CAST.sub(r"CAST(:\1 AS \2)", compiled.string)
        if "::" in sql:
            raise ValueError(f"a cast text() would misread is left in {sql!r}")
        clause = text(sql).bindparams(*params.values())
        returned = [column(c.key, c.type) for c in statement.exported_columns]
        return clause.columns(*returned) if returned else clause


def insert_for(bind: Connection | Session):  # type: ignore[no-untyped-def]
    """The dialect's INSERT, which knows ON CONFLICT (PostgreSQL and SQLite both have it)."""
    dialect = bind.get_bind().dialect.name if isinstance(bind, Session) else bind.dialect.name
    return pg_insert if dialect == "postgresql" else sqlite_insert


class Database:
    """An engine and its session factory."""

    def __init__(self, url: str, *, autocommit: bool = False, session_info: dict | None = None):
        """`session_info` is copied into every session's `info` (how the domain reaches
        the hooks its owner gave it, such as where to enqueue notices after a commit)."""
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, autocommit=autocommit)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False, info=dict(session_info or {}))
        self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        if self.engine.dialect.name != "sqlite":
            event.listen(self.engine, "connect", _track_socket)
        _databases.add(self)
        _install_fork_hook()

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
