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
        self._loop: asyncio.AbstractEventLoop | None = None
        self._idle: list[psycopg.AsyncConnection[Any]] = []
        self._turns: asyncio.Semaphore | None = None

    async def rows(self, sql: str, params: Mapping[str, Any]) -> Sequence[Any]:
        """The rows of one statement, as named tuples; :class:`StoreUnavailable` when the
        database cannot be reached."""
        async with self._turns_here():
            idle = self._idle.pop() if self._idle else None
            if idle is not None:
                try:
                    return await self._use(idle, sql, params)
                except psycopg.OperationalError:
                    pass  # dropped while idle (a database restart): once more, on a new one
            try:
                return await self._use(await self._connect(), sql, params)
            except psycopg.OperationalError as exc:
                raise StoreUnavailable(f"database error: {exc}") from None

    def close(self) -> None:
        """Close the idle connections (from any thread: no loop is needed to hang up)."""
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.pgconn.finish()

    def _turns_here(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if loop is not self._loop or self._turns is None:
            # Another loop (a test's, after the last one closed): the old one's connections
            # cannot be awaited here.
            self.close()
            self._loop, self._turns = loop, asyncio.Semaphore(CONNECTIONS)
        return self._turns

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        return await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)

    async def _use(
        self, connection: psycopg.AsyncConnection[Any], sql: str, params: Mapping[str, Any]
    ) -> Sequence[Any]:
        try:
            async with connection.cursor(row_factory=namedtuple_row) as cursor:
                await cursor.execute(sql, params)
                rows = await cursor.fetchall()
        except BaseException:
            # Failed, or cancelled half way (the client went away): its state is unknown.
            connection.pgconn.finish()
            raise
        self._idle.append(connection)
        return rows
