"""A full reference snapshot through the client, against the simulator at the real pace, and a plain wrapper.

The simulator runs in its own process (no shared GIL) with strict limits (10 requests per second per user,
counted over any rolling second), at 50, 150 and 400 ms latency in turn (one simulator, its latency changed
between snapshots). Our client does the minimal request plan: encryption key,
login; then, side by side, accounts and a preferences read per account with the switches between them (on
forked tokens; the other requests wait while the chain is away from the session's account, since a switch
may move the whole session), the navigation tree, watchlists, and market details in batches of 50. The
baseline does the same work the way an ordinary wrapper does it, one request after another and one epic per
call; it is timed on a sample of epics at 150 ms and extrapolated.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from typing import Any

from benchmarks import _scorecard
from capital_pipeline.capital import CapitalClient, ClientSettings, Credentials, MarketDetails
from capital_pipeline.capital.markets import itself
from capital_pipeline.simulator import SimulatorConfig, SimulatorHandle, run_simulator

LATENCY_MS = 150.0
LATENCIES_MS = (50.0, LATENCY_MS, 400.0)
RATE = 10
BASELINE_SAMPLE = 200
OTHER_SAMPLE = 50


def credentials(sim: SimulatorHandle) -> Credentials:
    return Credentials(sim.credentials.api_key, sim.credentials.identifier, sim.credentials.password)


async def snapshot(client: CapitalClient, shape: Callable[[MarketDetails], Any] = itself) -> dict[str, int]:
    """The pipeline's request plan; returns the sizes it depends on (accounts, nodes, epics, watchlists).

    Only the login comes first: the accounts chain switches on forked tokens (``preferences_of``), so the
    session stays on its account and the crawl runs beside the chain instead of after its ~8 round trips."""
    await client.login()

    async def account_count() -> int:
        accounts = await client.accounts()
        await client.preferences_of([account.account_id for account in accounts])
        return len(accounts)

    async def watchlist_epics() -> tuple[int, set[str]]:
        lists = await client.watchlists()
        members = await asyncio.gather(*(client.watchlist_markets(w.watchlist_id) for w in lists))
        return len(lists), {market.epic for markets in members for market in markets}

    async def markets() -> tuple[int, int, int]:
        crawl, (watchlists, listed) = await asyncio.gather(client.crawl_navigation(), watchlist_epics())
        epics = set(crawl.markets) | listed
        await client.market_details(sorted(epics), shape=shape)
        return len(crawl.nodes), len(epics), watchlists

    accounts, (nodes, epics, watchlists) = await asyncio.gather(account_count(), markets())
    return {
        "accounts": accounts,
        "nodes": nodes,
        "epics": epics,
        "watchlists": watchlists,
    }


def minimal_plan(sizes: dict[str, int], epic_calls: int) -> int:
    """2 + 1 + 2A + 1 + N + epic calls + 1 + W (the issue's request plan)."""
    return 2 + 1 + 2 * sizes["accounts"] + 1 + sizes["nodes"] + epic_calls + 1 + sizes["watchlists"]


async def timed_snapshot(sim: SimulatorHandle) -> tuple[dict[str, int], dict[str, Any], float]:
    async with CapitalClient(credentials(sim), ClientSettings(sim.base_url)) as client:
        started = time.perf_counter()
        sizes = await snapshot(client)
        elapsed = time.perf_counter() - started
        return sizes, client.stats.as_dict(), elapsed


async def sequential_epic_seconds(sim: SimulatorHandle, epics: list[str]) -> float:
    """Seconds per request of an ordinary wrapper: awaited one at a time, one epic per call."""
    async with CapitalClient(credentials(sim), ClientSettings(sim.base_url)) as client:
        await client.login()
        started = time.perf_counter()
        for epic in epics:
            await client.market(epic)
        return (time.perf_counter() - started) / len(epics)


def crawl_at(sim: SimulatorHandle, latency_ms: float) -> tuple[dict[str, int], dict[str, Any], float, dict]:
    """One snapshot at ``latency_ms``: sizes, client stats, seconds, and what the simulator saw."""
    sim.set_config(latency_ms=latency_ms)
    time.sleep(1.1)  # let the previous snapshot's last second pass before another client starts
    sim.reset_stats()
    sizes, stats, elapsed = asyncio.run(timed_snapshot(sim))
    return sizes, stats, elapsed, sim.stats()


def print_rows(rows: list[tuple[str, str]]) -> None:
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


def latency_rows(crawls: dict[float, tuple[dict[str, int], dict[str, Any], float, dict]]) -> None:
    """One line per latency: the issue's two client ratios, and the 429s and peak second behind them."""
    print("latency |   requests / plan | wall s | bound s | wall / bound | 429s | peak/s")
    for latency, (sizes, stats, elapsed, server) in crawls.items():
        plan = minimal_plan(sizes, math.ceil(sizes["epics"] / 50))
        sent, bound = stats["total"], stats["total"] / RATE
        ratio = f"{sent} / {plan} = {sent / plan:.3f}"
        peak = max(server["max_requests_per_second"].values())
        print(
            f"{latency:>4.0f} ms | {ratio:>17} | {elapsed:>6.2f} | {bound:>7.1f} | "
            f"{elapsed / bound:>12.3f} | {server['too_many_requests']:>4} | {peak:>6}"
        )
    print()


def main() -> None:
    config = SimulatorConfig(latency_ms=LATENCY_MS, rate_limit=RATE)
    with run_simulator(config, in_subprocess=True) as sim:
        crawls = {latency: crawl_at(sim, latency) for latency in LATENCIES_MS}
        sizes, stats, elapsed, server = crawls[LATENCY_MS]
        sim.set_config(latency_ms=LATENCY_MS)
        sample = sorted(sim.universe()["markets"])[:BASELINE_SAMPLE]
        time.sleep(1.1)
        sim.reset_stats()
        per_request = asyncio.run(sequential_epic_seconds(sim, sample))
        baseline_too_many = sim.stats()["too_many_requests"]
        # The ordinary way's speed at the other latencies, on a smaller sample (50 calls at 400 ms: 20 s).
        per_request_at = {LATENCY_MS: per_request}
        for latency in LATENCIES_MS:
            if latency != LATENCY_MS:
                sim.set_config(latency_ms=latency)
                per_request_at[latency] = asyncio.run(sequential_epic_seconds(sim, sample[:OTHER_SAMPLE]))

    latency_rows(crawls)
    plan = minimal_plan(sizes, math.ceil(sizes["epics"] / 50))
    ideal = stats["total"] / RATE
    baseline_requests = minimal_plan(sizes, sizes["epics"])
    baseline_seconds = baseline_requests * per_request
    rows = [
        (
            "universe",
            f"{sizes['nodes']} nodes, {sizes['epics']} epics, {sizes['accounts']} accounts, "
            f"{sizes['watchlists']} watchlists",
        ),
        ("simulator", f"{LATENCY_MS:.0f} ms latency, strict {RATE} requests/s per user, own process"),
        ("requests sent / minimal plan", f"{stats['total']} / {plan} = {stats['total'] / plan:.3f}"),
        ("wall time / (requests / 10 per s)", f"{elapsed:.2f} s / {ideal:.1f} s = {elapsed / ideal:.3f}"),
        ("429s seen (client, server)", f"{stats['rate_limited']}, {server['too_many_requests']}"),
        ("most requests in one rolling second", f"{max(server['max_requests_per_second'].values())}"),
        ("logins, retries", f"{stats['logins']}, {stats['retries']}"),
        (
            "baseline: seconds per sequential call",
            f"{per_request * 1000:.0f} ms (sample of {len(sample)} epics)",
        ),
        ("baseline: requests, wall time", f"{baseline_requests}, {baseline_seconds:.0f} s (extrapolated)"),
        ("baseline 429s during the sample", f"{baseline_too_many}"),
        ("speed-up over the baseline", f"{baseline_seconds / elapsed:.1f}x"),
    ]
    # Whatever the client does, the plan cannot take less than its requests at the rate: the ordinary way's
    # time over that bound is the ceiling of the speed-up at each latency.
    for latency, seconds in per_request_at.items():
        ordinary = baseline_requests * seconds
        ours, ceiling = crawls[latency][2], ordinary / (plan / RATE)
        rows.append(
            (
                f"speed-up at {latency:.0f} ms (ordinary {seconds * 1000:.0f} ms per call)",
                f"{ordinary:.0f} s / {ours:.1f} s = {ordinary / ours:.1f}x (ceiling {ceiling:.1f}x)",
            )
        )
    print_rows(rows)
    score_crawls(crawls, per_request_at, baseline_requests)


def score_crawls(
    crawls: dict[float, tuple[dict[str, int], dict[str, Any], float, dict]],
    per_request_at: dict[float, float],
    baseline_requests: int,
) -> None:
    """The issue's client figures, for the closing scorecard: requests, wall time and the ordinary way."""
    for latency, (sizes, stats, elapsed, server) in crawls.items():
        plan = minimal_plan(sizes, math.ceil(sizes["epics"] / 50))
        sent, bound = stats["total"], stats["total"] / RATE
        what = f"client crawl at {latency:.0f} ms, {RATE}/s"
        _scorecard.record(
            "client_crawl",
            f"{what}: requests ÷ plan, 429s",
            f"{sent} / {plan} = {sent / plan:.3f}, {server['too_many_requests']}",
            "1.00, 0",
            round(sent / plan, 2) <= 1.00 and server["too_many_requests"] == 0,
        )
        _scorecard.record(
            "client_crawl",
            f"{what}: wall ÷ (requests ÷ {RATE}/s)",
            f"{elapsed:.2f} / {bound:.1f} s = {elapsed / bound:.3f}",
            "≤ 1.05",
            _scorecard.at_most(elapsed / bound, 1.05),
        )
    for latency, seconds in per_request_at.items():
        sizes, _stats, ours, _server = crawls[latency]
        ordinary = baseline_requests * seconds
        ceiling = ordinary / (minimal_plan(sizes, math.ceil(sizes["epics"] / 50)) / RATE)
        _scorecard.record(
            "client_crawl",
            f"against the ordinary way at {latency:.0f} ms ({seconds * 1000:.0f} ms per sequential call)",
            f"{ordinary / ours:.1f}x (its ceiling, ordinary ÷ bound: {ceiling:.1f}x)",
            "≥ 20x",
            _scorecard.at_least(ordinary / ours, 20),
        )
