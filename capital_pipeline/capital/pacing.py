"""Pacing: never more than N requests counted by the server in any rolling second, in one process or many.

Capital.com allows 10 requests per second per user and 1 ``POST /session`` per second per API key
(REFERENCE.md section 4); the simulator counts both strictly, at arrival, over any rolling 1 s window (section
11). The natural fit is a sliding-window log: remember the last N requests and let the next one go only once
the oldest is more than ``window + margin`` old. Up to N requests may leave at once, so latency overlaps, not
adds up.

The log holds, for each request, the latest moment the server may have counted it rather than the moment it
was sent. Measured against the simulator, sends spaced exactly 1.02 s per 10 were counted up to 58 ms late (a
busy server loop, a new connection), enough for 11 to 13 in one counted second. A request that waits in a
server's queue before being counted comes back late by the same amount, so each entry is its send time plus
the part of its round trip beyond the fastest successful one ever seen, capped at ``jitter_cap`` (while in
flight, the time so far counts the same way). When nothing waits, that adds nothing and the pace stays at N
per window. The baseline is the fastest ever, not the fastest recent: a Dagster step process starting on a
busy machine sent its first ten requests over new connections, all counted 85-170 ms late; their ~310 ms
answers became its baseline, it sent the next ten 1.01 s after the first ten had *left*, and drew ten 429s.
Kept in the shared log, the baseline survives compactions and new processes (``pacing_log``); one not lowered
for ``BASELINE_MAX_AGE`` gives way to the next successful answer, so a network that got slower for good (a
stale baseline holds each slot longer: a slower pace, never a 429) costs at most that long.

Written here rather than taken from ``pyrate-limiter`` (4.5): its async wait re-polls with a fixed 50 ms
buffer on top of the exact delay, its buckets run a background leak task or thread, its clock and sleep cannot
be injected for tests, its multi-process backend is SQLite behind ``filelock`` with no say over file modes,
and it has no notion of a request's answer coming back. The file-backed variant keeps the same log in a 0600
file under ``fcntl`` (binary records: ``pacing_log``).
"""

from __future__ import annotations

import asyncio
import itertools
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from capital_pipeline.capital import pacing_log
from capital_pipeline.capital.private_files import LockedFile, ensure_private_directory, locked_file

