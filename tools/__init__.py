"""The ``hashdb`` command line.

Importing the CLI takes a moment (numpy, OpenCV, the hashers): a Ctrl-C in that moment ends
the command quietly with 130, as one later does, instead of with a traceback of an import.
``tools.cli.main`` puts Python's own handler back once the imports are done.

The command also asks OpenBLAS (under NumPy) for one thread unless told otherwise: hashdb's
matrices are small (a 64x64 DCT, a 3x3 transform), which OpenBLAS never splits, yet starting
its pool on import costs a short command about 0.1 s of CPU; parallel work (rescans, batch
matching, serving) runs in processes, each of which would otherwise start a pool per core.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType


def _interrupted(_signum: int, _frame: FrameType | None) -> None:
    sys.stderr.write("interrupted\n")
    os._exit(130)


def end_on_ctrl_c() -> None:
    """From now on a Ctrl-C ends the process at once, with 130: while it starts, and once
    its command is done."""
    signal.signal(signal.SIGINT, _interrupted)


if os.path.basename(sys.argv[0]) in ("hashdb", "-m"):
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        end_on_ctrl_c()
