"""Walk order, resume keys and manifests."""

from __future__ import annotations

import os
from pathlib import Path

from hashdb.rescan.sources import ScanInput, classify, count_items, iter_items


def _tree(root: Path) -> None:
    for rel in ["b/2.jpg", "b/1.jpg", "a.jpg", "b/c/x.jpg", "b0.jpg", "z/y/w.jpg", "z/a.jpg"]:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    (root / "empty").mkdir()


def test_walk_is_sorted_recursive_and_keys_follow_the_order(tmp_path: Path) -> None:
    _tree(tmp_path / "m")
    items = list(iter_items([ScanInput("m")], str(tmp_path)))
    assert [item.path for item in items] == [
        os.path.join("m", rel)
        for rel in ["a.jpg", "b/1.jpg", "b/2.jpg", "b/c/x.jpg", "b0.jpg", "z/a.jpg", "z/y/w.jpg"]
    ]
    assert [item.key for item in items] == sorted(item.key for item in items)
    assert all(item.location == os.path.abspath(tmp_path / item.path) for item in items)


def test_resuming_after_any_item_gives_exactly_the_rest(tmp_path: Path) -> None:
    _tree(tmp_path / "m")
    (tmp_path / "one.jpg").write_bytes(b"x")
    (tmp_path / "list.txt").write_text("m/a.jpg\n\n# comment\nm/z/a.jpg\n")
    inputs = [ScanInput("one.jpg"), ScanInput("m"), ScanInput("list.txt", manifest=True)]
    items = list(iter_items(inputs, str(tmp_path)))
    assert len(items) == 10
    for position, item in enumerate(items):
        rest = list(iter_items(inputs, str(tmp_path), list(item.key)))
        assert rest == items[position + 1 :]
        assert count_items(inputs, str(tmp_path), list(item.key)) == len(items) - position - 1


def test_files_added_behind_the_checkpoint_do_not_shift_the_rest(tmp_path: Path) -> None:
    _tree(tmp_path / "m")
    items = list(iter_items([ScanInput("m")], str(tmp_path)))
    checkpoint = items[3].key  # m/b/c/x.jpg
    (tmp_path / "m/a0.jpg").write_bytes(b"x")  # sorts before the checkpoint
    rest = [item.path for item in iter_items([ScanInput("m")], str(tmp_path), list(checkpoint))]
    assert rest == [item.path for item in items[4:]]


def test_manifest_lines(tmp_path: Path) -> None:
    (tmp_path / "media").mkdir()
    (tmp_path / "media/x y.jpg").write_bytes(b"x")
    absolute = tmp_path / "media/x y.jpg"
    manifest = tmp_path / "scan.manifest"
    manifest.write_text(
        "\n".join(
            [
                "media/x y.jpg",
                f"file://{str(absolute).replace(' ', '%20')}",
                str(absolute),
                "s3://bucket/key.jpg",
                "https://example.org/a.jpg",
                "file://otherhost/a.jpg",
                "media/missing.jpg",
                "  # comment",
            ]
        )
    )
    (inputs,) = [classify([str(manifest)])]
    assert inputs == [ScanInput(str(manifest), manifest=True)]
    items = list(iter_items(inputs, str(tmp_path)))
    assert [item.location for item in items[:3]] == [str(absolute)] * 3
    assert all(item.error is None for item in items[:3])
    codes = [item.error["code"] for item in items[3:] if item.error]
    assert codes == [
        "unsupported_source",
        "unsupported_source",
        "unsupported_source",
        "file_not_readable",
    ]
    assert items[3].path == "s3://bucket/key.jpg"
    assert "s3" in items[3].error["message"]  # type: ignore[index]


def test_missing_inputs_broken_links_and_explicit_manifests(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m/dangling.jpg").symlink_to(tmp_path / "nowhere.jpg")
    (tmp_path / "m/loop").symlink_to(tmp_path / "m")
    (tmp_path / "files").write_text(str(tmp_path / "m/dangling.jpg") + "\n")
    inputs = classify(["nope.jpg", "m"], manifests=["files"])
    items = list(iter_items(inputs, str(tmp_path)))
    assert [(item.path, item.error and item.error["message"]) for item in items] == [
        ("nope.jpg", "no such file"),
        (os.path.join("m", "dangling.jpg"), "broken symbolic link"),
        (os.path.join("m", "loop"), "symbolic link to a folder (not followed)"),
        (str(tmp_path / "m/dangling.jpg"), None),  # exists as a link: reading it will fail
    ]
