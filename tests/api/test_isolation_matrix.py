"""Every route of the API, called by organisation B (each role, and without a key) against
organisation A's private objects: no answer may carry A's private data, and no call may change
A's objects.

The routes, their parameters and their bodies come from the app's OpenAPI schema, so a new
route is in the matrix at once; a parameter or body this module cannot fill fails the test
and asks to be taught here. Each request that names an object of A's (its private list, an
entry, a review item, a key) is sent a second time naming an object that does not exist: the
two answers must be the same, so an answer cannot tell a private object from a missing one.
The one allowed difference is creating a list under a name A has taken (409, naming neither
owner nor sharing): list names are one namespace.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from httpx import Response

from hashdb.identity import Role
from hashdb.store.models import PUBLIC_AUDIT_TARGETS
from hashdb.testing.images import jpeg
from tests.api.organisations import (
    ORG_A,
    ORG_B,
    TERM,
    Caller,
    Deployment,
    Private,
    snapshot,
)

MISSING_ID = 10**9
_phantoms = itertools.count(1)


@dataclass(frozen=True)
class Call:
    """One request shape of one operation."""

    method: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    files: dict[str, tuple[str, bytes]] | None = None
    #: Creates a list under the names it carries: A's taken name answers 409.
    creates_list: bool = False

    def text(self) -> str:
        parts = [self.path, json.dumps(self.params), json.dumps(self.json)]
        for _, content in (self.files or {}).values():
            parts.append(content.decode("latin-1"))
        return "\n".join(parts)

    def send(self, caller: Caller) -> Response:
        return caller.request(
            self.method, self.path, params=self.params, json=self.json, files=self.files
        )

    def names(self, made: Private) -> bool:
        """Whether this request names one of A's objects (so it has a phantom twin)."""
        return made.list_name in self.text() or _unnamed(self.path, made)[1] is not None

    def phantom(self, made: Private) -> tuple[Call, dict[str, str]]:
        """The same request naming objects that do not exist, and how to map its answer
        back onto A's names."""
        name = f"zq-phantom-{next(_phantoms)}"
        path, real_id = _unnamed(self.path, made)
        back = {name: made.list_name}
        if real_id is not None:
            back[str(MISSING_ID)] = str(real_id)

        def swap(value: Any) -> Any:
            return json.loads(json.dumps(value).replace(made.list_name, name))

        files = None
        if self.files is not None:
            files = {
                key: (filename, content.replace(made.list_name.encode(), name.encode()))
                for key, (filename, content) in self.files.items()
            }
        twin = replace(
            self,
            path=path.replace(made.list_name, name),
            params=swap(self.params),
            json=swap(self.json),
            files=files,
        )
        return twin, back


def _unnamed(path: str, made: Private) -> tuple[str, int | None]:
    """``path`` with the id of A's entry, item, review item or key replaced by one that does
    not exist, and the id it replaced (None: the path names no id of A's)."""
    ids = {
        "entries": made.entry_ids[0],
        "items": made.media_item,
        "review": made.pending_item,
        "keys": made.made_key,
    }
    for collection, found in ids.items():
        pattern = rf"/{collection}/{found}(?=/|$)"
        if re.search(pattern, path):
            return re.sub(pattern, f"/{collection}/{MISSING_ID}", path), found
    return path, None


# --- filling in what the schema asks for ------------------------------------------------------


def _path_values(made: Private, template: str) -> dict[str, str]:
    """Path parameters aimed at A's objects (``item_id`` names a media item under
    ``/v1/items``, a review item under ``/v1/review``)."""
    item = made.media_item if template.startswith("/v1/items/") else made.pending_item
    return {
        "name": made.list_name,
        "entry_id": str(made.entry_ids[0]),
        "item_id": str(item),
        "key_id": str(made.made_key),
        "label": TERM,
    }


def _query_values(made: Private) -> dict[str, Any]:
    """Values aimed at A's objects, for query parameters of these names."""
    return {
        "list": made.list_name,
        "lists": [made.list_name],
        "target_id": made.list_name,
        "label": "zq-a-label",
        "labels": [TERM],
        "hash": made.pdq,
        "scope": "entry",
    }


#: Query parameters that only shape an answer (a format, a page): left at their defaults.
_SHAPING = {
    "format",
    "since",
    "limit",
    "cursor",
    "include_retired",
    "status",
    "entries_only",
    "skip_bad",
    "force",
    "added_after",
    "target_type",
}


