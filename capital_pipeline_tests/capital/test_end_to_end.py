"""The client against the simulator (a subprocess, strict limits): login, expiry, concurrency, crawl, faults.

Simulator and client are set to 20 requests per second, twice the real limit, so a full crawl of the default
universe takes 13 s rather than 26; the counting stays strict. Every client here shares one file-backed
budget, as consecutive runs on one API key would. ``benchmarks/client_crawl.py`` runs the same walk at the
real 10 per second with 150 ms latency.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from capital_pipeline.capital import AuthenticationFailed, CapitalClient, ClientSettings, Credentials
from capital_pipeline.simulator import Fault, SimulatorConfig, SimulatorHandle, run_simulator

pytestmark = pytest.mark.slow
RATE = 20
NODE_ROUTE = "GET /api/v1/marketnavigation/{nodeId}"


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorHandle]:
    with run_simulator(SimulatorConfig(rate_limit=RATE), in_subprocess=True) as sim:
        yield sim


@pytest.fixture(scope="module")
def pacing_directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pacing") / "capital"


@pytest.fixture
def sim(simulator: SimulatorHandle) -> Iterator[SimulatorHandle]:
    simulator.set_faults([])
    simulator.reset_stats()
    yield simulator
    simulator.set_faults([])


@pytest.fixture
def make_client(sim: SimulatorHandle, pacing_directory: Path) -> Callable[..., CapitalClient]:
    """Clients on one shared, file-backed budget, so a test never inherits the last one's second."""

    def make(password: str | None = None, **overrides: Any) -> CapitalClient:
        credentials = Credentials(
            sim.credentials.api_key, sim.credentials.identifier, password or sim.credentials.password
        )
        settings = {"requests_per_second": RATE, "pacing_directory": pacing_directory, **overrides}
        return CapitalClient(credentials, ClientSettings(sim.base_url, **settings))

    return make


def ground_truth(sim: SimulatorHandle) -> tuple[dict[str, tuple], set[tuple[str, int, str]], set[str]]:
    """Nodes (parent, depth, path), memberships cut at 500 per node, and the nodes holding more than 500."""
    universe = sim.universe()
    nodes = {
        node["id"]: (node["parent_id"], node["depth"], tuple(node["path"])) for node in universe["nodes"]
    }
    members = {
        (node["id"], position, epic)
        for node in universe["nodes"]
        for position, epic in enumerate(node["epics"][:500])
    }
    truncated = {node["id"] for node in universe["nodes"] if len(node["epics"]) >= 500}
    return nodes, members, truncated


async def crawl_and_compare(sim: SimulatorHandle, crawler: CapitalClient, **crawl_options: Any) -> None:
    """Crawl and check against the ground truth: every node once, plus replays of refused requests."""
    crawl = await crawler.crawl_navigation(**crawl_options)
    nodes, members, truncated = ground_truth(sim)
    assert crawl.failures == []
    assert {node.node_id: (node.parent_id, node.depth, node.path) for node in crawl.nodes} == nodes
    assert {(m.node_id, m.position, m.epic) for m in crawl.memberships} == members
    assert set(crawl.truncated_node_ids) == truncated
    refused = sim.stats()["statuses"].get("401", 0)
    assert crawler.stats.by_route["GET /marketnavigation/{nodeId}"] == len(nodes) + refused


@pytest.mark.anyio
async def test_encrypted_login_is_accepted(
    sim: SimulatorHandle, make_client: Callable[..., CapitalClient]
) -> None:
    async with make_client() as capital:
        await capital.login()
        details = await capital.session_details()
    stats = sim.stats()
    assert stats["requests"]["GET /api/v1/session/encryptionKey"] == 1
    assert stats["logins"] == {"attempts": 1, "successes": 1}
    assert details.account_id


@pytest.mark.anyio
async def test_a_crawl_of_the_default_universe_finds_exactly_the_ground_truth(
    sim: SimulatorHandle, make_client: Callable[..., CapitalClient]
) -> None:
    async with make_client() as capital:
        await crawl_and_compare(sim, capital)
    stats = sim.stats()
    assert stats["too_many_requests"] == 0
    assert max(stats["max_requests_per_second"].values()) <= RATE
    assert stats["requests_total"] == 2 + 1 + len(ground_truth(sim)[0])  # login, top, one per node


