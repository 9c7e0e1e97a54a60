"""Start-up of the ``hashdb`` command line beside its floors.

    python -m bench.cli_startup [--runs 15]

Times whole processes as a user's shell runs them (wall clock, median and best of ``--runs``,
CPU time of the child): ``hashdb --help`` (floor 0.3 s) and ``hashdb match one.jpg`` against
a database holding that one picture (floor 0.6 s). The machine's load is printed with the
table: on a shared machine compare the CPU column, which waits for nobody.

The commands run with Python's bytecode cache on, as on a user's machine, whatever this
shell's ``PYTHONDONTWRITEBYTECODE`` says (compiling hashdb's own modules on every start
costs about a third of a second); an untimed first run writes the cache.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hashdb.testing.images import jpeg

HASHDB = str(Path(sys.executable).with_name("hashdb"))
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def _time(args: list[str], cwd: Path, runs: int) -> tuple[float, float, float]:
    walls: list[float] = []
    cpus: list[float] = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([HASHDB, *args], cwd=cwd, check=True, capture_output=True, env=ENV)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), min(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        (cwd / "one.jpg").write_bytes(jpeg(7))
        subprocess.run(
            [HASHDB, "add", "-l", "terror", "one.jpg"],
            cwd=cwd,
            check=True,
            capture_output=True,
            env=ENV,
        )
        _time(["match", "one.jpg"], cwd, 1)  # writes the bytecode cache
        print(f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores")
        print("| command | median s | best s | CPU s | floor s |")
        print("|---|---|---|---|---|")
        for label, argv, floor in (
            ("hashdb --help", ["--help"], 0.3),
            ("hashdb match one.jpg", ["match", "one.jpg"], 0.6),
        ):
            median, best, cpu = _time(argv, cwd, args.runs)
            print(f"| `{label}` | {median:.2f} | {best:.2f} | {cpu:.2f} | {floor} |")


if __name__ == "__main__":
    main()
