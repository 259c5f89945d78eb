"""The day knob: day N's ``changes`` must be exactly what differs between the universes of days N-1 and N."""

from __future__ import annotations

import functools
import random

import pytest

from capital_pipeline.simulator.universe import Universe, build_universe, populate
from capital_pipeline.simulator.universe_accounts import build_watchlists
from capital_pipeline.simulator.universe_catalogue import Catalogue
from capital_pipeline.simulator.universe_evolution import Evolution

universe = functools.cache(build_universe)  # one build per arguments per session; tests never mutate it
CHANGE_KINDS = (
    "listed", "delisted", "renamed", "margin_changed", "dealing_rules_changed", "watchlist_added",
    "watchlist_removed",
)  # fmt: skip


def _rule_value(rule):
    return rule["value"] if isinstance(rule, dict) else rule


def observed_diff(before: Universe, after: Universe) -> dict[str, list]:
    """The differences a snapshot-comparing pipeline would see, computed from the two served universes."""
    diff: dict[str, list] = {kind: [] for kind in CHANGE_KINDS}
    diff["listed"] = sorted(set(after.markets) - set(before.markets))
    diff["delisted"] = sorted(set(before.markets) - set(after.markets))
    for epic in sorted(set(before.markets) & set(after.markets)):
        old, new = before.markets[epic], after.markets[epic]
        if old["instrument"]["name"] != new["instrument"]["name"]:
            diff["renamed"].append(
                {"epic": epic, "old_name": old["instrument"]["name"], "new_name": new["instrument"]["name"]}
            )
        if old["instrument"]["marginFactor"] != new["instrument"]["marginFactor"]:
            margins = old["instrument"]["marginFactor"], new["instrument"]["marginFactor"]
            diff["margin_changed"].append(
                {"epic": epic, "old_margin_factor": margins[0], "new_margin_factor": margins[1]}
            )
        for field in sorted(old["dealingRules"]):
            values = _rule_value(old["dealingRules"][field]), _rule_value(new["dealingRules"][field])
            if values[0] != values[1]:
                diff["dealing_rules_changed"].append(
                    {"epic": epic, "field": field, "old_value": values[0], "new_value": values[1]}
                )
    old_lists = {w.id: set(w.epics) for w in before.watchlists}
    for watchlist in after.watchlists:
        now = set(watchlist.epics)
        diff["watchlist_added"] += [
            {"watchlist_id": watchlist.id, "epic": e} for e in sorted(now - old_lists[watchlist.id])
        ]
        diff["watchlist_removed"] += [
            {"watchlist_id": watchlist.id, "epic": e} for e in sorted(old_lists[watchlist.id] - now)
        ]
    return diff


def _reported(day_universe: Universe) -> dict[str, list]:
    return {kind: list(getattr(day_universe.changes, kind)) for kind in CHANGE_KINDS}


def _fresh_evolution(seed: int = 1) -> Evolution:
    cat = Catalogue(seed=seed, scale=1)
    listers = populate(cat)
    return Evolution(cat, listers, build_watchlists(cat.rng("watchlists"), cat.listings))


def test_day_zero_reports_no_changes() -> None:
    assert all(not changes for changes in _reported(universe(1, 1, 0)).values())


@pytest.mark.parametrize(("seed", "day"), [(1, 1), (1, 2), (1, 7), (1, 30), (2, 5), (3, 13), (4, 21)])
def test_changes_equal_the_diff_between_consecutive_days(seed: int, day: int) -> None:
    assert _reported(universe(seed, 1, day)) == observed_diff(
        universe(seed, 1, day - 1), universe(seed, 1, day)
    )


def test_changes_equal_the_diff_at_a_larger_scale() -> None:
    assert _reported(universe(1, 3, 4)) == observed_diff(universe(1, 3, 3), universe(1, 3, 4))


def test_a_month_of_days_exercises_every_kind_of_change() -> None:
    evolution = _fresh_evolution()
    seen = {kind: 0 for kind in CHANGE_KINDS}
    for day in range(1, 31):
        for kind, items in evolution.apply(day).items():
            seen[kind] += len(items)
    assert all(count > 0 for count in seen.values()), seen


def test_a_market_renamed_then_delisted_the_same_day_is_only_delisted() -> None:
    evolution, rng = _fresh_evolution(), random.Random(0)
    epic = next(
        e for e, listing in evolution.cat.listings.items() if listing.generated and listing.kind == "SHARES"
    )
    evolution.begin_day()
    evolution.rename(rng, epic)
    evolution.change_margin(rng, epic)
    evolution.delist(epic)
    changes = evolution.end_day()
    assert changes["delisted"] == [epic]
    assert changes["renamed"] == changes["margin_changed"] == []


def test_a_watchlist_add_of_a_market_delisted_the_same_day_is_not_reported() -> None:
    evolution = _fresh_evolution()
    watchlist = next(w for w in evolution.watchlists if w["editable"])
    elsewhere = {e for w in evolution.watchlists for e in w["epics"]}
    epic = next(
        e for e, listing in evolution.cat.listings.items() if listing.generated and e not in elsewhere
    )
    evolution.begin_day()
    evolution.add_to_watchlist(watchlist["id"], epic)
    evolution.delist(epic)
    changes = evolution.end_day()
    assert changes["watchlist_added"] == changes["watchlist_removed"] == []
    assert changes["delisted"] == [epic]


def test_a_delisting_removes_the_market_from_the_watchlists_holding_it() -> None:
    evolution = _fresh_evolution()
    watchlist = next(w for w in evolution.watchlists if w["editable"])
    epic = next(e for e in watchlist["epics"] if evolution.cat.listings[e].generated)
    evolution.begin_day()
    evolution.delist(epic)
    changes = evolution.end_day()
    assert {"watchlist_id": watchlist["id"], "epic": epic} in changes["watchlist_removed"]
    assert epic not in watchlist["epics"]


def test_a_market_listed_and_delisted_the_same_day_is_not_reported() -> None:
    evolution, rng = _fresh_evolution(), random.Random(0)
    evolution.begin_day()
    epic = evolution.list_new(rng, "share")
    evolution.delist(epic)
    changes = evolution.end_day()
    assert epic not in changes["listed"] and epic not in changes["delisted"]


def test_new_listings_sit_in_a_category_leaf_and_under_commons_new() -> None:
    today = universe(1, 1, 3)
    leaves_of = {}
    for node in today.nodes.values():
        for epic in node.epics:
            leaves_of.setdefault(epic, []).append(node.id)
    assert today.changes.listed
    for epic in today.changes.listed:
        assert "hierarchy_v1.commons.new" in leaves_of[epic]
        assert len(leaves_of[epic]) >= 2
        assert today.market_summary(epic)["epic"] == epic


def test_delisted_markets_leave_every_node_and_watchlist() -> None:
    today = universe(1, 1, 7)
    assert today.changes.delisted
    placed = {epic for node in today.nodes.values() for epic in node.epics}
    listed_in_watchlists = {epic for watchlist in today.watchlists for epic in watchlist.epics}
    for epic in today.changes.delisted:
        assert epic not in today.markets and epic not in placed and epic not in listed_in_watchlists
