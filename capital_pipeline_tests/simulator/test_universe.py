"""The universe as a whole: determinism, sizes (REFERENCE sections 9, 12), navigation tree, ground truth."""

from __future__ import annotations

import collections
import functools
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from capital_pipeline.simulator.universe import build_universe

universe = functools.cache(build_universe)  # one build per arguments per session; tests never mutate it


def _digest(seed: int, scale: int, day: int) -> str:
    truth = build_universe(seed=seed, scale=scale, day=day).ground_truth()
    return hashlib.sha256(json.dumps(truth, sort_keys=True).encode()).hexdigest()


def _leaves(seed: int = 1, scale: int = 1, day: int = 0) -> list:
    return [node for node in universe(seed, scale, day).nodes.values() if not node.children]


def test_same_arguments_build_equal_universes() -> None:
    assert build_universe(seed=5, scale=1, day=3) == build_universe(seed=5, scale=1, day=3)


def test_universe_is_identical_in_a_fresh_process() -> None:
    """String hashing is salted per process: nothing may depend on it."""
    code = (
        "import sys; sys.path.insert(0, '.');"
        "from capital_pipeline_tests.simulator.test_universe import _digest; print(_digest(3, 1, 2))"
    )
    root = Path(__file__).parents[2]
    fresh = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert fresh.stdout.strip() == _digest(3, 1, 2)


def test_another_seed_builds_another_universe() -> None:
    first, second = universe(1, 1, 0), universe(2, 1, 0)
    assert first.accounts != second.accounts
    generated = set(first.markets) ^ set(second.markets)
    assert len(generated) > 1000
    assert first.markets["AAPL"]["snapshot"]["bid"] != second.markets["AAPL"]["snapshot"]["bid"]


def test_scale_one_has_3000_to_3500_epics_under_150_to_300_nodes() -> None:
    default = universe(1, 1, 0)
    assert 3000 <= len(default.markets) <= 3500
    assert 150 <= len(default.nodes) <= 300


def test_instrument_mix_follows_the_reference_figures() -> None:
    kinds = collections.Counter(m["instrument"]["type"] for m in universe(1, 1, 0).markets.values())
    etf_epics = {e for leaf in _leaves() if leaf.id.startswith("hierarchy_v1.etf.") for e in leaf.epics}
    assert 200 <= len(etf_epics) <= 400
    assert 2300 <= kinds["SHARES"] - len(etf_epics) <= 2500
    assert 260 <= kinds["CRYPTOCURRENCIES"] <= 300
    assert 100 <= kinds["CURRENCIES"] <= 120
    assert kinds["INDICES"] == 35
    assert kinds["COMMODITIES"] == 35


def test_top_level_nodes_are_the_eight_real_ones_in_api_order() -> None:
    default = universe(1, 1, 0)
    top = [(node_id, default.nodes[node_id].name) for node_id in default.top_node_ids]
    assert top == [
        ("hierarchy_v1.commons_group", "commons_group"),
        ("hierarchy_v1.commodities_group", "commodities_group"),
        ("hierarchy_v1.oil_markets_group", "oil_markets_group"),
        ("hierarchy_v1.indices_group", "indices_group"),
        ("hierarchy_v1.forex", "Forex"),
        ("hierarchy_v1.crypto_currencies_group", "crypto_currencies_group"),
        ("hierarchy_v1.shares", "Shares"),
        ("hierarchy_v1.etf_group", "etf_group"),
    ]
    assert sum(node.parent_id is None for node in default.nodes.values()) == 8


def test_commons_group_children_are_the_postman_example() -> None:
    default = universe(1, 1, 0)
    children = [(c, default.nodes[c].name) for c in default.nodes["hierarchy_v1.commons_group"].children]
    assert children == [
        ("hierarchy_v1.commons.most_traded", "Most Traded"),
        ("hierarchy_v1.commons.recently_traded", "Recently Traded"),
        ("hierarchy_v1.commons.new", "New"),
        ("hierarchy_v1.commons.top_gainers", "Top Risers"),
        ("hierarchy_v1.commons.top_losers", "Top Fallers"),
        ("hierarchy_v1.commons.most_volatile", "Most Volatile"),
        ("hierarchy_v1.commons.weekend_trading", "Weekend Trading"),
    ]


