"""Per-request latency (``latency.py``): distributions, seeding, and sleeping without blocking the server."""

from __future__ import annotations

import threading
import time

import httpx

from capital_pipeline.simulator import SimulatorConfig
from capital_pipeline.simulator.latency import LatencyModel


def test_fixed_latency_is_the_mean() -> None:
    assert LatencyModel(SimulatorConfig(latency_ms=150)).delay_seconds() == 0.15


def test_uniform_latency_stays_within_the_spread_and_repeats_by_seed() -> None:
    config = SimulatorConfig(latency_ms=100, latency_distribution="uniform", latency_spread_ms=50, seed=7)
    model, again = LatencyModel(config), LatencyModel(config)
    delays = [model.delay_seconds() for _ in range(200)]
    assert delays == [again.delay_seconds() for _ in range(200)]
    assert all(0.05 <= delay <= 0.15 for delay in delays) and len(set(delays)) > 100


def test_normal_latency_is_never_negative() -> None:
    config = SimulatorConfig(latency_ms=5, latency_distribution="normal", latency_spread_ms=50)
    model = LatencyModel(config)
    delays = [model.delay_seconds() for _ in range(500)]
    assert min(delays) == 0.0 and max(delays) > 0.005


def test_latency_delays_api_answers_without_blocking_the_server(start_simulator) -> None:
    simulator = start_simulator(latency_ms=1500)
    finished = threading.Event()

    def slow_call() -> None:
        httpx.get(simulator.api_url + "/time", timeout=30)
        finished.set()

    caller = threading.Thread(target=slow_call)
    started = time.monotonic()
    caller.start()
    while simulator.stats()["requests_total"] == 0:  # the control endpoints are never delayed
        time.sleep(0.01)
    assert not finished.is_set()  # the server answered us while the API call was still sleeping
    caller.join(30)
    assert finished.is_set() and time.monotonic() - started >= 1.5
