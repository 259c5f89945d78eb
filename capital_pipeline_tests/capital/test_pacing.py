"""Pacing: at most N sends in any rolling window plus margin, in one process or across processes."""

from __future__ import annotations

import asyncio
import itertools
import math
import os
import random
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from capital_pipeline.capital import pacing_log
from capital_pipeline.capital.pacing import (
    BASELINE_MAX_AGE,
    ArrivalModel,
    FileSlidingWindowLimiter,
    Pacer,
    SlidingWindowLimiter,
)
from capital_pipeline.capital.private_files import LockedFile
from capital_pipeline_tests.capital.fake_api import FakeClock


def read_log(path: Path) -> pacing_log.PacingLog:
    descriptor = os.open(path, os.O_RDWR)
    try:
        return pacing_log.read_log(LockedFile(descriptor))
    finally:
        os.close(descriptor)


def write_log(path: Path, records: list[pacing_log.LogRecord], fastest: float | None = None) -> None:
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        pacing_log.rewrite(LockedFile(descriptor), fastest, records)
    finally:
        os.close(descriptor)


def max_in_any_window(moments: list[float], window: float) -> int:
    """The most moments inside any closed interval of length ``window`` (stricter than the simulator)."""
    moments = sorted(moments)
    return max(sum(1 for other in moments[i:] if other - first <= window) for i, first in enumerate(moments))


async def acquire_many(limiter, clock: FakeClock, count: int) -> list[float]:
    """Send ``count`` requests through ``limiter``, each answered at once; their send times."""
    sent: list[float] = []

    async def one() -> None:
        reservation = await limiter.acquire()
        sent.append(clock.now())
        await reservation.answered(ok=True)

    await asyncio.gather(*(one() for _ in range(count)))
    return sent


@pytest.mark.anyio
async def test_no_window_of_one_second_ever_holds_more_than_the_limit() -> None:
    clock = FakeClock()
    sent = await acquire_many(SlidingWindowLimiter(10, margin=0.02, clock=clock), clock, 45)
    assert max_in_any_window(sent, 1.0) == 10
    # Answered as fast as ever: a send and the tenth after it are exactly the window plus the margin apart.
    assert min(b - a for a, b in zip(sorted(sent), sorted(sent)[10:], strict=False)) == pytest.approx(1.02)


@pytest.mark.anyio
async def test_a_burst_of_the_limit_leaves_at_once_and_the_rest_at_full_pace() -> None:
    clock = FakeClock()
    start = clock.now()
    sent = await acquire_many(SlidingWindowLimiter(10, margin=0.02, clock=clock), clock, 30)
    assert sorted(sent)[:10] == [start] * 10
    assert max(sent) - start == pytest.approx(2 * 1.02)


@pytest.mark.anyio
async def test_an_answer_slower_than_the_fastest_holds_its_slot_that_much_longer() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(2, margin=0.0, jitter_cap=0.1, clock=clock)
    quick = await limiter.acquire()
    clock.time += 0.15
    await quick.answered(ok=True)  # the fastest round trip: 150 ms
    slow = await limiter.acquire()
    clock.time += 0.19
    await slow.answered(ok=True)  # 40 ms beyond the fastest: it may have been counted 40 ms late
    third = clock.now()
    await limiter.acquire()  # waits for the quick one's slot: its send + 1 s
    fourth_start = clock.now()
    await limiter.acquire()  # waits for the slow one's slot: its send + 1 s + 40 ms
    assert clock.now() - fourth_start == pytest.approx(0.15 + 0.04)
    assert clock.now() > third


@pytest.mark.anyio
async def test_a_request_never_answered_holds_its_slot_at_most_the_jitter_cap_longer() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(1, margin=0.0, jitter_cap=0.1, clock=clock)
    start = clock.now()
    await limiter.acquire()
    await limiter.acquire()
    assert clock.now() - start == pytest.approx(1.1)


async def send_answered_after(
    limiter, clock: FakeClock, count: int, round_trip: float, *, ok: bool = True
) -> float:
    """Send ``count`` requests through ``limiter``, answer them all ``round_trip`` later; when they left."""
    reservations = [await limiter.acquire() for _ in range(count)]
    sent = clock.now()
    clock.time += round_trip
    for reservation in reservations:
        await reservation.answered(ok=ok)
    return sent


