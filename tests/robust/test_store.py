"""Reference data lands in the store (SQLite and PostgreSQL), once per entry."""

from __future__ import annotations

from hashdb.identity import LOCAL_OPERATOR
from hashdb.matching.robust import geometric
from hashdb.service import EntryMetadata, HashDB
from hashdb.settings import Settings
from hashdb.testing import robustness as data

ANALYST = EntryMetadata(label="known", added_by="analyst")


def test_reference_data_is_stored_once_per_entry(db_url: str) -> None:
    service = HashDB(Settings(db=db_url, refresh_interval=0))
    try:
        upload = data.encode(data.draw_kind("photo", 21), 95)
        first = service.adding.media("terror", upload, ANALYST, principal=LOCAL_OPERATOR)
        again = service.adding.media("terror", upload, ANALYST, principal=LOCAL_OPERATOR)
        pdq_id = next(a.entry_id for a in first.added if a.algorithm == "pdq")
        assert [a.entry_id for a in again.added] == [a.entry_id for a in first.added]
        features = service.store.reference_features([pdq_id])[pdq_id]
        assert len(features.descriptors) == 32 * (len(features.keypoints) // 8) > 32 * 100
        _, thumb = geometric.unpack(features)
        assert thumb.shape == (features.thumb_height, features.thumb_width)
        rows = service.store.reference_hashes([pdq_id])
        variants = [row.variant for row in rows]
        assert len(variants) == len(set(variants)) and "full" in variants
        assert all(row.entry_id == pdq_id and len(row.value) == 32 for row in rows)
        assert {row.id for row in service.store.reference_hashes(None)} == {r.id for r in rows}
        service.entries.retire(pdq_id, "test", None, principal=LOCAL_OPERATOR)
        assert service.store.reference_hashes(None) == []
    finally:
        service.close()


def test_dark_low_quality_pictures_are_anchored_on_sha256(db_url: str) -> None:
    service = HashDB(Settings(db=db_url, refresh_interval=0))
    try:
        dark = data.draw_kind("dark", 21)
        report = service.adding.media(
            "terror", data.encode(dark, 95), ANALYST, principal=LOCAL_OPERATOR
        )
        assert {a.algorithm for a in report.added} == {"md5", "sha256"}
        sha_id = next(a.entry_id for a in report.added if a.algorithm == "sha256")
        assert service.store.reference_features([sha_id])
        found = service.matching.media(
            data.transformed(dark, "crop-centre", "10%", seed=4), principal=LOCAL_OPERATOR
        )
        assert [(m.entry_id, m.stage) for m in found.matches] == [(sha_id, "geometric")]
    finally:
        service.close()
