"""The ``hashdb`` command line.

Importing the CLI takes a moment (numpy, OpenCV, the hashers): a Ctrl-C in that moment ends
the command quietly with 130, as one later does, instead of with a traceback of an import.
``tools.cli.main`` puts Python's own handler back once the imports are done.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType


def _interrupted_while_starting(_signum: int, _frame: FrameType | None) -> None:
    sys.stderr.write("interrupted\n")
    os._exit(130)


if os.path.basename(sys.argv[0]) in ("hashdb", "-m") and (
    signal.getsignal(signal.SIGINT) is signal.default_int_handler
):
    signal.signal(signal.SIGINT, _interrupted_while_starting)
