"""One test per isolation rule of docs/security.md, with real keys of two organisations on the
real app, on SQLite and on PostgreSQL: the audit log, the two kinds of administrator, the
provenance of imported entries, metrics, the answers about private lists, and revocation."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from api.app import create_app
from hashdb.errors import Unauthorized
from hashdb.identity import LOCAL_OPERATOR, Role
from hashdb.service import HashDB
from hashdb.settings import Settings
from hashdb.store.models import EntryQuery
from tests.api.organisations import (
    ORG_A,
    ORG_B,
    Caller,
    Deployment,
    Private,
    deployment,
)

# --- the audit log ------------------------------------------------------------------------


def _audit(caller: Caller, **params: Any) -> list[dict[str, Any]]:
    response = caller.get("/v1/audit", params={"limit": 1000, **params})
    assert response.status_code == 200, response.text
    records: list[dict[str, Any]] = response.json()
    return records


def test_the_audit_log_shows_each_reader_only_what_it_may_see(
    orgs: Deployment,
    private: Private,
) -> None:
    b_key = orgs.b[Role.ADMIN].post("/v1/keys", json={"name": "zq-b-made", "role": "analyst"})
    assert b_key.status_code == 201
    for caller in (orgs.b[Role.ANALYST], orgs.b[Role.ADMIN]):
        for params in ({}, {"target_type": "list", "target_id": private.list_name}):
            records = _audit(caller, **params)
            text = json.dumps(records)
            assert [secret for secret in private.secrets - {ORG_A} if secret in text] == []
            # A's name is in the record of its creation only: the organisations are public.
            named = [record["target_type"] for record in records if ORG_A in json.dumps(record)]
            assert set(named) <= {"organisation"}
    assert orgs.b[Role.PLATFORM].get("/v1/audit").status_code == 403

    # A's analyst reads the history of A's list, its entries, feedback, review and import...
    mine = _audit(orgs.a[Role.ANALYST])
    actions = {record["action"] for record in mine}
    assert {
        "list.create",
        "list.settings",
        "entry.add",
        "entry.feedback",
        "review.dismissed",
        "entries.import",
    } <= actions
    assert {record["target_type"] for record in mine} == {
        "list",
        "entry",
        "review",
        "import",
        "organisation",
        "vocabulary",
    }
    # ...and its admin also the records of A's keys, never those of B's or of no organisation.
    keys = _audit(orgs.a[Role.ADMIN], target_type="key")
    assert keys and {record["after"]["organisation"] for record in keys} == {ORG_A}
    assert "zq-a-made-key" in json.dumps(keys)
    # The operator reads everything.
    every = _audit(orgs.operator, target_type="key")
    assert {record["after"]["organisation"] for record in every} == {ORG_A, ORG_B, None}


def test_audit_records_without_a_scope_are_the_operators(
    orgs: Deployment,
    private: Private,
) -> None:
    """A record from before records were stamped (or one a future change forgets to stamp)
    says nothing of whom it concerns: only an operator reads it."""
    orgs.hub.store.record_audit(
        "someone", "entry.update", "entry", str(private.entry_ids[0]), after={"note": "zq-old"}
    )
    assert "zq-old" in json.dumps(_audit(orgs.operator))
    for caller in (orgs.a[Role.ADMIN], orgs.b[Role.ANALYST], orgs.b[Role.ADMIN]):
        assert "zq-old" not in json.dumps(_audit(caller))


def test_a_deleted_lists_history_stays_with_it(orgs: Deployment) -> None:
    """SQLite gives a new list the id of a deleted one: its readers do not inherit the old
    list's history (PostgreSQL never reuses an id; the rule holds there too)."""
    operator, b_analyst = orgs.operator, orgs.b[Role.ANALYST]
    old = operator.post("/v1/lists", json={"name": "zq-old", "description": "zq-old-words"})
    assert old.status_code == 201
    old_id = orgs.hub.store.get_list("zq-old").id
    assert operator.request("DELETE", "/v1/lists/zq-old").status_code == 204
    new = b_analyst.post("/v1/lists", json={"name": "zq-b-new"})
    assert new.status_code == 201
    if orgs.hub.store.engine.dialect.name == "sqlite":
        assert orgs.hub.store.get_list("zq-b-new").id == old_id
    assert "zq-old-words" not in json.dumps(_audit(b_analyst))
    assert "zq-old-words" in json.dumps(_audit(operator))


