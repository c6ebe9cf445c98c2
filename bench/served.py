"""A benchmark's app served in a child process on 127.0.0.1: a port that is free, and waiting until it answers."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable

import httpx2


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def answering(server: subprocess.Popen[bytes], ready: Callable[[], bool], within: float) -> None:
    """Wait until ``ready()``, a request to the server, says it answers; stop the server and exit if it does not
    within ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.1)
    server.terminate()
    raise SystemExit(f"the server did not answer within {within:g} s")