__all__ = [
    "BASELINE_MAX_AGE",
    "SYSTEM_CLOCK",
    "ArrivalModel",
    "Clock",
    "FileSlidingWindowLimiter",
    "Pacer",
    "RateLimiter",
    "Reservation",
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


class Reservation(Protocol):
    """An admitted request: ``answered`` once its answer (or failure) is in, ``withdraw`` if never sent."""

    async def answered(self, *, ok: bool) -> None: ...

    async def withdraw(self) -> None: ...


class RateLimiter(Protocol):
    """Waits until one more request may be sent, and counts it as sent."""

    async def acquire(self) -> Reservation: ...


@dataclass
class _Entry:
    sent: float
    round_trip: float | None = None
    token: tuple[int, int] = (0, 0)


class ArrivalModel:
    """The latest moment the server may have counted a request, from its round trip (module docstring)."""

    def __init__(self, jitter_cap: float) -> None:
        self.jitter_cap = jitter_cap
        self.fastest = math.inf

    def observe(self, round_trip: float) -> None:
        """A successful answer's round trip (or another process's fastest): the baseline only goes down."""
        self.fastest = min(self.fastest, round_trip)

    def wait(self, logged: list[tuple[float, float | None]], now: float, limit: int, span: float) -> float:
        """Seconds until one more request may be counted (0: now), given every logged (sent, round trip).

        Sends further ahead than ``span`` cannot come from this clock (a reboot or a clock step left them) and
        are ignored rather than waited for; sends older than ``span + jitter_cap`` can no longer count.
        Before any answer, the baseline is 0: each send counts until its answer is in.
        """
        fastest = 0.0 if self.fastest == math.inf else self.fastest
        cap, window_start, latest = self.jitter_cap, now - span, now + span
        # One comprehension, no per-send function calls: at 200 requests/s the log holds ~600 sends (the
        # last span + jitter_cap seconds) and this runs once or twice per request.
        arrivals = [
            sent + (0.0 if delay <= 0.0 else cap if delay > cap else delay)
            for sent, round_trip in logged
            if window_start - cap < sent <= latest
            for delay in ((now - sent if round_trip is None else round_trip) - fastest,)
        ]
        counted = [arrival for arrival in arrivals if arrival > window_start]
        if len(counted) < limit:
            return 0.0
        counted.sort()
        return max(counted[-limit] + span - now, 1e-6)

    def expired(self, sent: float, now: float, span: float) -> bool:
        """Whether a request sent at ``sent`` can no longer count against any window from ``now`` on."""
        return sent <= now - span - self.jitter_cap or sent > now + span


class _Reservation:
    """A slot taken in ``limiter``: answered once sent, or withdrawn if the request is not sent after all."""

    def __init__(self, limiter: SlidingWindowLimiter | FileSlidingWindowLimiter, entry: _Entry) -> None:
        self._limiter, self._entry = limiter, entry

    async def answered(self, *, ok: bool) -> None:
        await self._limiter.record_answer(self._entry, ok=ok)

    async def withdraw(self) -> None:
        await self._limiter.withdraw(self._entry)


class SlidingWindowLimiter:
    """At most ``limit`` requests counted in any ``window + margin`` seconds, within this process."""

    def __init__(
        self,
        limit: int,
        window: float = 1.0,
        margin: float = 0.01,
        jitter_cap: float = 0.5,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._limit, self._span, self._clock = limit, window + margin, clock
        self._model = ArrivalModel(jitter_cap)
        self._entries: list[_Entry] = []
        # FIFO: asyncio.Lock wakes waiters in order, so no request starves.
        self._lock = asyncio.Lock()

    async def acquire(self) -> Reservation:
        async with self._lock:
            while (wait := self._wait(self._clock.now())) > 0:
                await self._clock.sleep(wait)
            entry = _Entry(self._clock.now())
            self._entries.append(entry)
            return _Reservation(self, entry)

    def _wait(self, now: float) -> float:
        entries, expired = self._entries, self._model.expired
        # Sends are logged in clock order, so expired ones sit at the front (or, after a clock step, the
        # end); ``wait`` skips any it is handed, this only keeps the log short.
        old = 0
        while old < len(entries) and expired(entries[old].sent, now, self._span):
            old += 1
        del entries[:old]
        if entries and expired(entries[-1].sent, now, self._span):
            self._entries = entries = [entry for entry in entries if not expired(entry.sent, now, self._span)]
        return self._model.wait(
            [(entry.sent, entry.round_trip) for entry in entries], now, self._limit, self._span
        )

    async def record_answer(self, entry: _Entry, *, ok: bool) -> None:
        entry.round_trip = self._clock.now() - entry.sent
        if ok:
            self._model.observe(entry.round_trip)

    async def withdraw(self, entry: _Entry) -> None:
        self._entries = [kept for kept in self._entries if kept is not entry]


# One sequence per process, not per limiter: several clients in one process (one per step) share a log file,
# and (pid, sequence) must name one record for the answer and the withdrawal that patch it.
_SEQUENCE = itertools.count()


# Far longer than the gaps between a run's step processes (seconds), far shorter than the hours between
# scheduled runs. Within a long run, answers keep lowering (and so renewing) it, or the next one replaces it.
BASELINE_MAX_AGE = 600.0


class FileSlidingWindowLimiter:
    """The same log kept in a 0600 file under ``fcntl`` (``pacing_log``), shared by every process that opens
    ``path``."""

    # Expired records are dropped in one rewrite once this many pile up, not one by one on every send.
    _COMPACT_AFTER = 64

    def __init__(
        self,
        path: Path,
        limit: int,
        window: float = 1.0,
        margin: float = 0.01,
        jitter_cap: float = 0.5,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        ensure_private_directory(path.parent)
        self._path, self._limit, self._span, self._clock = path, limit, window + margin, clock
        self._model = ArrivalModel(jitter_cap)
        self._lock = asyncio.Lock()

    async def acquire(self) -> Reservation:
        async with self._lock:
            while True:
                async with locked_file(self._path) as state:
                    # Read the clock once the lock is held: a send time taken before waiting for the lock
                    # would log this request earlier than it leaves, opening the next window early.
                    now = self._clock.now()
                    log = pacing_log.read_log(state)
                    if (baseline := log.baseline(now, BASELINE_MAX_AGE)) is not None:
                        self._model.observe(baseline)
                    wait = self._model.wait(
                        [(sent, trip) for sent, trip, _, _ in log.records], now, self._limit, self._span
                    )
                    if wait == 0:
                        entry = _Entry(now, token=(os.getpid(), next(_SEQUENCE)))
                        self._log(state, log, (now, None, *entry.token))
                        return _Reservation(self, entry)
                await self._clock.sleep(wait)

    def _log(self, state: LockedFile, log: pacing_log.PacingLog, record: pacing_log.LogRecord) -> None:
        records, now, expired = log.records, record[0], self._model.expired
        # Sends are logged in clock order, so expired ones sit at the front: once the first batch's last one
        # has expired, the whole batch has (after a clock step, the filter still drops exactly the expired).
        if len(records) >= self._COMPACT_AFTER and expired(
            records[self._COMPACT_AFTER - 1][0], now, self._span
        ):
            live = [kept for kept in records if not expired(kept[0], now, self._span)]
            pacing_log.rewrite(state, log.fastest, [*live, record], fastest_at=log.fastest_at)
        else:
            pacing_log.append(state, record)

    async def record_answer(self, entry: _Entry, *, ok: bool) -> None:
        """Write the round trip of ``entry`` into the shared log (and a new fastest into its baseline), for
        every process's estimate."""
        entry.round_trip = self._clock.now() - entry.sent
        if ok:
            self._model.observe(entry.round_trip)
        async with locked_file(self._path) as state:
            pacing_log.record_round_trip(
                state, *entry.token, entry.round_trip, ok=ok, now=self._clock.now(), max_age=BASELINE_MAX_AGE
            )

    async def withdraw(self, entry: _Entry) -> None:
        async with locked_file(self._path) as state:
            log = pacing_log.read_log(state)
            kept = [record for record in log.records if (record[2], record[3]) != entry.token]
            pacing_log.rewrite(state, log.fastest, kept, fastest_at=log.fastest_at)


class _Reservations:
    def __init__(self, reservations: list[Reservation]) -> None:
        self._reservations = reservations

    async def answered(self, *, ok: bool) -> None:
        for reservation in self._reservations:
            await reservation.answered(ok=ok)

    async def withdraw(self) -> None:
        for reservation in self._reservations:
            await reservation.withdraw()


@dataclass
class Pacer:
    """The limiters every request of one client passes: all requests, and logins on top."""

    requests: RateLimiter
    logins: RateLimiter

    async def before_send(self, *, is_login: bool) -> Reservation:
        """Wait for the login limiter (logins only), then for the request limiter."""
        reservations = [await self.logins.acquire()] if is_login else []
        reservations.append(await self.requests.acquire())
        return _Reservations(reservations)

    @classmethod
    def build(
        cls,
        *,
        requests_per_second: int,
        logins_per_second: int,
        margin: float,
        jitter_cap: float,
        directory: Path | None,
        key_fingerprint: str,
        clock: Clock = SYSTEM_CLOCK,
    ) -> Pacer:
        """In-process limiters, or file-backed ones in ``directory`` keyed by the API key's fingerprint."""
        if directory is None:
            return cls(
                SlidingWindowLimiter(requests_per_second, 1.0, margin, jitter_cap, clock),
                SlidingWindowLimiter(logins_per_second, 1.0, margin, jitter_cap, clock),
            )
        return cls(
            FileSlidingWindowLimiter(
                directory / f"requests-{key_fingerprint}.log",
                requests_per_second,
                1.0,
                margin,
                jitter_cap,
                clock,
            ),
            FileSlidingWindowLimiter(
                directory / f"logins-{key_fingerprint}.log",
                logins_per_second,
                1.0,
                margin,
                jitter_cap,
                clock,
            ),
        )