@pytest.mark.anyio
async def test_a_long_run_of_slow_answers_never_raises_the_baseline_of_the_arrival_estimate() -> None:
    # A busy machine slows every answer for a while: the fastest answer seen before still says how late a
    # slow one may have been counted (the last 64 answers alone would have taken 310 ms for no delay at all).
    clock = FakeClock()
    limiter = SlidingWindowLimiter(10, margin=0.01, clock=clock)
    await send_answered_after(limiter, clock, 1, 0.15)
    for _ in range(10):
        await send_answered_after(limiter, clock, 10, 0.31)
    clock.time += 5.0
    burst = await send_answered_after(limiter, clock, 10, 0.31)
    await limiter.acquire()
    assert clock.now() - burst == pytest.approx(0.16 + 1.01, abs=1e-6)


@pytest.mark.anyio
async def test_a_new_process_takes_the_fastest_answer_logged_before_it_as_baseline(tmp_path: Path) -> None:
    # A step process starting late on a busy machine: its first ten requests open new connections and are all
    # counted up to 160 ms late (310 ms answers where 150 ms is the fastest an earlier process logged, long
    # since compacted away). The eleventh waits for the first ten's arrivals, not their sends, to leave.
    clock = FakeClock()
    state = tmp_path / "pacing" / "requests-abc.log"
    earlier = FileSlidingWindowLimiter(state, 10, margin=0.01, clock=clock)
    for _ in range(7):
        await send_answered_after(earlier, clock, 10, 0.15)
    clock.time += 60.0
    later = FileSlidingWindowLimiter(state, 10, margin=0.01, clock=clock)
    burst = await send_answered_after(later, clock, 10, 0.31)
    assert len(read_log(state).records) == 10  # the earlier process's sends are gone
    await later.acquire()
    assert clock.now() - burst == pytest.approx(0.16 + 1.01, abs=1e-6)
    assert read_log(state).fastest == pytest.approx(0.15)


@pytest.mark.anyio
async def test_a_baseline_not_lowered_for_its_max_age_gives_way_to_the_next_answer(tmp_path: Path) -> None:
    # Yesterday's run on a fast network logged 20 ms; today every answer takes 200 ms. Kept, that baseline
    # would hold every slot 180 ms longer for good (the pace 15% under the limit); past its age the next
    # successful answer replaces it, and the eleventh request waits for the window alone.
    clock = FakeClock()
    state = tmp_path / "pacing" / "requests-abc.log"
    await send_answered_after(FileSlidingWindowLimiter(state, 10, margin=0.01, clock=clock), clock, 1, 0.02)
    assert read_log(state).fastest_at == pytest.approx(clock.now())
    clock.time += BASELINE_MAX_AGE + 1.0
    later = FileSlidingWindowLimiter(state, 10, margin=0.01, clock=clock)
    first = await send_answered_after(later, clock, 10, 0.2)
    assert (read_log(state).fastest, read_log(state).fastest_at) == (pytest.approx(0.2), clock.now())
    await later.acquire()
    assert clock.now() - first == pytest.approx(1.01, abs=1e-6)


@pytest.mark.anyio
async def test_only_successful_answers_lower_the_logged_baseline(tmp_path: Path) -> None:
    clock = FakeClock()
    state = tmp_path / "pacing" / "requests-abc.log"
    limiter = FileSlidingWindowLimiter(state, 10, clock=clock)
    await send_answered_after(limiter, clock, 1, 0.3, ok=False)
    assert read_log(state).fastest is None
    await send_answered_after(limiter, clock, 1, 0.2)
    await send_answered_after(limiter, clock, 1, 0.001, ok=False)  # a connection refused at once
    await send_answered_after(limiter, clock, 1, 0.25)
    assert read_log(state).fastest == pytest.approx(0.2)


@pytest.mark.anyio
async def test_compactions_and_withdrawals_keep_the_logged_baseline(tmp_path: Path) -> None:
    clock = FakeClock()
    state = tmp_path / "pacing" / "requests-abc.log"
    limiter = FileSlidingWindowLimiter(state, 10, jitter_cap=0.5, clock=clock)
    await send_answered_after(limiter, clock, 1, 0.12)
    for _ in range(200):
        await send_answered_after(limiter, clock, 1, 0.3)
    await (await limiter.acquire()).withdraw()
    fastest, records, _ = read_log(state)
    assert fastest == pytest.approx(0.12)
    assert len(records) <= 16 + FileSlidingWindowLimiter._COMPACT_AFTER
    assert all(pid == os.getpid() for _, _, pid, _ in records)


def most_in_any_window(moments: list[float], window: float) -> int:
    """``max_in_any_window`` in one pass over the sorted moments, for thousands of them."""
    moments, first, most = sorted(moments), 0, 0
    for last, moment in enumerate(moments):
        while moment - moments[first] > window:
            first += 1
        most = max(most, last - first + 1)
    return most


