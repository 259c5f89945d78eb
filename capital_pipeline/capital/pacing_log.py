"""The shared pacing log on disk: fixed-size binary records, so a request costs a read and a small write.

It was a JSON list rewritten whole on every send and every answer: at 200 requests per second that list holds
~300 entries, and the limiter took ~1.2 ms of CPU per request (a third of the client's CPU at 30 times scale;
now ~0.14 ms).
Now a send appends one 32-byte record, an answer overwrites 8 bytes in place, and the file is compacted only
once enough expired records pile up. Callers hold the file's ``fcntl`` lock (``private_files.locked_file``).

The first record may instead hold the fastest successful round trip any process logged for this key and
when it was last lowered (in its ``sent`` field): the baseline of every arrival estimate
(``pacing.ArrivalModel``), kept through compactions and across processes, so a process starting on a busy
machine, whose first answers are all slow, does not take slowness for the baseline. Past ``max_age`` without
being lowered it is replaced by the next successful answer: a baseline from a faster network days ago would
hold every slot longer for good (at 20 ms then 200 ms round trips, the pace 15% under the limit).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import NamedTuple

from capital_pipeline.capital.private_files import LockedFile

__all__ = ["LogRecord", "PacingLog", "append", "read_log", "record_round_trip", "rewrite"]

# sent (epoch s), round trip (s, -1 while unanswered), pid, per-process sequence number.
_RECORD = struct.Struct("<ddqq")
_TOKEN = struct.Struct("<qq")
_TOKEN_OFFSET = 16
_TRIP_OFFSET = 8
_UNANSWERED = -1.0
# The baseline record's token: no client process has pid 0.
_FASTEST_TOKEN = (0, 0)

LogRecord = tuple[float, float | None, int, int]


class PacingLog(NamedTuple):
    """The fastest successful round trip logged (None before the first), the sends in log order, and when the
    baseline was last lowered (epoch s; 0.0 in a log written before baselines had a time)."""

    fastest: float | None
    records: list[LogRecord]
    fastest_at: float = 0.0

    def baseline(self, now: float, max_age: float) -> float | None:
        """``fastest``, if it was lowered within ``max_age`` before ``now``."""
        return self.fastest if self.fastest is not None and _recent(self.fastest_at, now, max_age) else None


def _recent(moment: float, now: float, max_age: float) -> bool:
    # A moment ahead of ``now`` comes from another clock (a reboot, a clock step): not recent either.
    return now - max_age <= moment <= now


def read_log(state: LockedFile) -> PacingLog:
    """The baseline and every send. A file that is not whole records (damaged, or the older JSON format) is
    emptied: a damaged log must not wedge every run, and appending to it would misalign every later record."""
    data = state.read_bytes()
    if len(data) % _RECORD.size:
        state.write_bytes(b"")
        return PacingLog(None, [])
    records = [
        (sent, None if trip < 0 else trip, pid, sequence)
        for sent, trip, pid, sequence in _RECORD.iter_unpack(data)
    ]
    if records and records[0][2:] == _FASTEST_TOKEN:
        return PacingLog(records[0][1], records[1:], records[0][0])
    return PacingLog(None, records)


def append(state: LockedFile, record: LogRecord) -> None:
    """Add one record at the end."""
    state.append_bytes(_pack(record))


def rewrite(
    state: LockedFile, fastest: float | None, records: Iterable[LogRecord], *, fastest_at: float = 0.0
) -> None:
    """Replace the whole log (compaction, withdrawals, recovery from a damaged file), keeping ``fastest``."""
    baseline = [] if fastest is None else [_pack((fastest_at, fastest, *_FASTEST_TOKEN))]
    state.write_bytes(b"".join([*baseline, *map(_pack, records)]))


def record_round_trip(
    state: LockedFile,
    pid: int,
    sequence: int,
    round_trip: float,
    *,
    ok: bool,
    now: float,
    max_age: float,
) -> None:
    """Write ``round_trip`` into the record of (``pid``, ``sequence``), if it is still in the log; if the
    request succeeded, lower the baseline to it, or make it the baseline if not lowered in ``max_age``."""
    data = state.read_bytes()
    token = _TOKEN.pack(pid, sequence)
    start = 0
    while (found := data.find(token, start)) >= 0:
        if found % _RECORD.size == _TOKEN_OFFSET:
            state.write_at(found - _TOKEN_OFFSET + _TRIP_OFFSET, struct.pack("<d", round_trip))
            break
        start = found + 1
    if not ok or len(data) % _RECORD.size:
        return
    first = _RECORD.unpack_from(data) if data else None
    if first is not None and first[2:] == _FASTEST_TOKEN:
        if round_trip < first[1] or not _recent(first[0], now, max_age):
            state.write_at(0, struct.pack("<dd", now, round_trip))
    else:
        # No baseline yet (a new or emptied log): the one rewrite that puts it first.
        log = read_log(state)
        rewrite(state, round_trip, log.records, fastest_at=now)


def _pack(record: LogRecord) -> bytes:
    sent, trip, pid, sequence = record
    return _RECORD.pack(sent, _UNANSWERED if trip is None else trip, pid, sequence)
