"""What the simulator's ground truth (``/_simulator/universe``) says a snapshot must hold.

The API shows at most ``limit`` markets of a navigation node (REFERENCE.md section 11), so a snapshot holds
the first ``limit`` members of each node, and the markets reachable from those members and the watchlists.
"""

from __future__ import annotations

from typing import Any

NAVIGATION_LIMIT = 500


def navigation_members(universe: dict[str, Any]) -> set[tuple[str, str]]:
    return {(node["id"], epic) for node in universe["nodes"] for epic in node["epics"][:NAVIGATION_LIMIT]}


def watchlist_members(universe: dict[str, Any]) -> set[tuple[str, str]]:
    return {(watchlist["id"], epic) for watchlist in universe["watchlists"] for epic in watchlist["epics"]}


def visible_epics(universe: dict[str, Any]) -> set[str]:
    members = navigation_members(universe) | watchlist_members(universe)
    return {epic for _, epic in members}


def expected_counts(universe: dict[str, Any]) -> dict[str, int]:
    """Rows per table of one snapshot of ``universe``."""
    return {
        "accounts": len(universe["accounts"]),
        "account_preferences": len(universe["accounts"]),
        "navigation_nodes": len(universe["nodes"]),
        "navigation_markets": len(navigation_members(universe)),
        "watchlists": len(universe["watchlists"]),
        "watchlist_markets": len(watchlist_members(universe)),
        "markets": len(visible_epics(universe)),
    }


def expected_market_changes(before: dict[str, Any], after: dict[str, Any]) -> set[tuple[str, str]]:
    """(epic, change) pairs the day's known differences must produce, limited to what snapshots can see."""
    changes = after["changes"]
    seen_before, seen_after = visible_epics(before), visible_epics(after)
    both = seen_before & seen_after
    expected = {(epic, "listed") for epic in changes["listed"] if epic in seen_after}
    expected |= {(epic, "delisted") for epic in changes["delisted"] if epic in seen_before}
    expected |= {(item["epic"], "renamed") for item in changes["renamed"] if item["epic"] in both}
    expected |= {
        (item["epic"], "margin_changed") for item in changes["margin_changed"] if item["epic"] in both
    }
    expected |= {
        (item["epic"], "dealing_rules_changed")
        for item in changes["dealing_rules_changed"]
        if item["epic"] in both
    }
    return expected


def expected_watchlist_changes(after: dict[str, Any]) -> set[tuple[str, str, str]]:
    changes = after["changes"]
    added = {(item["watchlist_id"], item["epic"], "added") for item in changes["watchlist_added"]}
    return added | {(item["watchlist_id"], item["epic"], "removed") for item in changes["watchlist_removed"]}
