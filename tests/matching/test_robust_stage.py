"""The robust matcher is built when a query needs it, and its shortcuts answer as it does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hashdb.identity import LOCAL_OPERATOR
from hashdb.service import EntryMetadata, HashDB
from hashdb.settings import Settings
from hashdb.store.models import MatchingMode, NewList
from hashdb.testing import robustness as data

KNOWN = EntryMetadata(label="known", added_by="analyst")


def _service(db: str) -> HashDB:
    return HashDB(Settings(db=db, refresh_interval=0))


@pytest.fixture
def stored(db_url: str) -> Iterator[tuple[str, bytes]]:
    """A robust list holding one picture (as added: these bytes)."""
    service = _service(db_url)
    service.lists.create(NewList("known", matching_mode=MatchingMode.ROBUST), LOCAL_OPERATOR)
    blob = data.encode(data.draw_kind("photo", 31), 95)
    service.adding.media("known", blob, KNOWN, principal=LOCAL_OPERATOR)
    service.close()
    yield db_url, blob


def _answer(service: HashDB, blob: bytes) -> list[tuple[int, str, str]]:
    result = service.matching.media(blob, principal=LOCAL_OPERATOR)
    return [(m.entry_id, m.algorithm, m.stage.value) for m in result.matches]


def test_the_stored_bytes_match_without_building_the_robust_matcher(
    stored: tuple[str, bytes],
) -> None:
    db, blob = stored
    lazy, built = _service(db), _service(db)
    built.pipeline.refresh(force=True)  # a server's warm-up builds it
    assert built.pipeline.robust_stage.built
    try:
        answer = _answer(lazy, blob)
        assert not lazy.pipeline.robust_stage.built
        assert answer == _answer(built, blob)
        assert {algorithm for _, algorithm, _ in answer} >= {"pdq", "md5", "sha256"}
    finally:
        lazy.close()
        built.close()


def test_an_edited_copy_builds_it_and_is_found(stored: tuple[str, bytes]) -> None:
    db, _ = stored
    service = _service(db)
    try:
        edited = data.transformed(data.draw_kind("photo", 31), "letterbox", "v25%", 3)
        answer = _answer(service, edited)
        assert service.pipeline.robust_stage.built
        assert [stage for _, _, stage in answer] == ["geometric"]
    finally:
        service.close()
