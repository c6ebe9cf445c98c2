"""Rate limits kept in the serving process: at most so many requests per key within a sliding window."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable

KEYS = 10_000
"""Keys kept before the idle ones are forgotten."""


class Window:
    """At most ``limit`` hits per key within ``seconds``; a hit beyond that is refused, and not counted."""

    def __init__(self, limit: int, seconds: float, now: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.seconds, self._now = limit, seconds, now
        self._hits: dict[Hashable, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: Hashable) -> int | None:
        """Count a hit; None when it is within the limit, else the whole seconds until one would be."""
        now = self._now()
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                if len(self._hits) >= KEYS:
                    self._forget(now)
                hits = self._hits[key] = deque()
            while hits and hits[0] <= now - self.seconds:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(1, math.ceil(hits[0] + self.seconds - now))
            hits.append(now)
            return None

    def _forget(self, now: float) -> None:
        idle = [key for key, hits in self._hits.items() if not hits or hits[-1] <= now - self.seconds]
        for key in idle:
            del self._hits[key]