# --- operators and organisation admins --------------------------------------------------------


def test_an_organisation_admin_manages_its_own_organisations_keys_only(
    orgs: Deployment,
    private: Private,
) -> None:
    b_admin = orgs.b[Role.ADMIN]
    refused = b_admin.post("/v1/keys", json={"name": "x", "role": "admin", "organisation": ORG_A})
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    # A key of no organisation it cannot make: naming none makes one of its organisation.
    for body in ({"name": "zq-b-made", "role": "admin"}, {"name": "x", "organisation": None}):
        own = b_admin.post("/v1/keys", json={"role": "admin", **body})
        assert own.status_code == 201 and own.json()["organisation"] == ORG_B
    listed = b_admin.get("/v1/keys").json()
    assert {key["organisation"] for key in listed} == {ORG_B}
    assert "zq-b-made" in {key["name"] for key in listed}
    # Another organisation's key is not found, exactly like a key that does not exist.
    theirs = b_admin.post(f"/v1/keys/{private.made_key}/revoke")
    missing = b_admin.post("/v1/keys/999999/revoke")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["detail"] == f"no API key with id {private.made_key}"
    assert orgs.b[Role.ANALYST].get("/v1/keys").status_code == 403
    # Its own organisation's keys it revokes; the key stops working.
    revoked = b_admin.post(f"/v1/keys/{own.json()['id']}/revoke")
    assert revoked.status_code == 200
    assert Caller(orgs.client, own.json()["key"], "").get("/v1/keys").status_code == 401
    # The operator makes keys of any organisation and of none, and lists them all.
    made = orgs.operator.post("/v1/keys", json={"name": "zq-deploy", "role": "analyst"})
    assert made.status_code == 201 and made.json()["organisation"] is None
    everyone = {key["organisation"] for key in orgs.operator.get("/v1/keys").json()}
    assert everyone == {ORG_A, ORG_B, None}


def test_only_operators_change_the_vocabulary_and_the_organisations(
    orgs: Deployment,
) -> None:
    for caller in (orgs.a[Role.ADMIN], orgs.b[Role.ADMIN]):
        assert caller.post("/v1/labels", json={"facet": "t", "values": ["x"]}).status_code == 403
        assert caller.request("DELETE", "/v1/labels/type:zq-term").status_code == 403
        assert caller.post("/v1/organisations", json={"name": "zq-new"}).status_code == 403
    operator = orgs.operator
    assert operator.post("/v1/labels", json={"facet": "t", "values": ["x"]}).status_code == 200
    assert operator.post("/v1/organisations", json={"name": "zq-new"}).status_code == 201


def test_a_deployment_key_sees_every_list_but_runs_nothing_of_the_deployment(
    orgs: Deployment, private: Private
) -> None:
    """An analyst key of no organisation (the deployment's staff; only operators make one)
    reads and writes every list, and is still not an operator."""
    made = orgs.operator.post("/v1/keys", json={"name": "zq-staff", "role": "analyst"})
    staff = Caller(orgs.client, made.json()["key"], "staff")
    assert staff.get(f"/v1/lists/{private.list_name}").status_code == 200
    assert staff.post("/v1/keys", json={"name": "x", "role": "platform"}).status_code == 403
    assert staff.post("/v1/labels", json={"facet": "t", "values": ["x"]}).status_code == 403
    assert staff.post("/v1/organisations", json={"name": "zq-new"}).status_code == 403
    handed = staff.put(f"/v1/lists/{private.list_name}/sharing", json={"owner": ORG_B})
    assert handed.status_code == 403
    assert orgs.b[Role.ANALYST].get(f"/v1/lists/{private.list_name}").status_code == 404
    assert [record["target_type"] for record in _audit(staff, target_type="key")] == []


# --- provenance of imported entries ---------------------------------------------------------

_CLAIMS = {
    "organisation": ORG_A,
    "added_by": "zq-a-analyst",
    "added_at": "2001-01-01T00:00:00+00:00",
}


