"""Control characters (NUL and the like) in any text a request carries: every route answers
422 naming the field, on SQLite and on PostgreSQL (whose text columns cannot hold a NUL)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from hashdb.identity import Role
from tests.api.organisations import Deployment, Private
from tests.api.test_isolation_matrix import Call, calls

BAD = "zq\x00bad"


def _poisoned_json(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """``value`` with one string at a time poisoned, and that string's field name."""
    if isinstance(value, str):
        yield path, value + "\x00" if value else BAD
    elif isinstance(value, dict):
        for key, inner in value.items():
            for where, poisoned in _poisoned_json(inner, f"{path}.{key}" if path else key):
                yield where, {**value, key: poisoned}
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            for where, poisoned in _poisoned_json(inner, f"{path}.{index}" if path else str(index)):
                yield where, [*value[:index], poisoned, *value[index + 1 :]]


def _names(where: str) -> set[str]:
    """How an answer may name a field: its path (``hashes.0.note``) or its last name."""
    names = {where, re.sub(r"\.\d+$", "", where).rsplit(".", 1)[-1]}
    return names | ({"name"} if where == "list" else set())


def _variants(call: Call, made: Private) -> Iterator[tuple[str, Call]]:
    for where, params in _poisoned_json(call.params):
        yield where, replace(call, params=params)
    if call.json is not None:
        for where, body in _poisoned_json(call.json):
            yield where, replace(call, json=body)
    if made.list_name in call.path:
        yield "list", replace(call, path=call.path.replace(made.list_name, "zq%00bad"))
    for key, (filename, content) in (call.files or {}).items():
        if filename.endswith(".jsonl"):
            for line_no, line in enumerate(content.decode().splitlines()):
                for where, record in _poisoned_json(json.loads(line)):
                    lines = content.decode().splitlines()
                    lines[line_no] = json.dumps(record)
                    files = {key: (filename, ("\n".join(lines) + "\n").encode())}
                    yield where, replace(call, files=files)


def test_control_characters_are_refused_naming_the_field(
    orgs: Deployment, private: Private
) -> None:
    spec = orgs.client.get("/openapi.json").json()
    problems: list[str] = []
    for route, call in calls(spec, private):
        for where, variant in _variants(call, private):
            for caller in (orgs.operator, orgs.a[Role.PLATFORM]):
                response = variant.send(caller)
                label = f"{caller.label}: {route} {where}"
                if response.status_code >= 500:
                    problems.append(f"{label}: {response.status_code} {response.text[:200]}")
                elif response.status_code == 403 and caller is not orgs.operator:
                    continue  # the platform key may not call this route at all
                elif response.status_code != 422:
                    problems.append(f"{label}: {response.status_code} {response.text[:200]}")
                elif not any(field in response.text for field in _names(where)):
                    problems.append(f"{label}: 422 without the field: {response.text[:200]}")
    assert not problems, "\n".join(problems)
