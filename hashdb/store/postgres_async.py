"""Reads an asyncio event loop awaits on PostgreSQL, over a few connections of its own.

A lookup that matched reads the entries that explain its matches. Handed to a worker thread,
that read cost about as much again in the hop there and back as the read itself (two
wake-ups of threads, and on a busy machine each waits for a core: 0.3 to 0.7 ms, against
0.2 ms for the read). Awaited on the event loop, the read waits on the network without
holding up any other request, and no thread is woken.

The connections belong to the event loop that opened them (a server worker has one loop);
SQLAlchemy's pool is for threads and is not used here. At most :data:`CONNECTIONS` per loop:
a request past that waits its turn, as it would for a pooled connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from psycopg.rows import namedtuple_row

from hashdb.errors import StoreUnavailable

#: Connections one event loop reads over at once.
CONNECTIONS = 4


class AsyncReads:
    """Statements that stand alone (autocommit), run on the calling event loop."""

    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._loops: dict[asyncio.AbstractEventLoop, _LoopConnections] = {}

    async def rows(self, sql: str, params: Mapping[str, Any]) -> Sequence[Any]:
        """The rows of one statement, as named tuples; :class:`StoreUnavailable` when the
        database cannot be reached."""
        mine = self._here()
        async with mine.turns:
            idle = mine.idle.pop() if mine.idle else None
            if idle is not None:
                try:
                    return await _use(idle, mine, sql, params)
                except psycopg.OperationalError:
                    pass  # dropped while idle (a database restart): once more, on a new one
            try:
                connection = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
                return await _use(connection, mine, sql, params)
            except psycopg.OperationalError as exc:
                raise StoreUnavailable(f"database error: {exc}") from None

    def close(self) -> None:
        """Close the idle connections (from any thread: no loop is needed to hang up)."""
        for connections in list(self._loops.values()):
            connections.close()

    def _here(self) -> _LoopConnections:
        loop = asyncio.get_running_loop()
        mine = self._loops.get(loop)
        if mine is None:
            # A new loop (a test's, or a worker's after the fork): the connections of loops
            # that have closed since can no longer be used.
            for other, theirs in list(self._loops.items()):
                if other.is_closed():
                    theirs.close()
                    self._loops.pop(other, None)
            mine = self._loops[loop] = _LoopConnections()
        return mine


class _LoopConnections:
    def __init__(self) -> None:
        self.idle: list[psycopg.AsyncConnection[Any]] = []
        self.turns = asyncio.Semaphore(CONNECTIONS)

    def close(self) -> None:
        idle, self.idle = self.idle, []
        for connection in idle:
            connection.pgconn.finish()


async def _use(
    connection: psycopg.AsyncConnection[Any],
    home: _LoopConnections,
    sql: str,
    params: Mapping[str, Any],
) -> Sequence[Any]:
    try:
        async with connection.cursor(row_factory=namedtuple_row) as cursor:
            await cursor.execute(sql, params)
            rows = await cursor.fetchall()
    except BaseException:
        # Failed, or cancelled half way (the client went away): its state is unknown.
        connection.pgconn.finish()
        raise
    home.idle.append(connection)
    return rows
