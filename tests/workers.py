"""Targets for tests that start real processes (spawned: this module imports nothing heavy
beyond hashdb itself, so a child starts quickly)."""

from __future__ import annotations

from multiprocessing.synchronize import Event
from pathlib import Path

from hashdb.store import NewEntry, open_store

FRESH_VALUE = bytes(range(32))


def running(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def seq_value(seed: int) -> bytes:
    return seed.to_bytes(4, "big") * 8


def add_entries(url: str, worker: int, per_writer: int, shared: int, start: Event) -> None:
    """Add ``per_writer`` own hashes and ``shared`` hashes every writer adds, in small batches."""
    store = open_store(url)
    try:
        hash_list = store.ensure_list("shared")
        start.wait(30)
        own = [seq_value(1_000 + worker * per_writer + i) for i in range(per_writer)]
        common = [seq_value(i) for i in range(shared)]
        for batch_number, offset in enumerate(range(0, per_writer, 6)):
            batch = own[offset : offset + 6] + common[batch_number : batch_number + 1]
            store.add_entries(hash_list.id, [NewEntry("pdq", value) for value in batch])
    finally:
        store.close()


def add_then_retire(url: str, added: Event, retire: Event) -> None:
    store = open_store(url)
    try:
        hash_list = store.ensure_list("fresh")
        (outcome,) = store.add_entries(hash_list.id, [NewEntry("pdq", FRESH_VALUE, label="new")])
        added.set()
        retire.wait(30)
        store.retire_entry(outcome.entry_id, "false positive", "analyst")
    finally:
        store.close()