def _import(caller: Caller, *records: dict[str, Any]) -> dict[str, Any]:
    body = "".join(json.dumps(record) + "\n" for record in records).encode()
    response = caller.post("/v1/import", files={"file": ("claims.jsonl", body)})
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def test_an_import_records_its_entries_as_the_importers(orgs: Deployment) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)
    live = {"algorithm": "md5", "hash": "3c" * 16, "list": "zq-b-list", **_CLAIMS}
    retired = {
        **live,
        "hash": "4d" * 16,
        "retired_at": "2002-01-01T00:00:00+00:00",
        "retired_reason": "old",
        "retired_by": "zq-a-analyst",
    }
    _import(orgs.b[Role.ANALYST], live, retired)
    found = orgs.hub.store.search_entries(EntryQuery(list_name="zq-b-list"))
    assert len(found) == 2
    for entry in found:
        assert (entry.organisation, entry.added_by) == (ORG_B, "zq-b-analyst")
        assert entry.added_at >= before
    (gone,) = [entry for entry in found if entry.retired_at is not None]
    assert gone.retired_by == "zq-b-analyst" and gone.retired_reason == "old"
    # Importing the same file again changes nothing.
    assert _import(orgs.b[Role.ANALYST], live, retired)["created"] == 0
    # The file's claims are kept in the import's audit record, for the importer.
    (record,) = _audit(orgs.b[Role.ANALYST], target_type="import")
    assert record["after"]["provenance_in_file"]["organisation"] == [ORG_A]
    assert "zq-a-analyst" in record["after"]["provenance_in_file"]["added_by"]
    # A's analyst never sees B's import, nor the claims made in A's name.
    assert _audit(orgs.a[Role.ANALYST], target_type="import") == []


def test_a_plain_csv_import_records_its_entries_as_the_importers(orgs: Deployment) -> None:
    """Big plain files (algorithm, hash, label, list) take the column-at-a-time path: its
    entries are the importer's too."""
    rows = "".join(f"md5,{index:032x},zq-csv,zq-b-plain\n" for index in range(1, 6))
    body = ("algorithm,hash,label,list\n" + rows).encode()
    response = orgs.b[Role.ANALYST].post("/v1/import", files={"file": ("plain.csv", body)})
    assert response.status_code == 200 and response.json()["created"] == 5, response.text
    found = orgs.hub.store.search_entries(EntryQuery(list_name="zq-b-plain"))
    assert {(entry.organisation, entry.added_by) for entry in found} == {(ORG_B, "zq-b-analyst")}


def test_an_operator_import_keeps_the_files_provenance(orgs: Deployment) -> None:
    live = {"algorithm": "md5", "hash": "5e" * 16, "list": "zq-synced", **_CLAIMS}
    _import(orgs.operator, live)
    (entry,) = orgs.hub.store.search_entries(EntryQuery(list_name="zq-synced"))
    assert (entry.organisation, entry.added_by) == (ORG_A, "zq-a-analyst")
    assert entry.added_at == datetime(2001, 1, 1, tzinfo=UTC)


def test_an_import_cannot_redefine_another_organisations_list(
    orgs: Deployment,
    private: Private,
) -> None:
    """A JSONL file defining A's private list is refused as a taken name, the answer a
    missing name would get from creating it: no owner, no sharing."""
    definition = {"record": "list", "name": private.list_name, "owner": ORG_B}
    body = (json.dumps(definition) + "\n").encode()
    response = orgs.b[Role.ANALYST].post("/v1/import", files={"file": ("d.jsonl", body)})
    assert response.status_code == 409, response.text
    assert response.json()["detail"] == f"a list named {private.list_name!r} already exists"
    rows = {"algorithm": "md5", "hash": "6f" * 16, "list": private.list_name}
    response = orgs.b[Role.ANALYST].post(
        "/v1/import", files={"file": ("r.jsonl", (json.dumps(rows) + "\n").encode())}
    )
    assert response.status_code == 409
    assert ORG_A not in response.text and "private" not in response.text


# --- answers about private lists ---------------------------------------------------------------

_MD5 = {"algorithm": "md5", "value": "7a" * 16}


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", "/v1/lists/{name}", None),
        ("PATCH", "/v1/lists/{name}", {"description": "x"}),
        ("DELETE", "/v1/lists/{name}", None),
        ("GET", "/v1/lists/{name}/sharing", None),
        ("PUT", "/v1/lists/{name}/sharing", {"sharing": "shared-write"}),
        ("POST", "/v1/lists/{name}/hashes", {"hashes": [_MD5]}),
        ("GET", "/v1/review?list={name}", None),
        ("GET", "/v1/export?list={name}", None),
        ("POST", "/v1/lookup", {"hashes": [_MD5], "lists": ["{name}"]}),
    ],
)
def test_a_private_list_is_answered_as_a_missing_one(
    orgs: Deployment,
    private: Private,
    method: str,
    url: str,
    body: dict[str, Any] | None,
) -> None:
    def ask(name: str) -> tuple[int, str]:
        content = None if body is None else json.loads(json.dumps(body).replace("{name}", name))
        response = orgs.b[Role.ANALYST].request(method, url.format(name=name), json=content)
        return response.status_code, response.text.replace(name, "NAME")

    status, text = ask(private.list_name)
    assert (status, text) == ask("zq-never-made")
    assert status == 404 and ORG_A not in text