def _json_bodies(schema: str, made: Private) -> list[dict[str, Any]]:
    """Bodies B sends, by request schema: each aimed at A's objects where it can be."""
    fresh = "0f" * 31 + "a5"
    bodies: dict[str, list[dict[str, Any]]] = {
        "LookupRequest": [
            {"hashes": [{"algorithm": "pdq", "value": made.pdq}]},
            {"hashes": [{"algorithm": "pdq", "value": made.pdq}], "lists": [made.list_name]},
        ],
        "ListCreate": [{"name": made.list_name, "description": "zq-b"}],
        "ListUpdate": [{"description": "zq-b", "action": "allow"}],
        "HashesCreate": [{"hashes": [{"algorithm": "pdq", "value": fresh}], "note": "zq-b"}],
        "EntryUpdate": [{"label": "zq-b", "note": "zq-b"}],
        "ItemUpdate": [{"label": "zq-b", "note": "zq-b"}],
        "RetireRequest": [{"reason": "zq-b"}],
        "KeyCreate": [
            {"name": "zq-b-made", "role": "admin", "organisation": ORG_A},
            {"name": "zq-b-made", "role": "admin", "organisation": None},
            {"name": "zq-b-made", "role": "analyst"},
        ],
        "OrganisationIn": [{"name": "zq-b-org"}],
        "SharingIn": [
            {"sharing": "shared-write"},
            {"owner": ORG_B},
            {"review_radius": {"pdq": 40}},
        ],
        "VocabularyIn": [{"facet": "type", "values": ["zq-b-term"]}],
        "EntryLabelsIn": [{"add": [TERM]}],
        "ReviewConfirmIn": [{"note": "zq-b"}, {"list": "zq-b-list"}],
        "ReviewDismissIn": [{"note": "zq-b"}],
        "ReviewAllowIn": [{"list": "zq-b-allow"}, {"list": made.list_name}],
        "FeedbackIn": [{"verdict": "disagree", "reason": "zq-b"}],
    }
    if schema not in bodies:
        raise AssertionError(f"teach the isolation matrix a body of schema {schema}")
    return bodies[schema]


def _uploads(operation: str, made: Private) -> list[tuple[dict[str, tuple[str, bytes]], bool]]:
    """Multipart bodies by operation: (files, whether the upload creates a list)."""
    definition = {
        "record": "list",
        "name": made.list_name,
        "owner": ORG_B,
        "sharing": "shared-read",
    }
    row = {"algorithm": "md5", "hash": "1f" * 16, "list": made.list_name}
    claim = {
        "algorithm": "md5",
        "hash": "2e" * 16,
        "list": "zq-b-imported",
        "organisation": ORG_A,
        "added_by": "zq-a-analyst",
        "added_at": "2001-01-01T00:00:00+00:00",
    }
    uploads: dict[str, list[tuple[dict[str, tuple[str, bytes]], bool]]] = {
        "match_upload_v1_match_post": [({"file": ("a.jpg", made.image)}, False)],
        "add_media_v1_lists__name__media_post": [({"file": ("b.jpg", jpeg(202))}, False)],
        "import_file_v1_import_post": [
            ({"file": ("defines.jsonl", _jsonl(definition, row))}, True),
            ({"file": ("rows.jsonl", _jsonl(row))}, True),
            ({"file": ("claims.jsonl", _jsonl(claim))}, False),
        ],
    }
    if operation not in uploads:
        raise AssertionError(f"teach the isolation matrix an upload for {operation}")
    return uploads[operation]


def _jsonl(*records: dict[str, Any]) -> bytes:
    lines = [json.dumps({k: v for k, v in record.items() if v is not None}) for record in records]
    return ("\n".join(lines) + "\n").encode()


