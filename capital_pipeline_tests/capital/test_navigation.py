"""The navigation crawl: every node exactly once, memberships, truncation and failures reported, and a limit
the API refuses lowered for the rest of the walk."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from capital_pipeline.capital import AuthenticationFailed, CapitalClient
from capital_pipeline.capital.navigation import lowered_limit
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


def rewrite_answers(client: CapitalClient, rewrite: Callable[[str, dict[str, Any]], None]) -> None:
    """``client.get_json`` with each decoded answer changed in place by ``rewrite(path, body)`` first."""
    original = client.get_json

    async def rewritten(path: str, params: dict[str, Any] | None = None, **options: Any) -> Any:
        body = await original(path, params, **options)
        rewrite(path, body)
        return body

    client.get_json = rewritten  # type: ignore[method-assign]


@pytest.mark.anyio
async def test_an_epic_whose_summaries_differ_between_nodes_keeps_each_as_its_page_sent_it() -> None:
    def energies_quote_gold_higher(path: str, body: dict[str, Any]) -> None:
        if path.endswith("/energies"):
            body["markets"][1]["bid"] = 2.5

    async with client_for(fake()) as client:
        rewrite_answers(client, energies_quote_gold_higher)
        crawl = await client.crawl_navigation(limit=5)
    bids = {m.node_id: m.market.bid for m in crawl.memberships if m.epic == "GOLD"}
    assert bids == {"metals": 1.5, "energies": 2.5} and crawl.markets["GOLD"].bid == 1.5


# Three top nodes in flight at once; "wide" holds more than 100 markets, "mid" exactly 100.
CEILING_TREE = {
    "alpha": ("Alpha", ["wide", "narrow"], []),
    "beta": ("Beta", ["mid", "narrow"], []),
    "gamma": ("Gamma", [], ["GOLD"]),
    "wide": ("Wide", [], [f"W{number}" for number in range(150)]),
    "mid": ("Mid", [], [f"M{number}" for number in range(100)]),
    "narrow": ("Narrow", [], ["SILVER", "COPPER"]),
}


def under_ceiling(navigation_limit: int) -> FakeCapital:
    return FakeCapital(
        FakeClock(),
        top=["alpha", "beta", "gamma"],
        tree=dict(CEILING_TREE),
        navigation_limit=navigation_limit,
    )


def limits_asked(api: FakeCapital) -> list[tuple[str, int]]:
    return [
        (arrival.path.rsplit("/", 1)[-1], int(arrival.params["limit"]))
        for arrival in api.arrivals("GET /marketnavigation/{nodeId}")
    ]


@pytest.mark.parametrize(
    ("refused", "next_limit"), [(1000, 100), (500, 100), (101, 100), (100, 50), (3, 1), (2, 1)]
)
def test_a_refused_limit_drops_to_100_then_halves(refused: int, next_limit: int) -> None:
    assert lowered_limit(refused) == next_limit


@pytest.mark.anyio
async def test_an_api_refusing_500_is_walked_whole_at_100_repeating_only_requests_in_flight() -> None:
    api = under_ceiling(100)
    async with client_for(api) as client:
        crawl = await client.crawl_navigation()
    asked = limits_asked(api)
    at_500 = [node_id for node_id, limit in asked if limit == 500]
    assert sorted(node_id for node_id, limit in asked if limit == 100) == sorted(CEILING_TREE)
    assert set(at_500) <= {"alpha", "beta", "gamma"} and len(set(at_500)) == len(at_500) >= 1
    assert len(asked) == len(CEILING_TREE) + len(at_500)
    assert (crawl.failures, crawl.limit, crawl.refused_limits) == ([], 100, (500,))
    assert {node.node_id for node in crawl.nodes} == set(CEILING_TREE)
    assert crawl.truncated_node_ids == ["wide", "mid"]
    assert len([m for m in crawl.memberships if m.node_id == "wide"]) == 100


@pytest.mark.anyio
async def test_below_100_a_refused_limit_halves_until_the_api_accepts_it() -> None:
    api = under_ceiling(30)
    async with client_for(api) as client:
        crawl = await client.crawl_navigation()
    assert (crawl.failures, crawl.limit, crawl.refused_limits) == ([], 25, (500, 100, 50))
    assert all(limit == 25 for node_id, limit in limits_asked(api) if node_id not in api.top)
    assert crawl.truncated_node_ids == ["wide", "mid"]


@pytest.mark.anyio
async def test_a_limit_refused_even_at_1_is_each_nodes_failure_not_an_endless_retry() -> None:
    api = under_ceiling(0)
    async with client_for(api) as client:
        crawl = await client.crawl_navigation()
    assert [(f.subject, f.status, f.error_code) for f in crawl.failures] == [
        (node_id, 400, "error.invalid.limit") for node_id in ("alpha", "beta", "gamma")
    ]
    assert crawl.limit == 1 and crawl.memberships == []


@pytest.mark.anyio
async def test_a_node_refused_for_another_reason_is_a_failure_and_keeps_the_limit() -> None:
    api = under_ceiling(500)
    api.answer_next("GET /marketnavigation/{nodeId}", error(400, "error.invalid.nodeId"))
    async with client_for(api) as client:
        crawl = await client.crawl_navigation()
    assert [(f.status, f.error_code) for f in crawl.failures] == [(400, "error.invalid.nodeId")]
    assert (crawl.limit, crawl.refused_limits) == (500, ())
    assert all(limit == 500 for _, limit in limits_asked(api))


class CeilingDroppingAtWide(FakeCapital):
    """A server that starts refusing limits above 100 when the walk reaches "wide" (after "mid" answered)."""

    def node(self, node_id: str, limit: int) -> httpx.Response:
        if node_id == "wide" and limit > 100:
            return error(400, "error.invalid.limit")
        return super().node(node_id, limit)


@pytest.mark.anyio
async def test_truncation_is_judged_against_the_limit_each_answer_was_fetched_with() -> None:
    tree = {"mid": ("Mid", ["wide"], CEILING_TREE["mid"][2] + ["M100", "M101"]), "wide": CEILING_TREE["wide"]}
    api = CeilingDroppingAtWide(FakeClock(), top=["mid"], tree=tree)
    async with client_for(api) as client:
        crawl = await client.crawl_navigation()
    assert limits_asked(api) == [("mid", 500), ("wide", 500), ("wide", 100)]
    # mid sent all 102 markets at 500: complete, though more than the 100 the walk ended with.
    assert (crawl.truncated_node_ids, crawl.limit) == (["wide"], 100)


@pytest.mark.anyio
async def test_each_node_keeps_the_object_its_parent_or_the_top_list_sent() -> None:
    def nodes_with_a_new_field(path: str, body: dict[str, Any]) -> None:
        for node in body.get("nodes", []):
            node["brandNewField"] = {"from": path}

    async with client_for(fake()) as client:
        rewrite_answers(client, nodes_with_a_new_field)
        crawl = await client.crawl_navigation(limit=5)
    raw = {node.node_id: node.raw for node in crawl.nodes}
    assert raw["shares"] == {"id": "shares", "name": "Shares", "brandNewField": {"from": "/marketnavigation"}}
    # metals sits under commodities_group (its placing parent) and commodities: the placing parent's object.
    assert raw["metals"]["brandNewField"] == {"from": "/marketnavigation/commodities_group"}