def test_markets_sit_at_the_reference_depths() -> None:
    depth = {node["id"]: node["depth"] for node in universe(1, 1, 0).ground_truth()["nodes"]}
    market_depths = collections.defaultdict(set)
    for leaf in _leaves():
        if leaf.epics:
            market_depths[leaf.id.split(".")[1]].add(depth[leaf.id])
    assert market_depths["currencies"] == {2}
    assert market_depths["indices"] == {2}
    assert market_depths["commodities"] == {3}
    assert depth["hierarchy_v1.shares.us.most_traded"] == 3
    assert depth["hierarchy_v1.shares.popular_shares"] == 2
    assert max(depth.values()) == 3


def test_some_leaf_holds_more_than_the_500_a_navigation_call_returns() -> None:
    assert max(len(leaf.epics) for leaf in _leaves()) > 500


def test_epics_sit_under_several_nodes() -> None:
    placements = collections.Counter(epic for leaf in _leaves() for epic in leaf.epics)
    assert placements["AAPL"] >= 3
    assert sum(count >= 2 for count in placements.values()) > 1000


def test_every_market_is_in_some_leaf_and_every_leaf_epic_is_a_market() -> None:
    default = universe(1, 1, 0)
    placed = [epic for leaf in _leaves() for epic in leaf.epics]
    assert set(placed) == set(default.markets)
    assert all(len(set(leaf.epics)) == len(leaf.epics) for leaf in _leaves())


def test_parent_and_child_links_agree() -> None:
    default = universe(1, 1, 0)
    for node in default.nodes.values():
        assert not (node.children and node.epics)
        for child in node.children:
            assert default.nodes[child].parent_id == node.id


def test_epics_are_unique_ignoring_case() -> None:
    epics = list(universe(1, 3, 0).markets)
    assert len({epic.upper() for epic in epics}) == len(epics)


def test_scale_ten_has_about_ten_times_the_epics_and_nodes() -> None:
    small, large = universe(1, 1, 0), universe(1, 10, 0)
    assert 9 <= len(large.markets) / len(small.markets) <= 11
    assert 6 <= len(large.nodes) / len(small.nodes) <= 12
    assert [large.nodes[n].name for n in large.top_node_ids] == [
        small.nodes[n].name for n in small.top_node_ids
    ]


def test_ground_truth_lists_nodes_with_depth_and_path() -> None:
    truth = universe(1, 1, 2).ground_truth()
    json.dumps(truth)  # JSON-able
    assert set(truth) == {
        "seed", "scale", "day", "client", "accounts", "preferences", "nodes", "markets", "watchlists",
        "changes",
    }  # fmt: skip
    by_id = {node["id"]: node for node in truth["nodes"]}
    assert len(by_id) == len(universe(1, 1, 2).nodes)
    us_movers = by_id["hierarchy_v1.shares.us.most_traded"]
    assert us_movers["path"] == ["Shares", "United States of America", "Most Traded"]
    assert us_movers["depth"] == 3 and us_movers["parent_id"] == "hierarchy_v1.shares.us"
    assert by_id["hierarchy_v1.forex"]["depth"] == 1 and by_id["hierarchy_v1.forex"]["path"] == ["Forex"]
    assert set(truth["changes"]) == {
        "listed", "delisted", "renamed", "margin_changed", "dealing_rules_changed", "watchlist_added",
        "watchlist_removed",
    }  # fmt: skip
    assert truth["watchlists"][0]["defaultSystemWatchlist"] is True


@pytest.mark.parametrize(("scale", "day"), [(0, 0), (1, -1)])
def test_impossible_scale_or_day_is_refused(scale: int, day: int) -> None:
    with pytest.raises(ValueError, match="scale must be"):
        build_universe(scale=scale, day=day)
