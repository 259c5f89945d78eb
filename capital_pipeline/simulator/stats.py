"""What the simulator saw, for tests: ``GET /_simulator/stats``, cleared by ``POST /_simulator/reset``.

Counted: every request under ``/api/v1`` at arrival (by ``"METHOD template"``), every status sent, logins
(``POST /session`` attempts and 200s), 429s, calls to trading or editing endpoints, injected faults, and for
each user the most requests that arrived in any rolling second (all arrivals, 429s included: a client that
paces itself correctly never exceeds the limit here).
"""

from __future__ import annotations

from collections import Counter, deque
from typing import Any

__all__ = ["SimulatorStats"]


class SimulatorStats:
    """Counters since start or the last reset."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget everything counted so far."""
        self._requests: Counter[str] = Counter()
        self._statuses: Counter[str] = Counter()
        self._editing: Counter[str] = Counter()
        self._faults: Counter[str] = Counter()
        self._login_attempts = 0
        self._login_successes = 0
        self._arrivals: dict[str, deque[float]] = {}
        self._max_per_second: dict[str, int] = {}

    def record_arrival(self, route_key: str, *, editing: bool, login: bool) -> None:
        """One request arrived for ``route_key`` (``"METHOD template"``)."""
        self._requests[route_key] += 1
        if editing:
            self._editing[route_key] += 1
        if login:
            self._login_attempts += 1

    def record_user_arrival(self, user: str, now: float) -> None:
        """One request attributed to ``user`` arrived at ``now`` (monotonic seconds)."""
        arrivals = self._arrivals.setdefault(user, deque())
        arrivals.append(now)
        while arrivals[0] <= now - 1.0:
            arrivals.popleft()
        self._max_per_second[user] = max(self._max_per_second.get(user, 0), len(arrivals))

    def record_status(self, status: int) -> None:
        self._statuses[str(status)] += 1

    def record_login_success(self) -> None:
        self._login_successes += 1

    def record_fault(self, kind: str) -> None:
        self._faults[kind] += 1

    def as_json(self) -> dict[str, Any]:
        """The counters as one JSON object."""
        return {
            "requests_total": sum(self._requests.values()),
            "requests": dict(self._requests),
            "statuses": dict(self._statuses),
            "logins": {"attempts": self._login_attempts, "successes": self._login_successes},
            "too_many_requests": self._statuses.get("429", 0),
            "trading_or_editing_calls": sum(self._editing.values()),
            "trading_or_editing_by_route": dict(self._editing),
            "max_requests_per_second": dict(self._max_per_second),
            "faults_injected": dict(self._faults),
        }