@pytest.mark.anyio
@pytest.mark.parametrize("shared", [False, True], ids=["in-process", "file"])
@pytest.mark.parametrize(
    ("answered", "wakeups"),
    # Answered at once (0 ms latency), the first 2,000 free the window together. Never answered, they hold
    # it until the jitter cap: woken at 1.01 and 2.02 s still in flight, then once more at 3.01 s.
    [(True, [1.01]), (False, [1.01, 1.01, 0.99])],
    ids=["answered", "in-flight"],
)
async def test_an_extreme_rate_wakes_the_limiter_once_per_window_it_waits_for(
    shared: bool, answered: bool, wakeups: list[float], tmp_path: Path
) -> None:
    # A client at 2,000 requests per second once made no visible progress for 19 minutes at 100% CPU: a
    # limiter that re-checks in tiny steps (a busy loop) or waits past its window would show here.
    clock = FakeClock()
    state = tmp_path / "pacing" / "requests-abc.log"
    settings = {"limit": 2000, "margin": 0.01, "jitter_cap": 2.0, "clock": clock}
    limiter = FileSlidingWindowLimiter(state, **settings) if shared else SlidingWindowLimiter(**settings)
    start = clock.now()
    reservations = [await limiter.acquire() for _ in range(2000)]
    if answered:
        for reservation in reservations:
            await reservation.answered(ok=True)
    sent = [start] * 2000 + [(await limiter.acquire(), clock.now())[1] for _ in range(500)]
    assert clock.sleeps == pytest.approx(wakeups, abs=1e-6)
    assert sent[2000:] == [start + sum(wakeups)] * 500
    assert most_in_any_window(sent, 1.0) == 2000


@pytest.mark.anyio
async def test_file_limiters_in_the_same_directory_share_one_budget(tmp_path: Path) -> None:
    clock = FakeClock()
    state = tmp_path / "pacing" / "requests-abc.log"
    first = FileSlidingWindowLimiter(state, 10, margin=0.02, clock=clock)
    second = FileSlidingWindowLimiter(state, 10, margin=0.02, clock=clock)
    sent = await asyncio.gather(acquire_many(first, clock, 20), acquire_many(second, clock, 20))
    assert max_in_any_window(sent[0] + sent[1], 1.0) == 10


@pytest.mark.anyio
async def test_file_limiter_state_is_private_to_its_owner(tmp_path: Path) -> None:
    directory = tmp_path / "pacing"
    directory.mkdir(mode=0o755)
    limiter = FileSlidingWindowLimiter(directory / "requests-abc.log", 10, clock=FakeClock())
    await limiter.acquire()
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(directory / "requests-abc.log").st_mode) == 0o600


@pytest.mark.anyio
async def test_a_damaged_state_file_starts_a_fresh_log(tmp_path: Path) -> None:
    state = tmp_path / "pacing" / "requests-abc.log"
    limiter = FileSlidingWindowLimiter(state, 10, clock=FakeClock())
    state.write_text('[[1700000000.0, 0.1, "a JSON log of an older version"]]')
    await limiter.acquire()
    assert len(read_log(state).records) == 1


@pytest.mark.anyio
async def test_a_file_limiter_shares_round_trips_with_the_other_processes(tmp_path: Path) -> None:
    clock = FakeClock()
    state = tmp_path / "pacing" / "requests-abc.log"
    reservation = await FileSlidingWindowLimiter(state, 10, clock=clock).acquire()
    clock.time += 0.2
    await reservation.answered(ok=True)
    fastest, ((sent, round_trip, pid, _),), _ = read_log(state)
    assert (sent, round_trip) == (pytest.approx(clock.now() - 0.2, abs=1e-6), pytest.approx(0.2))
    assert pid == os.getpid()
    assert fastest == pytest.approx(0.2)


@pytest.mark.anyio
async def test_a_long_run_keeps_the_file_log_bounded_by_compacting_expired_sends(tmp_path: Path) -> None:
    clock = FakeClock()
    state = tmp_path / "pacing" / "requests-abc.log"
    limiter = FileSlidingWindowLimiter(state, 10, jitter_cap=0.5, clock=clock)
    for _ in range(999):
        await (await limiter.acquire()).answered(ok=True)
    last = await limiter.acquire()
    records = read_log(state).records
    # Ten per second kept for window + margin + jitter cap (1.51 s), plus one batch due for compaction.
    assert len(records) <= 16 + FileSlidingWindowLimiter._COMPACT_AFTER
    assert [sequence for *_, sequence in records] == sorted(sequence for *_, sequence in records)
    assert (records[-1][2], records[-1][3]) == last._entry.token  # type: ignore[attr-defined]


