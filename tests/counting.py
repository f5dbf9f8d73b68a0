"""Counting what a message costs: Redis round trips (and their commands) and SQL statements.

Counts, not clocks: they hold on any machine. `RedisTrips` swaps the connection class
of an app's Redis pool for one that records every round trip (one `send_packed_command`:
a single command, or a whole pipeline). `Statements` listens to the app's engine
(`before_cursor_execute`) and records each statement with whether it ran on an
autocommit connection (a lookup standing alone) or inside a transaction.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from redis.connection import Connection
from sqlalchemy import event


class RedisTrips:
    """The round trips an app's Redis client makes, each as the (command, first argument) pairs it carried."""

    def __init__(self, redis):  # type: ignore[no-untyped-def]
        self.trips: list[list[tuple[str, str]]] = []
        trips = self.trips

        def named(args) -> tuple[str, str]:  # type: ignore[no-untyped-def]
            first = args[1] if len(args) > 1 else ""
            return str(args[0]).upper(), first.decode() if isinstance(first, bytes) else str(first)

        class Counting(redis.connection_pool.connection_class):  # type: ignore[name-defined, misc]
            _names: list[tuple[str, str]] | None = None

            def send_command(self, *args, **kwargs):  # type: ignore[no-untyped-def]
                self._names = [named(args)]
                return super().send_command(*args, **kwargs)

            def pack_commands(self, commands):  # type: ignore[no-untyped-def]
                self._names = [named(c) for c in commands]
                return super().pack_commands(commands)

            def send_packed_command(self, command, check_health=True):  # type: ignore[no-untyped-def]
                # Lease renewals come from their own thread, once a second while a handler runs,
                # whatever the message: not part of a message's cost.
                if threading.current_thread().name != "dedupe-leases":
                    trips.append(self._names or [("?", "")])
                self._names = None
                return super().send_packed_command(command, check_health)

        assert issubclass(Counting, Connection)
        self.pool = redis.connection_pool
        self._original = self.pool.connection_class
        # Connections made from now on count; the ones already open are dropped (not counted:
        # a new connection's handshake happens before counting starts, see `warm`).
        self.pool.disconnect()
        self.pool.reset()
        self.pool.connection_class = Counting

    def reset(self) -> None:
        self.trips.clear()

    def close(self) -> None:
        self.pool.disconnect()
        self.pool.reset()
        self.pool.connection_class = self._original

    def __len__(self) -> int:
        return len(self.trips)


@dataclass
class Statement:
    sql: str
    autocommit: bool
    connection: int


@dataclass
class Statements:
    """The SQL statements an app's engine runs (BEGIN/COMMIT, which SQLite sends as statements, left out)."""

    engine: object
    seen: list[Statement] = field(default_factory=list)

    def __post_init__(self) -> None:
        event.listen(self.engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            return
        autocommit = conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
        self.seen.append(Statement(" ".join(statement.split()), autocommit, id(conn.connection.dbapi_connection)))

    def reset(self) -> None:
        self.seen.clear()

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)

    def __len__(self) -> int:
        return len(self.seen)

    @property
    def in_transaction(self) -> list[Statement]:
        return [s for s in self.seen if not s.autocommit]
