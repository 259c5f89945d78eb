"""Pacing: never more than N requests in any rolling second, in one process or across many.

Capital.com allows 10 requests per second per user and 1 ``POST /session`` per second per API key
(REFERENCE.md section 4); the simulator counts both strictly, at arrival, over any rolling 1 s window (section
11). The natural fit is a sliding-window log: remember when each of the last N requests was sent and let the
next one go only once the oldest is more than ``window + margin`` old. The margin absorbs jitter between our
send and the server's arrival. Up to N requests may leave at once, so latency overlaps instead of adding up.

Written here rather than taken from ``pyrate-limiter`` (4.5): its async wait re-polls with a fixed 50 ms
buffer on top of the exact delay, its buckets run a background leak task or thread, its clock and sleep cannot
be injected for tests, and its multi-process backend is SQLite behind ``filelock`` with no say over file
modes. The log below is some thirty lines; the file-backed variant keeps the same log in a 0600 file under
``fcntl``."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from capital_pipeline.capital.private_files import ensure_private_directory, locked_file

__all__ = [
    "SYSTEM_CLOCK",
    "Clock",
    "FileSlidingWindowLimiter",
    "Pacer",
    "RateLimiter",
    "SlidingWindowLimiter",
    "SystemClock",
]


class Clock(Protocol):
    """Wall-clock seconds and a way to wait: injected so tests never really wait."""

    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock: ``time.time`` (comparable across processes) and ``asyncio.sleep``."""

    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


SYSTEM_CLOCK = SystemClock()


class RateLimiter(Protocol):
    """Waits until one more request may be sent, and counts it as sent."""

    async def acquire(self) -> None: ...


def _reserve(sent: list[float], now: float, limit: int, span: float) -> float:
    """Record a send at ``now`` in ``sent`` and return 0, or return how long to wait first.

    ``sent`` keeps the send times still inside ``span``; times further ahead than ``span`` cannot come from
    this clock (a reboot or a clock step left them) and are dropped rather than blocking forever.
    """
    sent[:] = [moment for moment in sent if now - span < moment <= now + span]
    if len(sent) < limit:
        sent.append(now)
        return 0.0
    return max(sorted(sent)[-limit] + span - now, 1e-6)


class SlidingWindowLimiter:
    """At most ``limit`` acquisitions in any ``window + margin`` seconds, within this process."""

    def __init__(
        self, limit: int, window: float = 1.0, margin: float = 0.02, clock: Clock = SYSTEM_CLOCK
    ) -> None:
        self._limit, self._span, self._clock = limit, window + margin, clock
        self._sent: list[float] = []
        # FIFO: asyncio.Lock wakes waiters in order, so no request starves.
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            while (wait := _reserve(self._sent, self._clock.now(), self._limit, self._span)) > 0:
                await self._clock.sleep(wait)


class FileSlidingWindowLimiter:
    """The same log kept in a 0600 file under ``fcntl``, shared by every process that opens ``path``."""

    def __init__(
        self, path: Path, limit: int, window: float = 1.0, margin: float = 0.02, clock: Clock = SYSTEM_CLOCK
    ) -> None:
        ensure_private_directory(path.parent)
        self._path, self._limit, self._span, self._clock = path, limit, window + margin, clock
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            while (wait := await self._try_reserve()) > 0:
                await self._clock.sleep(wait)

    async def _try_reserve(self) -> float:
        async with locked_file(self._path) as state:
            try:
                sent = [float(moment) for moment in json.loads(state.read_text() or "[]")]
            except (ValueError, TypeError):
                sent = []  # a damaged state file must not wedge every run: start a fresh log
            wait = _reserve(sent, self._clock.now(), self._limit, self._span)
            if wait == 0:
                state.write_text(json.dumps(sent))
            return wait


@dataclass
class Pacer:
    """The limiters every request of one client passes: all requests, and logins on top."""

    requests: RateLimiter
    logins: RateLimiter

    async def before_send(self, *, is_login: bool) -> None:
        """Wait for the login limiter (logins only), then for the request limiter."""
        if is_login:
            await self.logins.acquire()
        await self.requests.acquire()

    @classmethod
    def build(
        cls,
        *,
        requests_per_second: int,
        logins_per_second: int,
        margin: float,
        directory: Path | None,
        key_fingerprint: str,
        clock: Clock = SYSTEM_CLOCK,
    ) -> Pacer:
        """In-process limiters, or file-backed ones in ``directory`` keyed by the API key's fingerprint."""
        if directory is None:
            return cls(
                SlidingWindowLimiter(requests_per_second, margin=margin, clock=clock),
                SlidingWindowLimiter(logins_per_second, margin=margin, clock=clock),
            )
        return cls(
            FileSlidingWindowLimiter(
                directory / f"requests-{key_fingerprint}.json",
                requests_per_second,
                margin=margin,
                clock=clock,
            ),
            FileSlidingWindowLimiter(
                directory / f"logins-{key_fingerprint}.json", logins_per_second, margin=margin, clock=clock
            ),
        )