@pytest.mark.anyio
async def test_send_times_from_a_clock_far_ahead_are_dropped_not_waited_for(tmp_path: Path) -> None:
    clock = FakeClock()
    state = tmp_path / "pacing" / "requests-abc.log"
    limiter = FileSlidingWindowLimiter(state, 2, clock=clock)
    write_log(state, [(clock.now() + 3600.0, 0.1, 1, sequence) for sequence in range(2)])
    await limiter.acquire()
    assert clock.sleeps == []


@pytest.mark.anyio
async def test_pacer_keys_files_by_fingerprint_never_by_api_key(tmp_path: Path) -> None:
    clock = FakeClock()
    pacer = Pacer.build(
        requests_per_second=10,
        logins_per_second=1,
        margin=0.02,
        jitter_cap=0.1,
        directory=tmp_path,
        key_fingerprint="f00d",
        clock=clock,
    )
    await pacer.before_send(is_login=True)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["logins-f00d.log", "requests-f00d.log"]


@pytest.mark.anyio
async def test_logins_wait_for_the_login_limiter_as_well() -> None:
    clock = FakeClock()
    pacer = Pacer.build(
        requests_per_second=10,
        logins_per_second=1,
        margin=0.02,
        jitter_cap=0.1,
        directory=None,
        key_fingerprint="f",
        clock=clock,
    )
    moments = []
    for _ in range(3):
        reservation = await pacer.before_send(is_login=True)
        moments.append(clock.now())
        await reservation.answered(ok=True)
    assert [round(b - a, 3) for a, b in itertools.pairwise(moments)] == [1.02, 1.02]


_WORKER = """
import asyncio, sys, time
from pathlib import Path
from capital_pipeline.capital.pacing import FileSlidingWindowLimiter

async def main():
    limiter = FileSlidingWindowLimiter(Path(sys.argv[1]), 5, margin=0.02)
    for _ in range(6):
        reservation = await limiter.acquire()
        print(time.time(), flush=True)
        await reservation.answered(ok=True)

asyncio.run(main())
"""


@pytest.mark.slow
def test_processes_sharing_a_state_file_never_exceed_the_limit_together(tmp_path: Path) -> None:
    state = tmp_path / "pacing" / "requests-shared.log"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(state)], stdout=subprocess.PIPE, text=True, env=env
        )
        for _ in range(2)
    ]
    moments = [float(line) for worker in workers for line in worker.communicate(timeout=60)[0].split()]
    assert all(worker.returncode == 0 for worker in workers)
    assert len(moments) == 12
    assert max_in_any_window(moments, 1.0) <= 5


@pytest.mark.anyio
async def test_the_fastest_answer_any_process_logged_bounds_the_arrival_estimate(tmp_path: Path) -> None:
    # This process saw only slow answers (starved of CPU, it read them late); another process logged a 50 ms
    # one. A 400 ms answer may then have reached the server up to 350 ms after it was sent, not 100 ms.
    clock = FakeClock()
    state = tmp_path / "pacing" / "requests-abc.log"
    this = FileSlidingWindowLimiter(state, 1, margin=0.0, clock=clock)
    other = FileSlidingWindowLimiter(state, 1, margin=0.0, clock=clock)
    await send_answered_after(this, clock, 1, 0.3)
    clock.time += 5.0
    await send_answered_after(other, clock, 1, 0.05)
    clock.time += 5.0
    sent = await send_answered_after(this, clock, 1, 0.4)
    await this.acquire()
    assert clock.now() - sent == pytest.approx(0.35 + 1.0, abs=1e-6)


def wait_by_definition(
    model: ArrivalModel, logged: list[tuple[float, float | None]], now: float, limit: int, span: float
) -> float:
    """The module docstring's rule, one send at a time: the reference ``ArrivalModel.wait`` must equal."""
    fastest = 0.0 if model.fastest == math.inf else model.fastest
    window_start = now - span
    counted = []
    for sent, round_trip in logged:
        if window_start - model.jitter_cap < sent <= now + span:
            elapsed = round_trip if round_trip is not None else now - sent
            arrival = sent + min(max(0.0, elapsed - fastest), model.jitter_cap)
            if arrival > window_start:
                counted.append(arrival)
    if len(counted) < limit:
        return 0.0
    return max(sorted(counted)[-limit] + span - now, 1e-6)


def test_the_arrival_model_waits_exactly_as_its_definition_on_random_logs() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        model = ArrivalModel(rng.choice([0.0, 0.1, 2.0]))
        for _ in range(rng.randrange(5)):
            model.observe(rng.random())
        now = rng.uniform(0, 10)
        logged = [
            (rng.uniform(-5, 15), rng.choice([None, rng.random() * 3])) for _ in range(rng.randrange(40))
        ]
        limit, span = rng.randrange(1, 20), rng.choice([1.0, 1.01])
        assert model.wait(logged, now, limit, span) == wait_by_definition(model, logged, now, limit, span)
