"""Two organisations on one deployment, each with a real key of every role, an operator key,
and the private objects the first organisation makes through the API.

``zqorga`` and ``zqorgb`` (and every ``zq-a-…`` string) are spelled so that no other text of an
answer contains them by chance: a test finds a leak by searching an answer for them.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from api.app import create_app
from hashdb.hashing import Digest
from hashdb.identity import LOCAL_OPERATOR, Principal, Role
from hashdb.service import HashDB
from hashdb.settings import Settings
from hashdb.store.models import EntryQuery, ItemQuery
from hashdb.testing.images import jpeg

ORG_A = "zqorga"
ORG_B = "zqorgb"
#: A term of the deployment's vocabulary, made by the operator.
TERM = "type:zq-term"


@dataclass(frozen=True)
class Caller:
    """The test client, sending one API key (or none) with every request."""

    client: TestClient
    key: str | None
    label: str
    organisation: str | None = None

    def request(self, method: str, url: str, **kwargs: Any) -> Response:
        headers = {} if self.key is None else {"Authorization": f"Bearer {self.key}"}
        response: Response = self.client.request(method, url, headers=headers, **kwargs)
        return response

    def get(self, url: str, **kwargs: Any) -> Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> Response:
        return self.request("PUT", url, **kwargs)


@dataclass(frozen=True)
class Deployment:
    hub: HashDB
    client: TestClient
    operator: Caller
    a: dict[Role, Caller]
    b: dict[Role, Caller]
    anonymous: Caller

    def outsiders(self) -> list[Caller]:
        """Everyone who must never read or change organisation A's private objects."""
        return [*self.b.values(), self.anonymous]

    def principal(self, caller: Caller) -> Principal:
        assert caller.key is not None
        return self.hub.keys.authenticate(caller.key)


@dataclass
class Private:
    """What organisation A made, and every string of it that must not reach B."""

    list_name: str = "zq-a-hidden"
    list_id: int = 0
    entry_ids: list[int] = field(default_factory=list)
    #: The media item of the uploaded image.
    media_item: int = 0
    pending_item: int = 0
    made_key: int = 0
    pdq: str = ""
    image: bytes = b""
    secrets: set[str] = field(default_factory=set)


def deployment(db_url: str, **settings: Any) -> Iterator[Deployment]:
    hub = HashDB(Settings(db=db_url, refresh_interval=0, **settings))
    hub.organisations.create(ORG_A, principal=LOCAL_OPERATOR)
    hub.organisations.create(ORG_B, principal=LOCAL_OPERATOR)
    facet, value = TERM.split(":")
    hub.labels.add_terms(facet, [value], principal=LOCAL_OPERATOR)

    def key(name: str, role: Role, organisation: str | None) -> str:
        return hub.keys.create(name, role, organisation=organisation, principal=LOCAL_OPERATOR).key

    with TestClient(create_app(service=hub)) as client:

        def callers(letter: str, organisation: str) -> dict[Role, Caller]:
            return {
                role: Caller(
                    client,
                    key(f"zq-{letter}-{role.value}", role, organisation),
                    f"{organisation} {role.value}",
                    organisation,
                )
                for role in Role
            }

        yield Deployment(
            hub=hub,
            client=client,
            operator=Caller(client, key("zq-operator", Role.ADMIN, None), "operator"),
            a=callers("a", ORG_A),
            b=callers("b", ORG_B),
            anonymous=Caller(client, None, "no key"),
        )
    hub.close()


def _flip(value: bytes, bits: int) -> bytes:
    number = int.from_bytes(value, "big")
    for bit in random.Random(bits).sample(range(len(value) * 8), bits):
        number ^= 1 << bit
    return number.to_bytes(len(value), "big")


