"""A per-client submission rate limit that needs no login (the daily quota of :mod:`.quota` counts accepted
submissions per account; this counts every attempt per client, refused ones included, since each may be scored).

Kept in memory: a restart forgets it, which costs an attacker a restart they cannot cause.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from pet2rep.errors import SubmissionError

#: Clients remembered at most (the least recently seen are forgotten first): bounded memory under a flood.
MAX_CLIENTS = 10_000


class RateLimitError(SubmissionError):
    """Too many submission attempts from one client."""


class RateLimiter:
    """At most ``max_calls`` attempts per client in any ``window_s`` seconds (``max_calls`` 0: no limit).

    Args:
        max_calls: attempts allowed per window.
        window_s: the window in seconds.
        clock: monotonic seconds (tests pass a fake one).
    """

    def __init__(self, max_calls: int, window_s: float = 3600.0, clock: Callable[[], float] = time.monotonic):
        self.max_calls = max_calls
        self.window_s = window_s
        self.clock = clock
        self._calls: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, client: str | None) -> None:
        """Count one attempt by ``client``; raise :class:`RateLimitError` (not counted) when over the limit."""
        if self.max_calls <= 0:
            return
        client = client or "unknown"
        now = self.clock()
        with self._lock:
            calls = self._calls.pop(client, None) or deque()
            while calls and now - calls[0] >= self.window_s:
                calls.popleft()
            self._calls[client] = calls
            while len(self._calls) > MAX_CLIENTS:
                self._calls.popitem(last=False)
            if len(calls) >= self.max_calls:
                wait = math.ceil(self.window_s - (now - calls[0]))
                raise RateLimitError(
                    f"rate limit: at most {self.max_calls} submission attempts per {self.window_s / 60:g} min "
                    f"from one client; try again in {wait} s"
                )
            calls.append(now)