@pytest.mark.anyio
async def test_a_session_expiring_mid_crawl_costs_exactly_one_extra_login(
    sim: SimulatorHandle, make_client: Callable[..., CapitalClient]
) -> None:
    expired = False

    def expire_once(stage: str, done: int, total: int | None) -> None:
        nonlocal expired
        if done == 60 and not expired:
            expired = True
            sim.set_faults([Fault(kind="expired_session", route=NODE_ROUTE, first_n=1)])

    async with make_client() as capital:
        await crawl_and_compare(sim, capital, on_progress=expire_once)
    assert expired
    stats = sim.stats()
    assert stats["logins"] == {"attempts": 2, "successes": 2}
    assert 1 <= stats["statuses"]["401"] <= RATE  # only requests already on their way when it expired
    assert stats["too_many_requests"] == 0


@pytest.mark.anyio
async def test_ten_concurrent_callers_sharing_a_client_cause_one_login(
    sim: SimulatorHandle, make_client: Callable[..., CapitalClient]
) -> None:
    async with make_client() as capital:
        await asyncio.gather(*(capital.accounts() for _ in range(10)))
    assert sim.stats()["logins"]["attempts"] == 1


@pytest.mark.anyio
async def test_injected_503s_resets_and_timeouts_are_survived(
    sim: SimulatorHandle, make_client: Callable[..., CapitalClient]
) -> None:
    route = "GET /api/v1/markets"
    sim.set_faults(
        [
            Fault(kind="status", status=503, route=route, first_n=2),
            Fault(kind="reset", route=route, fraction=0.1),
            Fault(kind="timeout", seconds=1.5, route=route, first_n=2),
            Fault(kind="status", status=502, route=route, fraction=0.05),
        ]
    )
    wanted = sorted(sim.universe()["markets"])
    async with make_client(timeout=0.75, backoff_base=0.05, max_attempts=8) as capital:
        batch = await capital.market_details(wanted)
    assert sum(sim.stats()["faults_injected"].values()) >= 5
    assert capital.stats.retries >= 5
    assert [details.epic for details in batch.details] == wanted
    assert batch.missing == [] and batch.failures == []
    assert sim.stats()["too_many_requests"] == 0


@pytest.mark.anyio
async def test_bad_credentials_cause_exactly_one_login_attempt(
    sim: SimulatorHandle, make_client: Callable[..., CapitalClient]
) -> None:
    async with make_client(password="not-the-password") as capital:
        with pytest.raises(AuthenticationFailed) as raised:
            await capital.accounts()
    assert raised.value.setting == "CAPITAL_IDENTIFIER/CAPITAL_PASSWORD"
    assert sim.stats()["requests"]["POST /api/v1/session"] == 1


@pytest.mark.anyio
@pytest.mark.parametrize("scope", ["token", "session"])
async def test_reads_beside_the_preferences_chain_stay_on_the_session_account(
    sim: SimulatorHandle, make_client: Callable[..., CapitalClient], scope: str
) -> None:
    # "session": the switch moves the whole session, so only holding the reads keeps them on the account.
    sim.set_config(account_switch_scope=scope)
    try:
        async with make_client() as capital:
            await capital.login()
            original = (await capital.session_details()).account_id
            ids = [account.account_id for account in await capital.accounts()]
            chain = asyncio.ensure_future(capital.preferences_of(ids))
            seen = []
            while not chain.done():
                seen.append((await capital.session_details()).account_id)
            preferences = await chain
            after = (await capital.session_details()).account_id
    finally:
        sim.set_config(account_switch_scope="token")
    assert len(ids) > 1 and set(preferences) == set(ids)
    assert seen and set(seen) == {original} and after == original
    requests = sim.stats()["requests"]
    assert requests["PUT /api/v1/session"] == len(ids)
    assert requests["GET /api/v1/accounts/preferences"] == len(ids)
    assert sim.stats()["logins"]["successes"] == 1