def _ok(response: Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def make_private(orgs: Deployment) -> Private:
    """Organisation A's private list with entries, feedback, review items, an import and a
    new key, all made through the API with A's keys (queueing near-misses has no route: the
    service is called as A's platform key)."""
    analyst, platform, admin = orgs.a[Role.ANALYST], orgs.a[Role.PLATFORM], orgs.a[Role.ADMIN]
    made = Private(image=jpeg(101))
    name = made.list_name
    body = {"name": name, "description": "zq-a-description"}
    _ok(analyst.post("/v1/lists", json=body), 201)
    made.list_id = orgs.hub.store.get_list(name).id
    sharing = {"sharing": "private", "review_radius": {"pdq": 70}}
    _ok(analyst.put(f"/v1/lists/{name}/sharing", json=sharing))
    form = {"label": "zq-a-label", "note": "zq-a-note"}
    upload = {"file": ("a.jpg", made.image)}
    report = _ok(analyst.post(f"/v1/lists/{name}/media", files=upload, data=form), 201)
    made.entry_ids = [item["entry_id"] for item in report["added"]]
    (made.media_item,) = report["item_ids"]
    made.pdq = next(item["hash"] for item in report["added"] if item["algorithm"] == "pdq")
    partner = random.Random(7).randbytes(32).hex()
    hashes = {"hashes": [{"algorithm": "pdq", "value": partner}], "note": "zq-a-partner-note"}
    report = _ok(analyst.post(f"/v1/lists/{name}/hashes", json=hashes), 201)
    made.entry_ids += [item["entry_id"] for item in report["added"]]

    feedback = {"verdict": "disagree", "reason": "zq-a-reason"}
    _ok(platform.post(f"/v1/entries/{made.entry_ids[0]}/feedback", json=feedback), 201)
    near = [
        _flip(bytes.fromhex(made.pdq), bits) for bits in (45, 55)
    ]  # beyond the threshold (31), within the review radius (70)
    for value in near:
        result = orgs.hub.matching.digests(
            [Digest("pdq", value, 90)], principal=orgs.principal(platform)
        )
        assert result.review_items, "the near-miss was not queued"
    items = _ok(analyst.get("/v1/review", params={"list": name}))
    made.pending_item, dismissed = items[0]["id"], items[1]["id"]
    _ok(analyst.post(f"/v1/review/{dismissed}/dismiss", json={"note": "zq-a-review-note"}))

    created = _ok(admin.post("/v1/keys", json={"name": "zq-a-made-key", "role": "platform"}), 201)
    made.made_key = created["id"]
    row = {"algorithm": "md5", "hash": random.Random(8).randbytes(16).hex(), "label": "zq-a-csv"}
    csv = "algorithm,hash,label\n{algorithm},{hash},{label}\n".format(**row)
    imported = analyst.post(
        "/v1/import", params={"list": name}, files={"file": ("zq-a-import.csv", csv.encode())}
    )
    _ok(imported)
    # A's platform matches its own list, so that counters (metrics) have seen it.
    assert _ok(platform.post("/v1/match", files={"file": ("a.jpg", made.image)}))["matched"]
    lookup = {"hashes": [{"algorithm": "pdq", "value": made.pdq}]}
    assert _ok(platform.post("/v1/lookup", json=lookup))["results"][0]["matched"]

    store = orgs.hub.store
    entries = store.search_entries(EntryQuery(list_ids=frozenset({made.list_id}), limit=1000))
    made.secrets = {
        ORG_A,
        name,
        "zq-a-description",
        "zq-a-label",
        "zq-a-note",
        "zq-a-partner-note",
        "zq-a-reason",
        "zq-a-review-note",
        "zq-a-made-key",
        "zq-a-csv",
        "zq-a-import.csv",
        created["prefix"],
        *(entry.hex for entry in entries),
        *(value.hex() for value in near),
        *(f"zq-a-{role.value}" for role in Role),
        *(caller.key[:12] for caller in orgs.a.values() if caller.key),
    }
    return made


def snapshot(orgs: Deployment, made: Private) -> str:
    """Everything of A's, and of the deployment's, that B must not change, as text."""
    store = orgs.hub.store
    settings = store.all_list_settings()
    owned = {list_id: found.owner for list_id, found in settings.items()}
    state = {
        "lists": [
            [hash_list.to_dict(), store.list_settings(hash_list.id).to_dict()]
            for hash_list in sorted(store.lists(), key=lambda found: found.id)
            if owned.get(hash_list.id) != ORG_B
        ],
        "entries": [
            entry.to_dict()
            for entry in store.search_entries(
                EntryQuery(list_ids=frozenset({made.list_id}), limit=1000)
            )
        ],
        "items": [
            item.to_dict()
            for item in store.search_items(
                ItemQuery(list_ids=frozenset({made.list_id}), limit=1000)
            )
        ],
        "review": [
            item.to_dict()
            for item in store.review_items(status=None, list_ids={made.list_id}, limit=1000)
        ],
        "feedback": {
            entry_id: [given.to_dict() for given in found]
            for entry_id, found in store.feedback_for(made.entry_ids).items()
        },
        "keys": [key.to_dict() for key in store.list_keys() if key.organisation != ORG_B],
        "vocabulary": [term.to_dict() for term in store.vocabulary()],
        "organisations": [organisation.to_dict() for organisation in store.organisations()],
    }
    return json.dumps(state, sort_keys=True, default=str)
