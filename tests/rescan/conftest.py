"""A media tree like a platform's: nested folders, good images, corrupt and non-image files."""

from __future__ import annotations

from pathlib import Path

import pytest

from hashdb.testing.images import encode, jpeg, scene

#: Files of the tree that cannot be hashed, and the error code each must report.
BAD_FILES = {
    "a/broken.jpg": "corrupt_media",
    "c/notes.txt": "unsupported_media",
    "c/d/empty.png": "empty_media",
}


def make_tree(root: Path, images: int = 24, size: tuple[int, int] = (160, 120)) -> Path:
    folders = ["", "a", "a/b", "c", "c/d"]
    for folder in folders:
        (root / folder).mkdir(parents=True, exist_ok=True)
    for number in range(images):
        folder = folders[number % len(folders)]
        (root / folder / f"img{number:03d}.jpg").write_bytes(jpeg(number, size, quality=85))
    (root / "known.png").write_bytes(encode(scene(500, (320, 240)), "PNG"))
    (root / "a/broken.jpg").write_bytes(jpeg(77, (320, 240))[:900])
    (root / "c/notes.txt").write_text("not an image\n")
    (root / "c/d/empty.png").write_bytes(b"")
    return root


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return make_tree(tmp_path / "media")