def test_creating_a_taken_name_names_neither_owner_nor_sharing(
    orgs: Deployment,
    private: Private,
) -> None:
    b_analyst = orgs.b[Role.ANALYST]
    hidden = b_analyst.post("/v1/lists", json={"name": private.list_name})
    b_analyst.post("/v1/lists", json={"name": "zq-b-seen"})
    seen = b_analyst.post("/v1/lists", json={"name": "zq-b-seen"})
    assert hidden.status_code == seen.status_code == 409
    assert hidden.text.replace(private.list_name, "N") == seen.text.replace("zq-b-seen", "N")


# --- metrics ----------------------------------------------------------------------------------


def test_metrics_name_no_list(orgs: Deployment, private: Private) -> None:
    text = orgs.anonymous.get("/metrics").text
    assert private.list_name not in text
    assert 'hashdb_matches_total{action="block",algorithm="pdq"}' in text


@pytest.fixture
def guarded(sqlite_url: str) -> Iterator[Deployment]:
    yield from deployment(sqlite_url, metrics_require_key=True)


def test_metrics_can_require_a_key(guarded: Deployment) -> None:
    assert guarded.anonymous.get("/metrics").status_code == 401
    assert guarded.b[Role.PLATFORM].get("/metrics").status_code == 200


# --- revoking a key -----------------------------------------------------------------------------


def _refused_within(worker: HashDB, key: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            worker.keys.authenticate(key)
        except Unauthorized:
            return True
        time.sleep(0.01)
    return False


def test_a_revoked_key_is_refused_by_every_process_once_it_hears_of_a_change(
    db_url: str,
) -> None:
    """Two services over one database stand for two API workers, each trusting a checked key
    for an hour. The one that revokes the key refuses it at once; the other as soon as it
    learns the change sequence moved (PostgreSQL: notified on commit; SQLite: its next read,
    every refresh_interval), long before its cache time is up."""
    settings = Settings(db=db_url, auth_cache_seconds=3600, refresh_interval=0.05)
    revoking, other = HashDB(settings), HashDB(settings)
    try:
        made = revoking.keys.create("p", Role.PLATFORM, principal=LOCAL_OPERATOR)
        kept = revoking.keys.create("q", Role.PLATFORM, principal=LOCAL_OPERATOR)
        for worker in (revoking, other):
            worker.keys.authenticate(made.key)
        revoking.keys.revoke(made.record.id, principal=LOCAL_OPERATOR)
        with pytest.raises(Unauthorized, match="revoked"):
            revoking.keys.authenticate(made.key)
        assert _refused_within(other, made.key, 30)
        assert other.keys.authenticate(kept.key).name == "q"  # other keys keep working
    finally:
        revoking.close()
        other.close()


def test_with_refresh_interval_0_a_revocation_is_refused_everywhere_at_once(
    db_url: str,
) -> None:
    settings = Settings(db=db_url, auth_cache_seconds=3600, refresh_interval=0)
    revoking, other = HashDB(settings), HashDB(settings)
    try:
        made = revoking.keys.create("p", Role.PLATFORM, principal=LOCAL_OPERATOR)
        other.keys.authenticate(made.key)
        revoking.keys.revoke(made.record.id, principal=LOCAL_OPERATOR)
        with pytest.raises(Unauthorized, match="revoked"):
            other.keys.authenticate(made.key)
    finally:
        revoking.close()
        other.close()


def test_the_api_documents_how_fast_a_revocation_takes_effect(sqlite_url: str) -> None:
    spec = create_app(Settings(db=sqlite_url)).openapi()
    revoke = spec["paths"]["/v1/keys/{key_id}/revoke"]["post"]
    text = revoke["summary"] + revoke.get("description", "")
    assert "at once" not in revoke["summary"]
    for bound in ("HASHDB_REFRESH_INTERVAL", "HASHDB_AUTH_CACHE_SECONDS", "PostgreSQL"):
        assert bound in text
