"""Strict sliding-window rate limits (REFERENCE §4 and §11).

A window admits a request when fewer than ``limit`` requests were admitted in the rolling second before it
(the interval ``(now - 1 s, now]``), so no rolling second ever holds more than ``limit`` admitted requests.
Rejected requests (answered 429) do not use up capacity: a client that backs off recovers after one second.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Sequence

__all__ = ["SlidingWindowLimiter"]


class SlidingWindowLimiter:
    """Per-key logs of admitted request times."""

    def __init__(self, window_seconds: float = 1.0) -> None:
        self._window = window_seconds
        self._admitted: dict[Hashable, deque[float]] = {}

    def admit(self, checks: Sequence[tuple[Hashable, int]], now: float) -> bool:
        """Admit one request against every ``(key, limit)`` in ``checks``, all or nothing."""
        logs = [self._pruned(key, now) for key, _ in checks]
        if any(len(log) >= limit for log, (_, limit) in zip(logs, checks, strict=True)):
            return False
        for log in logs:
            log.append(now)
        return True

    def _pruned(self, key: Hashable, now: float) -> deque[float]:
        log = self._admitted.setdefault(key, deque())
        horizon = now - self._window
        while log and log[0] <= horizon:
            log.popleft()
        return log
