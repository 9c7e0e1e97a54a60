"""A real ``hashdb serve``: a client that never finishes its headers is disconnected, and
one that does is served as before."""

from __future__ import annotations

import contextlib
import socket
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx

from tests.api.serving import serve


def _connect(base: str) -> socket.socket:
    address = urlparse(base)
    return socket.create_connection((address.hostname or "127.0.0.1", address.port or 80), 10)


def _closed_within(sock: socket.socket, seconds: float) -> float | None:
    """Seconds until the server closed the connection (None: still open at the end)."""
    started = time.monotonic()
    sock.settimeout(seconds)
    try:
        while sock.recv(1024):
            pass
    except TimeoutError:
        return None
    except ConnectionResetError:
        pass
    return time.monotonic() - started


def test_partial_headers_are_timed_out(tmp_path: Path) -> None:
    env = {"HASHDB_HTTP_HEADER_TIMEOUT": "1", "HASHDB_HTTP_KEEP_ALIVE": "30"}
    opened: list[socket.socket] = []
    with serve(tmp_path, env=env) as served:
        slow = [_connect(served.base) for _ in range(3)]
        opened += slow
        for sock in slow:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # and no more
        closed = [_closed_within(sock, 10) for sock in slow]
        assert all(after is not None and after < 5 for after in closed), closed

        # After a first answer, the next request's headers have the same deadline.
        kept = _connect(served.base)
        opened.append(kept)
        kept.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert kept.recv(4096).startswith(b"HTTP/1.1 200")
        kept.sendall(b"GET /healthz HTTP/1.1\r\n")
        after = _closed_within(kept, 10)
        assert after is not None and after < 5

        # An ordinary client is not affected.
        assert httpx.get(f"{served.base}/healthz", timeout=10).status_code == 200
    for sock in opened:
        sock.close()


def test_headers_over_the_limit_are_refused_with_431(tmp_path: Path) -> None:
    env = {"HASHDB_HTTP_MAX_HEADER_BYTES": "4096"}
    with serve(tmp_path, env=env) as served:
        sock = _connect(served.base)
        try:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            time.sleep(0.05)
            # 6 KiB of headers, never finished (and nothing more, so that the server's close
            # does not reset the connection under the answer).
            sock.sendall(b"".join(b"X-Padding-%d: %s\r\n" % (i, b"a" * 80) for i in range(64)))
            sock.settimeout(10)
            answer = b""
            with contextlib.suppress(ConnectionResetError, BrokenPipeError):
                while chunk := sock.recv(4096):
                    answer += chunk
            assert answer.startswith(b"HTTP/1.1 431"), answer[:100]
        finally:
            sock.close()
        # Large but allowed headers are served.
        headers = {f"x-padding-{index}": "a" * 80 for index in range(30)}
        ok = httpx.get(f"{served.base}/healthz", headers=headers, timeout=10)
        assert ok.status_code == 200
