"""The command line starts fast: ``hashdb --help`` loads no heavy library (measured in
bench/cli_startup.py; here only which modules load, which does not depend on the machine)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hashdb.testing.images import jpeg

HEAVY = ("sqlalchemy", "numpy", "PIL", "av", "cv2", "scipy", "pyarrow", "alembic", "uvicorn")


def _loaded_after(code: str) -> set[str]:
    probe = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return {name.split(".")[0] for name in json.loads(out.splitlines()[-1])}


def test_help_loads_no_heavy_library() -> None:
    loaded = _loaded_after(
        "from tools.cli import app\n"
        "import typer.main\n"
        "try:\n"
        "    typer.main.get_command(app).main(['--help'], standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass"
    )
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_parsing_a_hash_needs_no_image_library() -> None:
    loaded = _loaded_after(
        "from hashdb.hashing import parse_hash\nparse_hash('md5', '0' * 31 + '1')"
    )
    assert not loaded & {"numpy", "PIL", "scipy", "av", "cv2", "sqlalchemy"}


def test_the_api_loads_no_video_library_until_a_video_comes() -> None:
    assert "av" not in _loaded_after("import api.app")


def _hashdb(db: Path, *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "tools.cli", "--db", str(db), *args],
        capture_output=True,
        check=True,
    )


def _loaded_by_match(db: Path, picture: Path) -> set[str]:
    return _loaded_after(
        "from tools.cli import app\n"
        "import typer.main\n"
        f"typer.main.get_command(app).main(['--db', {str(db)!r}, 'match', {str(picture)!r}],"
        " standalone_mode=False)"
    )


def test_matching_loads_opencv_only_when_an_edited_copy_is_looked_for(tmp_path: Path) -> None:
    """The robust stages (OpenCV) load only for a query they must run on: not for the very
    file that was added, nor on lists that match on hashes only; an unrelated picture on a
    robust list does run them."""
    known, other = tmp_path / "known.jpg", tmp_path / "other.jpg"
    known.write_bytes(jpeg(7))
    other.write_bytes(jpeg(8))
    robust, hashes = tmp_path / "robust.sqlite", tmp_path / "hashes.sqlite"
    _hashdb(robust, "create-list", "known")
    _hashdb(robust, "add", "-l", "known", str(known))
    _hashdb(hashes, "create-list", "known", "--mode", "hash")
    _hashdb(hashes, "add", "-l", "known", str(known))

    assert "cv2" not in _loaded_by_match(robust, known)
    assert "cv2" not in _loaded_by_match(hashes, known)
    assert "cv2" not in _loaded_by_match(hashes, other)
    assert "cv2" in _loaded_by_match(robust, other)
