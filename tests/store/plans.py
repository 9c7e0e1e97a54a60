"""What PostgreSQL plans for the statements a store call runs: custom plans (the values
known), and the generic plan a prepared statement settles on after a few executions."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from typing import Any

import psycopg
import sqlalchemy as sa

from hashdb.store import Store

_PARAMETER = re.compile(r"%\((\w+)\)s")
_EXPLAINABLE = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


def statements(store: Store, call: Any) -> list[tuple[str, Any]]:
    """Every statement (with its parameters) that ``call`` runs through SQLAlchemy, in this
    thread (not the store's background work)."""
    captured: list[tuple[str, Any]] = []
    engine: sa.Engine = store.engine  # type: ignore[attr-defined]
    caller = threading.get_ident()

    def capture(_c: Any, _cursor: Any, statement: str, params: Any, *_rest: Any) -> None:
        if threading.get_ident() == caller:
            captured.append((statement, params))

    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        call()
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    return captured


def _explained(value: Any) -> dict[str, Any]:
    return dict((value if isinstance(value, list) else json.loads(value))[0]["Plan"])


def plans(store: Store, call: Any) -> list[dict[str, Any]]:
    """The PostgreSQL plan of every statement ``call`` runs, as EXPLAIN (FORMAT JSON) says."""
    engine: sa.Engine = store.engine  # type: ignore[attr-defined]
    found = []
    with engine.connect() as connection:
        for statement, params in statements(store, call):
            verb = statement.lstrip().upper()
            if verb.startswith("SELECT 1") or not verb.startswith(_EXPLAINABLE):
                continue  # the pool's liveness check, SET, NOTIFY
            found.append(explain(connection, statement, params))
    return found


def explain(connection: sa.Connection, statement: str, params: Any) -> dict[str, Any]:
    """The plan of ``statement`` with its values, as EXPLAIN (FORMAT JSON) says."""
    explained = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", params)
    return _explained(explained.scalar_one())


def generic_plan(engine: sa.Engine, statement: str, params: dict[str, Any]) -> dict[str, Any]:
    """The plan PostgreSQL keeps for ``statement`` once prepared and planned without its
    values (what psycopg's prepared statements run after their first executions)."""
    names: list[str] = []

    def numbered(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    prepared = _PARAMETER.sub(numbered, statement)
    with engine.connect() as connection:
        driver: Any = connection.connection.driver_connection
        driver.execute("SET plan_cache_mode = force_generic_plan")
        driver.execute(f"PREPARE generic_probe AS {prepared}")
        arguments = ", ".join(["%s"] * len(names))
        with psycopg.ClientCursor(driver) as cursor:  # the values as literals: EXECUTE's own
            explained = cursor.execute(
                f"EXPLAIN (FORMAT JSON) EXECUTE generic_probe({arguments})",
                [params[name] for name in names],
            ).fetchone()[0]
        driver.execute("DEALLOCATE generic_probe")
        driver.execute("RESET plan_cache_mode")
        connection.rollback()
    return _explained(explained)


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)
