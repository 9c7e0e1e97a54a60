"""What the robust tests share: a database of known pictures added as an analyst would."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from PIL import Image

from hashdb.identity import LOCAL_OPERATOR
from hashdb.service import EntryMetadata, HashDB
from hashdb.settings import Settings
from hashdb.testing import robustness as data


def known_pictures(
    path: Path, pictures: Iterable[Image.Image], *, lossless: bool = False
) -> tuple[HashDB, set[int]]:
    """A service on a new database at ``path`` with ``pictures`` added to the list ``terror``
    (as JPEG quality 95, or ``lossless`` as PNG, as the robustness bench adds its knowns),
    and the ids of every entry they made."""
    db = HashDB(Settings(db=str(path), refresh_interval=0))
    known: set[int] = set()
    for picture in pictures:
        report = db.adding.media(
            "terror",
            _png(picture) if lossless else data.encode(picture, 95),
            EntryMetadata(label="known", added_by="analyst"),
            principal=LOCAL_OPERATOR,
        )
        known.update(added.entry_id for added in report.added)
    return db, known


def known_database(
    factory: pytest.TempPathFactory, name: str, pictures: Iterable[Image.Image]
) -> Iterator[tuple[HashDB, set[int]]]:
    """:func:`known_pictures` in a folder of its own, for a module's fixture to yield from;
    closed once the module is done."""
    db, known = known_pictures(factory.mktemp(name) / "hashdb.sqlite", pictures)
    try:
        yield db, known
    finally:
        db.close()


def _png(picture: Image.Image) -> bytes:
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()
