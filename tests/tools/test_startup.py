"""The command line starts fast: ``hashdb --help`` loads no heavy library (measured in
bench/cli_startup.py; here only which modules load, which does not depend on the machine)."""

from __future__ import annotations

import json
import subprocess
import sys

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
