"""The mutable state over one day's universe: indexes built once per day, and the edits made through the API.

Reads are O(1) or O(page): market summaries, the all-markets body and the search haystack are computed when
the day's universe is built. Edits (accounts' balances and preferences, watchlists, the trading book) live
here and vanish when the day, seed or scale changes (``POST /_simulator/config``).
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from capital_pipeline.simulator.responses import json_body
from capital_pipeline.simulator.trading import TradingBook
from capital_pipeline.simulator.universe import NavigationNode, Universe, Watchlist

__all__ = ["MarketCatalogue", "SimulatorState"]


class MarketCatalogue:
    """The day's markets and navigation tree, with the precomputed answers of the read endpoints."""

    def __init__(self, universe: Universe) -> None:
        self.universe = universe
        self.summaries = {epic: universe.market_summary(epic) for epic in universe.markets}
        self.all_markets_body = json_body({"markets": list(self.summaries.values())})
        self._haystack = [
            (f"{epic}\n{summary['instrumentName']}\n{summary.get('symbol', '')}".lower(), summary)
            for epic, summary in self.summaries.items()
        ]

    def details(self, epic: str) -> dict[str, Any] | None:
        """``GET /markets/{epic}`` body, or ``None``."""
        return self.universe.markets.get(epic)

    def node(self, node_id: str) -> NavigationNode | None:
        return self.universe.nodes.get(node_id)

    def node_markets(self, node: NavigationNode, limit: int) -> list[dict[str, Any]]:
        """The first ``limit`` market summaries of a node."""
        return [self.summaries[epic] for epic in node.epics[:limit] if epic in self.summaries]

    def search(self, term: str) -> list[dict[str, Any]]:
        """Markets whose epic, name or symbol contains ``term`` (case-insensitive)."""
        needle = term.lower()
        return [summary for text, summary in self._haystack if needle in text]


class SimulatorState:
    """Everything the API can read or change, for one (seed, scale, day)."""

    def __init__(self, universe: Universe) -> None:
        self.catalogue = MarketCatalogue(universe)
        self.client = universe.client
        self.accounts = {account["accountId"]: copy.deepcopy(account) for account in universe.accounts}
        self.preferences = copy.deepcopy(universe.preferences)
        self.watchlists: dict[str, Watchlist] = {watchlist.id: watchlist for watchlist in universe.watchlists}
        self.book = TradingBook(universe.seed)

    @property
    def timezone_offset(self) -> float:
        return float(self.client.get("timezoneOffset", 0))

    def preferred_account_id(self) -> str:
        """The account a login starts on: the preferred one, else the first."""
        accounts = list(self.accounts.values())
        return next((a for a in accounts if a.get("preferred")), accounts[0])["accountId"]

    def leverage(self, account_id: str, instrument_type: str) -> int:
        """The account's current leverage for an instrument type (1 where preferences name none)."""
        leverages = self.preferences.get(account_id, {}).get("leverages", {})
        return int(leverages.get(instrument_type, {}).get("current", 1))

    def next_watchlist_id(self) -> str:
        """A fresh numeric watchlist id (REFERENCE §2: watchlist ids are numeric strings)."""
        numeric = [int(wid) for wid in self.watchlists if wid.isdigit()]
        return str(max(numeric, default=100000) + 1)

    def ground_truth(self) -> dict[str, Any]:
        """The universe's ground truth with the API's edits applied (``GET /_simulator/universe``)."""
        edited = dataclasses.replace(
            self.catalogue.universe,
            accounts=list(self.accounts.values()),
            preferences=self.preferences,
            watchlists=list(self.watchlists.values()),
        )
        truth = edited.ground_truth()
        book, offset, summaries = self.book, self.timezone_offset, self.catalogue.summaries
        truth["positions"] = [p.as_json(offset, summaries[p.epic]) for p in book.positions.values()]
        truth["working_orders"] = [o.as_json(offset, summaries[o.epic]) for o in book.orders.values()]
        return truth
