"""The client's crawl (client_crawl's minimal plan) at x1, x3, x10 and x30, and what the machine spent on it.

The issue's scale target: at x30 the client's ratio to the bound should stay within 5% of x1's, with the
simulator's and the client's limit raised together so a run lasts minutes. At 200 requests/s the
markets requests alone bring 10,000 market details a second to parse and shape (~130-170 us of the client's
CPU each), more than the client's one event-loop thread can do, so that phase runs at the thread's speed,
not at the API's limit. Each scale is therefore run at each rate in ``RATES``, and every row prints the CPU
both processes used (seconds, and cores busy over the wall time).

The market details are shaped as the markets step shapes them (``MarketRows``: each detail's row written to
a Parquet file as its batch arrives, no record kept): keeping 95,000 parsed records instead, as client_crawl
does at x1, costs the x30 crawl ~10 s of garbage collection pauses (21 full collections, up to 1.6 s each)
that no run has. x1 is also run at the real limit (10/s), the issue's reference figure. Latency 150 ms.
``BENCH_CLIENT_SCALES=1,3`` and ``BENCH_CLIENT_RATES=50`` narrow the table.
"""

from __future__ import annotations

import asyncio
import math
import os
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from benchmarks import _scorecard
from benchmarks._machine import cpu_seconds, numbers_from_env
from benchmarks.client_crawl import LATENCY_MS, credentials, minimal_plan, snapshot
from capital_pipeline.capital import CapitalClient, ClientSettings
from capital_pipeline.simulator import SimulatorConfig, run_simulator
from capital_pipeline.snapshot.market_rows import MarketRows

REAL_RATE = 10
RATES = (50, 200)
SCALES = (1, 3, 10, 30)


@dataclass(frozen=True)
class Crawl:
    scale: int
    rate: int
    requests: int
    plan: int
    wall: float
    client_cpu: float
    simulator_cpu: float
    too_many: int

    @property
    def bound(self) -> float:
        return self.requests / self.rate


def crawl(scale: int, rate: int) -> Crawl:
    """One minimal-plan snapshot by the client against a simulator of ``scale`` at ``rate`` (own process)."""
    config = SimulatorConfig(scale=scale, latency_ms=LATENCY_MS, rate_limit=rate)
    with run_simulator(config, in_subprocess=True) as sim:

        async def timed() -> Crawl:
            settings = ClientSettings(sim.base_url, requests_per_second=rate)
            async with CapitalClient(credentials(sim), settings) as client:
                rows = MarketRows(directory / "markets.parquet")
                simulator, cpu, started = cpu_seconds(sim.pid), time.process_time(), time.perf_counter()
                sizes = await snapshot(client, shape=rows)
                rows.close()
                wall = time.perf_counter() - started
                return Crawl(
                    scale=scale,
                    rate=rate,
                    requests=client.stats.total,
                    plan=minimal_plan(sizes, math.ceil(sizes["epics"] / 50)),
                    wall=wall,
                    client_cpu=time.process_time() - cpu,
                    simulator_cpu=cpu_seconds(sim.pid) - simulator,
                    too_many=0,
                )

        with tempfile.TemporaryDirectory(prefix="bench-client-scale-") as temporary:
            directory = Path(temporary)
            result = asyncio.run(timed())
        return replace(result, too_many=sim.stats()["too_many_requests"])


def print_crawls(crawls: list[Crawl], reference: Crawl) -> None:
    print(
        f"{'scale':>5} {'rate':>5} {'requests/plan':>19} {'429s':>4} {'wall s':>7} {'bound s':>7} "
        f"{'wall/bound':>10} {'vs x1 10/s':>10} {'client CPU s':>12} {'cores':>5} "
        f"{'sim CPU s':>9} {'cores':>5}"
    )
    for run in crawls:
        ratio = run.wall / run.bound
        print(
            f"{f'x{run.scale}':>5} {run.rate:>5} "
            f"{f'{run.requests}/{run.plan}={run.requests / run.plan:.3f}':>19} {run.too_many:>4} "
            f"{run.wall:>7.2f} {run.bound:>7.2f} {ratio:>10.3f} "
            f"{ratio / (reference.wall / reference.bound):>10.3f} "
            f"{run.client_cpu:>12.1f} {run.client_cpu / run.wall:>5.2f} "
            f"{run.simulator_cpu:>9.1f} {run.simulator_cpu / run.wall:>5.2f}"
        )


def main() -> None:
    print(f"load average (1 min) before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    reference = crawl(1, REAL_RATE)
    crawls = [reference]
    for rate in numbers_from_env("BENCH_CLIENT_RATES", RATES):
        crawls += [crawl(scale, rate) for scale in numbers_from_env("BENCH_CLIENT_SCALES", SCALES)]
    print_crawls(crawls, reference)
    print(f"load average (1 min) after: {os.getloadavg()[0]:.2f}")
    score_crawls(crawls, reference)


TARGET_SCALE = 30


def score_crawls(crawls: list[Crawl], reference: Crawl) -> None:
    """For the closing scorecard: each rate's largest crawl against x1 at the real limit (within 5%)."""
    at_x1 = reference.wall / reference.bound
    for rate in dict.fromkeys(run.rate for run in crawls[1:]):
        largest = max((run for run in crawls[1:] if run.rate == rate), key=lambda run: run.scale)
        ratio = largest.wall / largest.bound
        _scorecard.record(
            "client_scale",
            f"client crawl x{largest.scale} at {rate}/s: wall ÷ bound (x1 at {REAL_RATE}/s: {at_x1:.3f})",
            f"{ratio:.3f} (÷ x1 = {ratio / at_x1:.3f}; client {largest.client_cpu / largest.wall:.2f} cores)",
            f"x{TARGET_SCALE} within 5% of x1",
            _scorecard.within(ratio, at_x1, 0.05) if largest.scale == TARGET_SCALE else None,
        )
