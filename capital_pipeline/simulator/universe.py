"""The simulated Capital.com login's reference data: accounts, navigation tree, markets, watchlists.

A universe is a pure function of ``(seed, scale, day)``: the same arguments give an equal universe in any
process. Shapes follow REFERENCE.md section 6 (the current S2 docs), sizes sections 9 and 12: at scale 1 about
3,300 epics under 150-300 navigation nodes; ``scale`` multiplies both. Treat every returned dict as read-only:
market bodies share their ``openingHours`` and ``dealingRules`` objects, and summaries are cached.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from capital_pipeline.simulator.universe_accounts import build_accounts, build_client, build_watchlists
from capital_pipeline.simulator.universe_catalogue import Catalogue
from capital_pipeline.simulator.universe_categories import (
    CryptoCategory,
    build_commodities,
    build_forex,
    build_indices,
)
from capital_pipeline.simulator.universe_commons import add_commons_leaves, fill_commons
from capital_pipeline.simulator.universe_evolution import Evolution
from capital_pipeline.simulator.universe_markets import MarketRenderer
from capital_pipeline.simulator.universe_names import FAMOUS_ETFS, FAMOUS_SHARES
from capital_pipeline.simulator.universe_shares import EtfCategory, ShareCategory
from capital_pipeline.simulator.universe_tree import TOP_LEVEL

__all__ = [
    "NavigationNode",
    "Universe",
    "UniverseChanges",
    "Watchlist",
    "build_universe",
    "populate",
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
    """Exactly what differs between the served data of day N-1 and day N (all empty on day 0), sorted.

    ``renamed``: ``{"epic", "old_name", "new_name"}`` (``instrument.name``, summaries' ``instrumentName``);
    ``margin_changed``: ``{"epic", "old_margin_factor", "new_margin_factor"}``; ``dealing_rules_changed``:
    ``{"epic", "field", "old_value", "new_value"}``, ``field`` a ``dealingRules`` key and the values its
    ``value`` (the string itself for the two preferences); watchlist items: ``{"watchlist_id", "epic"}``.
    A delisted market also leaves its watchlists, so those removals are in ``watchlist_removed``. Same-day
    events that cancel out (renamed then delisted, added to a watchlist then delisted) are not reported.
    """

    listed: tuple[str, ...] = ()
    delisted: tuple[str, ...] = ()
    renamed: tuple[dict, ...] = ()
    margin_changed: tuple[dict, ...] = ()
    dealing_rules_changed: tuple[dict, ...] = ()
    watchlist_added: tuple[dict, ...] = ()
    watchlist_removed: tuple[dict, ...] = ()


@dataclass
class Universe:
    """Everything the simulator serves for one login on one day.

    ``markets`` maps each epic to its ``GET /markets/{epic}`` body; ``nodes`` holds every navigation node,
    the top-level ones included; ``watchlists`` are in ``GET /watchlists`` order, the system default first.
    """

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
    _summaries: dict[str, dict] = field(default_factory=dict, init=False, repr=False, compare=False)

    def market_summary(self, epic: str) -> dict:
        """The market summary object (navigation leaves, searches, watchlists) built from ``markets[epic]``.

        Keys in the order of the current docs' example; the optional price fields are absent when the
        snapshot lacks them. Raises ``KeyError`` for an unknown epic.
        """
        cached = self._summaries.get(epic)
        if cached is None:
            cached = self._summaries[epic] = _summary(self.markets[epic], self.client["timezoneOffset"])
        return cached

    def ground_truth(self) -> dict:
        """A JSON-able dump of the whole universe, for tests comparing the warehouse with what was served."""
        return {
            "seed": self.seed,
            "scale": self.scale,
            "day": self.day,
            "client": self.client,
            "accounts": self.accounts,
            "preferences": self.preferences,
            "nodes": list(self._walk_nodes()),
            "markets": self.markets,
            "watchlists": [
                {
                    "id": wl.id,
                    "name": wl.name,
                    "editable": wl.editable,
                    "deleteable": wl.deleteable,
                    "defaultSystemWatchlist": wl.default_system_watchlist,
                    "epics": list(wl.epics),
                }
                for wl in self.watchlists
            ],
            "changes": {
                name: list(getattr(self.changes, name)) for name in UniverseChanges.__dataclass_fields__
            },
        }

    def _walk_nodes(self):
        """Nodes depth first in API order, with their depth (1 = top level) and path of names."""
        stack = [(node_id, 1, []) for node_id in reversed(self.top_node_ids)]
        while stack:
            node_id, depth, parents = stack.pop()
            node = self.nodes[node_id]
            path = [*parents, node.name]
            yield {
                "id": node.id,
                "name": node.name,
                "parent_id": node.parent_id,
                "depth": depth,
                "path": path,
                "children": list(node.children),
                "epics": list(node.epics),
            }
            stack.extend((child, depth + 1, path) for child in reversed(node.children))


def _summary(details: dict, timezone_offset: int) -> dict:
    instrument, snapshot = details["instrument"], details["snapshot"]
    local = datetime.fromisoformat(snapshot["updateTime"])
    summary = {"delayTime": snapshot["delayTime"], "epic": instrument["epic"], "symbol": instrument["symbol"]}
    if "netChange" in snapshot:
        summary["netChange"] = snapshot["netChange"]
    summary |= {
        "lotSize": instrument["lotSize"],
        "expiry": instrument["expiry"],
        "instrumentType": instrument["type"],
        "instrumentName": instrument["name"],
    }
    summary |= {key: snapshot[key] for key in ("high", "low", "percentageChange") if key in snapshot}
    summary |= {
        "updateTime": snapshot["updateTime"],
        "updateTimeUTC": (local - timedelta(hours=timezone_offset)).isoformat(timespec="milliseconds"),
        "bid": snapshot["bid"],
        "offer": snapshot["offer"],
        "streamingPricesAvailable": instrument["streamingPricesAvailable"],
        "marketStatus": snapshot["marketStatus"],
        "scalingFactor": snapshot["scalingFactor"],
        "marketModes": list(snapshot["marketModes"]),
        # pip one digit above the quote precision: EURUSD quotes 5 decimals, pip 4 (SILVER: 3 and 2 in S2)
        "pipPosition": max(0, snapshot["decimalPlacesFactor"] - 1),
        "tickSize": details["dealingRules"]["minStepDistance"]["value"],
    }
    return summary


def populate(cat: Catalogue) -> dict:
    """Fill an empty catalogue with day 0 of every category, in the top-level nodes' order.

    Returns the makers of new listings by kind (``share``, ``etf``, ``crypto``), as ``Evolution`` needs them.
    """
    for epic in (*(share[0] for share in FAMOUS_SHARES), *(etf[0] for etf in FAMOUS_ETFS)):
        cat.registry.claim(epic)  # before any ticker is generated, so none can take a real one
    add_commons_leaves(cat)
    build_commodities(cat)
    oil_shares = cat.tree.add(
        "hierarchy_v1.oil_markets_group", "hierarchy_v1.oil_markets.oil_shares", "Oil Company Shares"
    )
    build_indices(cat)
    build_forex(cat)
    crypto = CryptoCategory(cat)
    crypto_usd_pairs = crypto.populate()
    shares = ShareCategory(cat, oil_shares)
    shares.populate()
    etfs = EtfCategory(cat)
    etfs.populate()
    fill_commons(cat, crypto_usd_pairs)
    return {"share": shares, "etf": etfs, "crypto": crypto}


def build_universe(seed: int = 1, scale: int = 1, day: int = 0) -> Universe:
    """Build the deterministic universe for ``(seed, scale, day)``.

    ``scale`` (>= 1) multiplies the number of markets and navigation nodes; ``day`` (>= 0) applies that many
    days of listings, delistings, renames, margin and dealing-rule changes and watchlist edits to day 0, and
    ``changes`` holds exactly what differs from ``day - 1``.
    """
    if scale < 1 or day < 0:
        raise ValueError(f"scale must be >= 1 and day >= 0, got scale={scale} day={day}")
    cat = Catalogue(seed, scale)
    listers = populate(cat)
    account_rng = cat.rng("accounts")
    client = build_client(account_rng)
    accounts, preferences = build_accounts(account_rng)
    drafts = build_watchlists(cat.rng("watchlists"), cat.listings)
    evolution = Evolution(cat, listers, drafts)
    changes: dict[str, list] = {}
    for each_day in range(1, day + 1):
        changes = evolution.apply(each_day)
    return Universe(
        seed=seed,
        scale=scale,
        day=day,
        client=client,
        accounts=accounts,
        preferences=preferences,
        top_node_ids=[node_id for node_id, _name in TOP_LEVEL],
        nodes=_frozen_nodes(cat),
        markets=_rendered_markets(cat, day, client["timezoneOffset"]),
        watchlists=[_frozen_watchlist(draft) for draft in drafts],
        changes=UniverseChanges(**{name: tuple(items) for name, items in changes.items()}),
    )


def _frozen_nodes(cat: Catalogue) -> dict[str, NavigationNode]:
    return {
        node.id: NavigationNode(node.id, node.name, node.parent_id, tuple(node.children), tuple(node.epics))
        for node in cat.tree.nodes.values()
    }


def _rendered_markets(cat: Catalogue, day: int, timezone_offset: int) -> dict[str, dict]:
    renderer = MarketRenderer(day, timezone_offset)
    return {epic: renderer.details(listing) for epic, listing in cat.listings.items()}


def _frozen_watchlist(draft: dict) -> Watchlist:
    return Watchlist(
        id=draft["id"],
        name=draft["name"],
        editable=draft["editable"],
        deleteable=draft["deleteable"],
        default_system_watchlist=draft["defaultSystemWatchlist"],
        epics=tuple(draft["epics"]),
    )
