"""The simulated Capital.com login's reference data: accounts, navigation tree, markets, watchlists.

A universe is a pure function of ``(seed, scale, day)``. Shapes follow REFERENCE.md section 6 (the current S2
docs); sizes follow sections 9 and 12. Treat every dict as read-only: markets may share sub-objects.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

__all__ = [
    "NavigationNode",
    "Universe",
    "UniverseChanges",
    "Watchlist",
    "build_universe",
]


@dataclass(frozen=True)
class NavigationNode:
    """One node of ``GET /marketnavigation``: a branch (``children``) or a leaf (``epics``)."""

    id: str
    name: str
    parent_id: str | None
    children: tuple[str, ...]
    epics: tuple[str, ...]


@dataclass(frozen=True)
class Watchlist:
    """One watchlist of the login; ``epics`` in the order ``GET /watchlists/{id}`` lists them."""

    id: str
    name: str
    editable: bool
    deleteable: bool
    default_system_watchlist: bool
    epics: tuple[str, ...]


@dataclass(frozen=True)
class UniverseChanges:
    """Exactly what differs between day N-1 and day N (all empty on day 0)."""

    listed: tuple[str, ...] = ()
    delisted: tuple[str, ...] = ()
    renamed: tuple[dict, ...] = ()
    margin_changed: tuple[dict, ...] = ()
    dealing_rules_changed: tuple[dict, ...] = ()
    watchlist_added: tuple[dict, ...] = ()
    watchlist_removed: tuple[dict, ...] = ()


_SUMMARY_FROM_SNAPSHOT = ("netChange", "high", "low", "percentageChange", "bid", "offer")


@dataclass
class Universe:
    """Everything the simulator serves for one login on one day."""

    seed: int
    scale: int
    day: int
    client: dict
    accounts: list[dict]
    preferences: dict[str, dict]
    top_node_ids: list[str]
    nodes: dict[str, NavigationNode]
    markets: dict[str, dict]
    watchlists: list[Watchlist]
    changes: UniverseChanges = field(default_factory=UniverseChanges)

    def market_summary(self, epic: str) -> dict:
        """The market summary object (navigation leaves, searches, watchlists) built from ``markets[epic]``.

        Raises ``KeyError`` for an unknown epic.
        """
        details = self.markets[epic]
        instrument, snapshot = details["instrument"], details["snapshot"]
        summary = {
            "delayTime": snapshot["delayTime"],
            "epic": epic,
            "symbol": instrument["symbol"],
            "lotSize": instrument["lotSize"],
            "expiry": instrument["expiry"],
            "instrumentType": instrument["type"],
            "instrumentName": instrument["name"],
        }
        for key in _SUMMARY_FROM_SNAPSHOT:
            if key in snapshot:
                summary[key] = snapshot[key]
        summary["updateTime"] = snapshot["updateTime"]
        summary["updateTimeUTC"] = snapshot["updateTime"]
        summary["streamingPricesAvailable"] = instrument["streamingPricesAvailable"]
        summary["marketStatus"] = snapshot["marketStatus"]
        summary["scalingFactor"] = snapshot["scalingFactor"]
        summary["marketModes"] = list(snapshot["marketModes"])
        summary["pipPosition"] = details.get("pipPosition", 2)
        summary["tickSize"] = details["dealingRules"]["minStepDistance"]["value"]
        return summary

    def ground_truth(self) -> dict:
        """A JSON-able dump of the whole universe, for tests comparing the warehouse with what was served."""
        return {}


def build_universe(seed: int = 1, scale: int = 1, day: int = 0) -> Universe:
    """Build the deterministic universe for ``(seed, scale, day)``."""
    rng = random.Random(f"{seed}:{scale}:interface")
    top = ["hierarchy_v1.commodities_group"]
    nodes = {
        "hierarchy_v1.commodities_group": NavigationNode(
            "hierarchy_v1.commodities_group", "commodities_group", None, ("hierarchy_v1.commodities",), ()
        ),
        "hierarchy_v1.commodities": NavigationNode(
            "hierarchy_v1.commodities", "Commodities", "hierarchy_v1.commodities_group", (), ("SILVER",)
        ),
    }
    bid = round(24 + rng.random(), 3)
    markets = {
        "SILVER": {
            "instrument": {
                "epic": "SILVER",
                "symbol": "Silver",
                "expiry": "-",
                "name": "Silver",
                "lotSize": 1,
                "type": "COMMODITIES",
                "guaranteedStopAllowed": True,
                "streamingPricesAvailable": True,
                "currency": "USD",
                "marginFactor": 10,
                "marginFactorUnit": "PERCENTAGE",
                "country": "",
            },
            "dealingRules": {"minStepDistance": {"unit": "POINTS", "value": 0.001}},
            "snapshot": {
                "marketStatus": "TRADEABLE",
                "updateTime": "2026-11-02T14:30:00.000",
                "delayTime": 0,
                "bid": bid,
                "offer": round(bid + 0.02, 3),
                "decimalPlacesFactor": 3,
                "scalingFactor": 1,
                "marketModes": ["REGULAR"],
            },
        }
    }
    return Universe(seed, scale, day, {}, [], {}, top, nodes, markets, [])
