"""The matcher follows the change feed: runs of adds in batches, retirements in order."""

from __future__ import annotations

import hashlib
import io

from hashdb.exchange import ExchangeFormat
from hashdb.hashing import Digest
from hashdb.identity import LOCAL_OPERATOR
from hashdb.matching.indexes import HashIndexes
from hashdb.service import EntryMetadata, HashDB
from hashdb.settings import Settings


def _pdq(seed: int) -> str:
    return hashlib.sha256(b"feed" + seed.to_bytes(4, "big")).hexdigest()


def test_a_follower_sees_a_bulk_import_then_a_retirement_and_a_re_add(db_url: str) -> None:
    writer = HashDB(Settings(db=db_url, refresh_interval=0))
    follower = HashIndexes(writer.store)
    follower.refresh(force=True)
    assert follower.size("pdq") == 0
    body = "algorithm,hash\n" + "".join(f"pdq,{_pdq(i)}\n" for i in range(300))
    writer.exchange.import_stream(
        io.StringIO(body), ExchangeFormat.CSV, list_name="bulk", principal=LOCAL_OPERATOR
    )
    (gone,) = [e for e in writer.store.export_entries(None, None) if e.hex == _pdq(7)]
    writer.entries.retire(gone.id, "false positive", principal=LOCAL_OPERATOR)
    writer.adding.hex(
        "bulk", "pdq", [_pdq(7)], EntryMetadata(note="re-added"), principal=LOCAL_OPERATOR
    )  # a new entry, same hash
    follower.refresh(force=True)  # one feed read: adds, a retire, an add
    assert follower.size("pdq") == 300
    (match,) = [
        m for m in follower.match([Digest("pdq", bytes.fromhex(_pdq(7)))]) if m.distance == 0
    ]
    assert match.entry_id != gone.id
    writer.close()