def calls(spec: dict[str, Any], made: Private) -> Iterator[tuple[str, Call]]:
    """Every operation of the schema, as the request shapes B tries."""
    queries = _query_values(made)
    for template, operations in spec["paths"].items():
        paths = _path_values(made, template)
        for method, operation in operations.items():
            label = f"{method.upper()} {template}"
            path, aimed = template, {}
            for parameter in operation.get("parameters", []):
                name, where = parameter["name"], parameter["in"]
                if where == "path":
                    if name not in paths:
                        raise AssertionError(f"teach the isolation matrix path parameter {name}")
                    path = path.replace(f"{{{name}}}", paths[name])
                elif name in queries:
                    aimed[name] = queries[name]
                elif name not in _SHAPING:
                    raise AssertionError(f"teach the isolation matrix query parameter {name}")
            shapes = [{}, aimed] if aimed else [{}]
            content = operation.get("requestBody", {}).get("content", {})
            base = Call(method.upper(), path)
            if "application/json" in content:
                schema = content["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
                for body in _json_bodies(schema, made):
                    creates = schema == "ListCreate"
                    for params in shapes:
                        yield label, replace(base, params=params, json=body, creates_list=creates)
            elif "multipart/form-data" in content:
                for files, creates in _uploads(operation["operationId"], made):
                    for params in shapes:
                        taken = creates or (template == "/v1/import" and "list" in params)
                        yield label, replace(base, params=params, files=files, creates_list=taken)
            else:
                for params in shapes:
                    yield label, replace(base, params=params)


def _leaks(orgs: Deployment, response: Response, call: Call, made: Private) -> list[str]:
    """A's secrets in the answer, besides what the caller itself sent (or its upload's own
    hashes) and what the deployment shows everyone (its organisations)."""
    answer = _private_part(response) + "\n"
    answer += "\n".join(f"{key}: {value}" for key, value in response.headers.items())
    asked = call.text()
    for filename, content in (call.files or {}).values():
        if filename.endswith(".jpg"):
            asked += " ".join(digest.hex for digest in orgs.hub.media.hash_bytes(content).digests)
    return sorted(secret for secret in made.secrets if secret not in asked and secret in answer)


def _private_part(response: Response) -> str:
    """The answer without the records every caller may read: the organisations, and the
    audit records about the vocabulary and the organisations."""
    path = response.request.url.path
    if path == "/v1/organisations":
        return ""
    if path == "/v1/audit" and response.status_code == 200:
        records = [r for r in response.json() if r["target_type"] not in PUBLIC_AUDIT_TARGETS]
        return json.dumps(records)
    return response.text


def _same(mine: Response, twin: Response, back: dict[str, str]) -> bool:
    """Whether the twin's answer, with the phantom names mapped back, is ``mine``."""
    text = twin.text
    for phantom, real in back.items():
        text = text.replace(phantom, real)
    return mine.status_code == twin.status_code and _json(mine.text) == _json(text)


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def test_no_organisation_reads_or_changes_anothers_private_objects(
    orgs: Deployment,
    private: Private,
) -> None:
    spec = orgs.client.get("/openapi.json").json()
    all_calls = list(calls(spec, private))
    routes = {route for route, _ in all_calls}
    assert len(routes) == sum(len(operations) for operations in spec["paths"].values())

    # The secrets are real: A and the operator can read every one of them somewhere.
    seen = ""
    for caller in (*orgs.a.values(), orgs.operator):
        for route, call in all_calls:
            if call.method == "GET" and "{" not in route and route != "GET /metrics":
                seen += call.send(caller).text
        seen += caller.get("/v1/review", params={"status": "all"}).text
    assert {secret for secret in private.secrets if secret not in seen} == set()

    problems: list[str] = []
    state = snapshot(orgs, private)
    for route, call in all_calls:
        for caller in orgs.outsiders():
            where = f"{caller.label}: {route} {call.params or ''} {call.json or ''}"
            response = call.send(caller)
            if response.status_code >= 500:
                problems.append(f"{where}: {response.status_code} {response.text[:200]}")
            leaked = _leaks(orgs, response, call, private)
            if leaked:
                problems.append(f"{where}: the answer holds A's {leaked}: {response.text[:300]}")
            after = snapshot(orgs, private)
            if after != state:
                problems.append(f"{where}: changed A's objects ({response.status_code})")
                state = after
            if not call.names(private):
                continue
            if call.creates_list and response.status_code == 409:
                body = response.text
                if ORG_A in body or "private" in body or private.list_name not in body:
                    problems.append(f"{where}: a taken name answers {body}")
                continue
            twin, back = call.phantom(private)
            other = twin.send(caller)
            if not _same(response, other, back):
                problems.append(
                    f"{where}: tells A's object from a missing one: "
                    f"{response.status_code} {response.text[:200]} / "
                    f"{other.status_code} {other.text[:200]}"
                )
            state = snapshot(orgs, private)  # the twin may make B's own objects
    assert not problems, "\n".join(problems)


def test_the_matrix_knows_every_kind_of_caller(orgs: Deployment) -> None:
    """B's callers cover every role and no key; the operator key is nobody's organisation."""
    assert {caller.organisation for caller in orgs.outsiders()} == {ORG_B, None}
    assert set(orgs.b) == set(Role)
    assert orgs.principal(orgs.operator).is_operator
