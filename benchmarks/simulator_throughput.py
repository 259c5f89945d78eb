"""How many requests per second the simulator serves at zero latency (target: at least 300 on 2 cores).

The simulator runs in a subprocess of its own; this process is the client (httpx), so the two do not share a
GIL. Limits are raised so nothing is refused: this measures the server, not the rate limiter. Besides the
rate the client saw, the table shows the server's own CPU time per request (from /proc), which says how far
the server is from being the bottleneck: one core sustains about 1000 / (CPU ms per request) requests/s.
"""

from __future__ import annotations

import asyncio
import time

import httpx

from benchmarks import _scorecard
from benchmarks._machine import cpu_seconds
from capital_pipeline.simulator import SimulatorConfig, SimulatorHandle, run_simulator

REQUESTS = 2000


def _mixes(simulator: SimulatorHandle) -> dict[str, list[str]]:
    truth = simulator.universe()
    leaf = max((node for node in truth["nodes"] if not node["children"]), key=lambda node: len(node["epics"]))
    epics = list(truth["markets"])
    return {
        "GET /ping": ["/ping"],
        "GET /markets/{epic}": [f"/markets/{epic}" for epic in epics[:200]],
        f"GET /marketnavigation (leaf, {min(len(leaf['epics']), 500)} markets)": [
            f"/marketnavigation/{leaf['id']}"
        ],
        "GET /markets?epics= (50 epics)": [
            "/markets?epics=" + ",".join(epics[i : i + 50]) for i in (0, 50, 100)
        ],
    }


async def _run(api_url: str, tokens: dict[str, str], paths: list[str], concurrency: int) -> float:
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=api_url, headers=tokens, limits=limits, timeout=30) as client:
        pending = list(range(REQUESTS))

        async def worker() -> None:
            while pending:
                index = pending.pop()
                response = await client.get(paths[index % len(paths)])
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started


def main() -> None:
    config = SimulatorConfig(rate_limit=1_000_000, login_rate_limit=1000)
    with run_simulator(config, in_subprocess=True) as simulator:
        credentials = simulator.credentials
        login = httpx.post(
            simulator.api_url + "/session",
            json={"identifier": credentials.identifier, "password": credentials.password},
            headers={"X-CAP-API-KEY": credentials.api_key},
        )
        tokens = {name: login.headers[name] for name in ("CST", "X-SECURITY-TOKEN")}
        print(f"{'request mix':<45} | conns | requests | seconds | req/s | server CPU ms/req")
        rates: dict[str, float] = {}
        for name, paths in _mixes(simulator).items():
            for concurrency in (1, 4):
                cpu_before = cpu_seconds(simulator.pid)
                seconds = asyncio.run(_run(simulator.api_url, tokens, paths, concurrency))
                cpu_ms = (cpu_seconds(simulator.pid) - cpu_before) * 1000 / REQUESTS
                figures = f"{REQUESTS:>8} | {seconds:>7.2f} | {REQUESTS / seconds:>5.0f} | {cpu_ms:>17.2f}"
                print(f"{name:<45} | {concurrency:>5} | {figures}")
                rates[f"{name}, {concurrency} connection(s)"] = REQUESTS / seconds
        print(f"statuses seen by the simulator: {simulator.stats()['statuses']}")
    slowest = min(rates, key=rates.__getitem__)
    _scorecard.record(
        "simulator_throughput",
        f"simulator at zero latency, slowest mix ({slowest})",
        f"{rates[slowest]:,.0f} requests/s",
        "≥ 300 requests/s",
        _scorecard.at_least(rates[slowest], 300),
    )
