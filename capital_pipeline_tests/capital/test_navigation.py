"""The navigation crawl: every node exactly once, memberships, truncation and failures reported."""

from __future__ import annotations

import pytest

from capital_pipeline.capital import AuthenticationFailed
from capital_pipeline_tests.capital.fake_api import FakeCapital, FakeClock, client_for, error

TREE = {
    "commodities_group": ("commodities_group", ["commodities", "metals"], []),
    "commodities": ("Commodities", ["metals", "energies"], []),
    "metals": ("Metals", [], ["GOLD", "SILVER", "COPPER"]),
    "energies": ("Energies", [], ["OIL_CRUDE", "GOLD"]),
    "shares": ("Shares", ["us_all", "ghost"], []),
    "us_all": ("All US", [], [f"US{number}" for number in range(7)]),
}


def fake(**overrides) -> FakeCapital:
    return FakeCapital(FakeClock(), top=["commodities_group", "shares"], tree=dict(TREE), **overrides)


@pytest.mark.anyio
async def test_crawl_fetches_each_node_exactly_once_even_when_reachable_twice() -> None:
    api = fake()
    async with client_for(api) as client:
        await client.crawl_navigation(limit=5)
    fetched = [arrival.path.rsplit("/", 1)[-1] for arrival in api.arrivals("GET /marketnavigation/{nodeId}")]
    assert sorted(fetched) == sorted([*TREE, "ghost"])
    assert len(api.arrivals("GET /marketnavigation")) == 1
    assert all(arrival.params["limit"] == "5" for arrival in api.arrivals("GET /marketnavigation/{nodeId}"))


@pytest.mark.anyio
async def test_crawl_gives_parents_depths_and_paths_breadth_first_from_the_top() -> None:
    async with client_for(fake()) as client:
        crawl = await client.crawl_navigation(limit=5)
    nodes = {node.node_id: (node.parent_id, node.depth, node.path) for node in crawl.nodes}
    assert nodes["commodities_group"] == (None, 1, ("commodities_group",))
    assert nodes["metals"] == (
        "commodities_group",
        2,
        ("commodities_group", "Metals"),
    )  # shallowest parent wins
    assert nodes["energies"] == ("commodities", 3, ("commodities_group", "Commodities", "Energies"))
    assert [node.node_id for node in crawl.nodes][:2] == ["commodities_group", "shares"]


@pytest.mark.anyio
async def test_crawl_lists_memberships_in_the_api_order_with_market_summaries() -> None:
    async with client_for(fake()) as client:
        crawl = await client.crawl_navigation(limit=5)
    metals = [(m.epic, m.position) for m in crawl.memberships if m.node_id == "metals"]
    assert metals == [("GOLD", 0), ("SILVER", 1), ("COPPER", 2)]
    energies = [m for m in crawl.memberships if m.node_id == "energies"]
    assert energies[1].market.epic == "GOLD" and energies[1].market.bid == 1.5
    assert list(crawl.markets)[:3] == ["GOLD", "SILVER", "COPPER"]
    assert len(crawl.markets) == 4 + 5  # GOLD counted once; US0..US4 (the node is cut at the limit)


@pytest.mark.anyio
async def test_a_node_returning_exactly_limit_markets_is_reported_as_maybe_truncated() -> None:
    async with client_for(fake()) as client:
        crawl = await client.crawl_navigation(limit=5)
    assert crawl.truncated_node_ids == ["us_all"]
    assert [m.epic for m in crawl.memberships if m.node_id == "us_all"] == [f"US{n}" for n in range(5)]


@pytest.mark.anyio
async def test_a_failing_node_is_reported_and_the_crawl_goes_on() -> None:
    api = fake()
    async with client_for(api) as client:
        crawl = await client.crawl_navigation(limit=5)
    assert [(f.subject, f.status, f.error_code) for f in crawl.failures] == [
        ("ghost", 404, "error.not-found.nodeId")
    ]
    assert "ghost" in {node.node_id for node in crawl.nodes}
    assert {m.node_id for m in crawl.memberships} == {"metals", "energies", "us_all"}


@pytest.mark.anyio
async def test_bad_credentials_stop_the_crawl_instead_of_being_reported_per_node() -> None:
    api = fake()
    api.answer_next("POST /session", error(401, "error.invalid.details"))
    async with client_for(api) as client:
        with pytest.raises(AuthenticationFailed):
            await client.crawl_navigation()


@pytest.mark.anyio
async def test_progress_is_reported_for_every_node() -> None:
    seen: list[tuple[str, int, int | None]] = []
    async with client_for(fake()) as client:
        await client.crawl_navigation(limit=5, on_progress=lambda *report: seen.append(report))
    assert [done for _, done, _ in seen] == list(range(1, 8))
    assert seen[-1] == ("navigation", 7, 7)
    assert all(stage == "navigation" and total is not None and done <= total for stage, done, total in seen)


@pytest.mark.anyio
async def test_an_epic_listed_under_two_nodes_keeps_one_summary_when_both_pages_agree() -> None:
    async with client_for(fake()) as client:
        crawl = await client.crawl_navigation(limit=5)
    gold = [m.market for m in crawl.memberships if m.epic == "GOLD"]
    assert [m.node_id for m in crawl.memberships if m.epic == "GOLD"] == ["metals", "energies"]
    assert gold[0] is gold[1] is crawl.markets["GOLD"]
    assert gold[0].raw["epic"] == "GOLD" and gold[0].bid == 1.5


@pytest.mark.anyio
async def test_an_epic_whose_summaries_differ_between_nodes_keeps_each_as_its_page_sent_it() -> None:
    api = fake()
    async with client_for(api) as client:
        original = client.get_json

        async def energies_quote_gold_higher(path, params=None, **options):
            body = await original(path, params, **options)
            if path.endswith("/energies"):
                body["markets"][1]["bid"] = 2.5
            return body

        client.get_json = energies_quote_gold_higher  # type: ignore[method-assign]
        crawl = await client.crawl_navigation(limit=5)
    bids = {m.node_id: m.market.bid for m in crawl.memberships if m.epic == "GOLD"}
    assert bids == {"metals": 1.5, "energies": 2.5} and crawl.markets["GOLD"].bid == 1.5
