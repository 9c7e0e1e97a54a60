"""Each list's matching mode decides which stages may match on it: ``exact`` only the same
bytes (MD5, SHA-256), ``hash`` also the upload's own perceptual hashes, ``robust`` also edited
copies confirmed geometrically. Every answer keeps saying which stage matched."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PIL import Image, ImageOps

from hashdb.errors import InvalidValue
from hashdb.hashing import Digest
from hashdb.identity import LOCAL_OPERATOR
from hashdb.matching.robust import variants
from hashdb.service import EntryMetadata, HashDB
from hashdb.settings import Settings
from hashdb.store.models import MatchingMode, NewList
from hashdb.testing import robustness as data

KNOWN = EntryMetadata(label="known", added_by="analyst")
LISTS = {mode: f"{mode.value}-list" for mode in MatchingMode}


@pytest.fixture
def picture() -> Image.Image:
    return data.draw_kind("photo", 31)


@pytest.fixture
def hub(db_url: str, picture: Image.Image) -> Iterator[HashDB]:
    """One list per mode, each holding the same known picture."""
    service = HashDB(Settings(db=db_url, refresh_interval=0))
    for mode, name in LISTS.items():
        service.lists.create(NewList(name, matching_mode=mode), LOCAL_OPERATOR)
        service.adding.media(name, data.encode(picture, 95), KNOWN, principal=LOCAL_OPERATOR)
    yield service
    service.close()


def _matched(hub: HashDB, upload: bytes, lists: list[str] | None = None) -> dict[str, set[str]]:
    """List -> the stages that matched on it."""
    found: dict[str, set[str]] = {}
    for match in hub.matching.media(upload, lists, principal=LOCAL_OPERATOR).matches:
        found.setdefault(match.list, set()).add(f"{match.stage.value}:{match.algorithm}")
    return found


def test_a_new_list_is_robust_and_the_mode_is_kept(hub: HashDB) -> None:
    assert hub.lists.create(NewList("plain"), LOCAL_OPERATOR).matching_mode is MatchingMode.ROBUST
    for mode, name in LISTS.items():
        assert hub.lists.get(name, LOCAL_OPERATOR).matching_mode is mode
        assert hub.lists.get(name, LOCAL_OPERATOR).to_dict()["matching_mode"] == mode.value


def test_the_same_bytes_match_every_mode(hub: HashDB, picture: Image.Image) -> None:
    found = _matched(hub, data.encode(picture, 95))
    assert found["exact-list"] == {"hash:md5", "hash:sha256"}
    assert "hash:pdq" in found["hash-list"] and "hash:sha256" in found["hash-list"]
    assert "hash:pdq" in found["robust-list"]


def test_a_re_encoded_copy_matches_by_pdq_but_not_an_exact_list(
    hub: HashDB, picture: Image.Image
) -> None:
    found = _matched(hub, data.encode(picture, 70))
    assert found == {"hash-list": {"hash:pdq"}, "robust-list": {"hash:pdq"}}


@pytest.mark.parametrize(
    "edit",
    [("mirror", "horizontal"), ("crop-corner", "25%"), ("rotate-90", "90")],
    ids=lambda edit: edit[0],
)
def test_an_edited_copy_matches_only_a_robust_list_geometrically(
    hub: HashDB, picture: Image.Image, edit: tuple[str, str]
) -> None:
    upload = data.transformed(picture, edit[0], edit[1], seed=5)
    assert _matched(hub, upload) == {"robust-list": {"geometric:pdq"}}


def test_a_hash_only_query_follows_the_modes_too(hub: HashDB, picture: Image.Image) -> None:
    pdq = next(
        digest
        for digest in hub.media.for_matching(data.encode(picture, 70)).hashes.digests
        if digest.algorithm == "pdq"
    )
    result = hub.matching.digests([pdq], principal=LOCAL_OPERATOR)
    assert {match.list for match in result.matches} == {"hash-list", "robust-list"}
    (looked_up,) = hub.matching.lookup([Digest("pdq", pdq.value)], principal=LOCAL_OPERATOR)
    assert {match.list for match in looked_up.matches} == {"hash-list", "robust-list"}


def test_an_exact_list_queues_no_perceptual_near_misses(hub: HashDB, picture: Image.Image) -> None:
    for name in ("exact-list", "hash-list"):
        hub.sharing.update(name, review_radius={"pdq": 80}, principal=LOCAL_OPERATOR)
    pdq = next(
        digest
        for digest in hub.media.for_matching(data.encode(picture, 95)).hashes.digests
        if digest.algorithm == "pdq"
    )
    flipped = bytes(byte ^ 0xFF if i < 5 else byte for i, byte in enumerate(pdq.value))
    result = hub.matching.digests(
        [Digest("pdq", flipped, 90)], ["exact-list", "hash-list"], principal=LOCAL_OPERATOR
    )
    assert result.matches == []
    queued = {item.list_name for item in hub.review.queue(LOCAL_OPERATOR)}
    assert queued == {"hash-list"}


def test_changing_the_mode_changes_what_matches(hub: HashDB, picture: Image.Image) -> None:
    mirrored = data.encode(ImageOps.mirror(picture), 90)
    assert set(_matched(hub, mirrored)) == {"robust-list"}
    hub.lists.update("robust-list", matching_mode=MatchingMode.HASH, principal=LOCAL_OPERATOR)
    assert _matched(hub, mirrored) == {}
    hub.lists.update("hash-list", matching_mode=MatchingMode.ROBUST, principal=LOCAL_OPERATOR)
    assert _matched(hub, mirrored) == {"hash-list": {"geometric:pdq"}}
    (change,) = [
        record
        for record in hub.audit.records(target_type="list", principal=LOCAL_OPERATOR)
        if record.action == "list.update" and record.target_id == "hash-list"
    ]
    assert change.before is not None and change.after is not None
    assert (change.before["matching_mode"], change.after["matching_mode"]) == ("hash", "robust")


def test_a_plain_match_a_mode_refuses_does_not_stop_the_robust_search(
    db_url: str, picture: Image.Image
) -> None:
    """The upload's PDQ matches an entry on an exact list (refused there); the robust stage
    must still look for the edited copy on the robust list."""
    hub = HashDB(Settings(db=db_url, refresh_interval=0))
    try:
        hub.lists.create(NewList("digests", matching_mode=MatchingMode.EXACT), LOCAL_OPERATOR)
        hub.adding.media("digests", data.encode(picture, 95), KNOWN, principal=LOCAL_OPERATOR)
        hub.adding.media(
            "edited",
            data.encode(ImageOps.mirror(picture), 95),
            KNOWN,
            principal=LOCAL_OPERATOR,
        )
        assert _matched(hub, data.encode(picture, 70)) == {"edited": {"geometric:pdq"}}
    finally:
        hub.close()


def test_without_a_robust_list_the_robust_search_is_skipped(
    hub: HashDB, picture: Image.Image, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cheap gate: no edited variants of the upload are made unless a robust list could
    take them."""
    made: list[int] = []
    real = variants.query_variants

    def counted(image: object) -> object:
        made.append(1)
        return real(image)  # type: ignore[arg-type]

    monkeypatch.setattr(variants, "query_variants", counted)
    unrelated = data.encode(data.draw_kind("photo", 77), 90)
    mirrored = data.encode(ImageOps.mirror(picture), 90)
    assert _matched(hub, unrelated, ["hash-list", "exact-list"]) == {}
    assert _matched(hub, mirrored, ["hash-list"]) == {}
    assert made == []
    assert _matched(hub, mirrored, ["robust-list"]) == {"robust-list": {"geometric:pdq"}}
    assert made == [1]


def test_a_mode_must_be_one_of_the_three(hub: HashDB) -> None:
    with pytest.raises(ValueError):
        MatchingMode("geometric")
    with pytest.raises((InvalidValue, ValueError)):
        hub.lists.update(
            "hash-list",
            matching_mode="fuzzy",  # type: ignore[arg-type]
            principal=LOCAL_OPERATOR,
        )
    assert hub.lists.get("hash-list", LOCAL_OPERATOR).matching_mode is MatchingMode.HASH
