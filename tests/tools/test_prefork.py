"""The supervisor of forked server workers: a worker that cannot start is started again
after a growing wait, not five times a second."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

_SUPERVISE_A_WORKER_THAT_FAILS_AT_ONCE = """
import os, sys
from tools.supervisor import Supervisor

def start():
    pid = os.fork()
    if pid == 0:
        with open(sys.argv[1], "a") as starts:
            starts.write("started\\n")
        os._exit(3)  # as a worker whose database is unreachable
    return pid

Supervisor(start, 2, graceful_seconds=1).run()
"""


def test_a_worker_that_fails_at_once_is_restarted_after_a_growing_wait(tmp_path: Path) -> None:
    starts = tmp_path / "starts.txt"
    supervisor = subprocess.Popen(
        [sys.executable, "-c", _SUPERVISE_A_WORKER_THAT_FAILS_AT_ONCE, str(starts)],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(4)
        assert supervisor.poll() is None, "the supervisor itself gave up"
    finally:
        supervisor.send_signal(signal.SIGTERM)
        _, err = supervisor.communicate(timeout=30)
    started = starts.read_text().count("started")
    # Two workers, restarted after 0.4, 0.8, 1.6, 3.2 s...: a handful in 4 s, where a
    # restart at every look (0.2 s) would have made about 40.
    assert 2 < started <= 8, (started, err)
    assert "starting another in" in err
    assert "Traceback" not in err
