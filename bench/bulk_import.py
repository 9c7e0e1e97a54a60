"""``hashdb import`` of a big CSV, the whole command, into SQLite and PostgreSQL.

    python -m bench.bulk_import [--rows 1000000] [--backend both]

Writes a CSV of random PDQ hashes with a label column (``algorithm,hash,label``, seven
labels), then runs the shipped command ``hashdb --db URL import FILE --list big`` as a
subprocess into a fresh database (PostgreSQL: a schema of its own), timing the whole command:
start-up, parsing, validation, writing, commit, and the statistics refresh. Prints rows/s
beside each backend's floor, with the CPU time of the command and of its PostgreSQL backend,
which the load of a shared machine distorts much less than wall-clock time.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from bench.api_adds import postgres_answers
from bench.server import cpu_seconds, machine_line

FLOORS = {"sqlite": 200_000, "postgres": 100_000}
APPLICATION = "hashdb_bench_import"


def write_csv(path: Path, rows: int) -> None:
    rng = np.random.default_rng(3)
    with path.open("w") as out:
        out.write("algorithm,hash,label\n")
        for begin in range(0, rows, 100_000):
            block = rng.integers(0, 256, size=(min(100_000, rows - begin), 32), dtype=np.uint8)
            out.writelines(
                f"pdq,{row.tobytes().hex()},batch-{(begin + i) % 7}\n"
                for i, row in enumerate(block)
            )


def backend_pids(admin: sa.Engine) -> list[int]:
    with admin.connect() as connection:
        return list(
            connection.execute(
                sa.text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
                {"name": APPLICATION},
            ).scalars()
        )


def run(url: str, csv_path: Path, admin: sa.Engine | None) -> tuple[float, float, float]:
    """(wall s, command CPU s, PostgreSQL backend CPU s) of one ``hashdb import``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = [sys.executable, "-m", "tools.cli", "--db", url, "import", str(csv_path)]
    started = time.perf_counter()
    process = subprocess.Popen([*command, "--list", "big"], stdout=subprocess.PIPE)
    backend_cpu: dict[int, float] = {}
    while process.poll() is None:  # sample the backend's CPU while it lives
        if admin is not None:
            for pid in backend_pids(admin):
                backend_cpu[pid] = cpu_seconds([pid])
        time.sleep(0.2)
    wall = time.perf_counter() - started
    output = process.stdout.read().decode() if process.stdout else ""
    if process.returncode != 0 or " new," not in output:
        raise SystemExit(f"import failed ({process.returncode}): {output}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, sum(backend_cpu.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    if "postgres" in backends and not postgres_answers(args.postgres):
        print(f"(no PostgreSQL at {args.postgres}: SQLite only)")
        backends.remove("postgres")
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "hashes.csv"
        write_csv(csv_path, args.rows)
        size_mb = csv_path.stat().st_size / 1e6
        for backend in backends:
            if backend == "sqlite":
                wall, cpu, backend_cpu = run(str(Path(tmp) / "import.sqlite"), csv_path, None)
            else:
                schema = f"bench_import_{uuid.uuid4().hex[:10]}"
                admin = sa.create_engine(
                    args.postgres.replace("postgresql://", "postgresql+psycopg://")
                )
                with admin.begin() as connection:
                    connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
                scoped = f"options=-csearch_path%3D{schema}&application_name={APPLICATION}"
                url = f"{args.postgres}?{scoped}"
                try:
                    wall, cpu, backend_cpu = run(url, csv_path, admin)
                finally:
                    with admin.begin() as connection:
                        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
                    admin.dispose()
            floor = FLOORS[backend]
            rate = args.rows / wall
            lines.append(
                f"| {backend} | {wall:.1f} | {rate:,.0f} | {floor:,} | {rate / floor:.2f} "
                f"| {cpu:.1f} | {backend_cpu:.1f} | {args.rows / (cpu + backend_cpu):,.0f} |"
            )
    print(
        f"{machine_line('bench.bulk_import')}; {args.rows:,}-row CSV ({size_mb:.0f} MB), "
        "algorithm,hash,label"
    )
    print(
        "\n| backend | whole command s | rows/s | floor | ratio | command CPU s "
        "| database CPU s | rows per CPU-second |\n|---|---:|---:|---:|---:|---:|---:|---:|"
    )
    print("\n".join(lines))
    print(f"\n(load average at the end: {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
