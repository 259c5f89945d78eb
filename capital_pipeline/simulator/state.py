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
from capital_pipeline.simulator.trading import Position, TradingBook, WorkingOrder
from capital_pipeline.simulator.universe import NavigationNode, Universe, Watchlist

__all__ = ["MarketCatalogue", "SimulatorState"]


class MarketCatalogue:
    """The day's markets and navigation tree, with the precomputed answers of the read endpoints."""

    def __init__(self, universe: Universe) -> None:
        self.universe = universe
        self.summaries = {epic: universe.market_summary(epic) for epic in universe.markets}
        self.all_markets_body = json_body({"markets": list(self.summaries.values())})
        # Serialized answers, built on first use: a day's markets and nodes never change.
        self._details_bodies: dict[str, bytes] = {}
        self._navigation_bodies: dict[tuple[str, int], bytes] = {}
        self._haystack = [
            (f"{epic}\n{summary['instrumentName']}\n{summary.get('symbol', '')}".lower(), summary)
            for epic, summary in self.summaries.items()
        ]

    def details(self, epic: str) -> dict[str, Any] | None:
        """``GET /markets/{epic}`` body, or ``None``."""
        return self.universe.markets.get(epic)

    def details_body(self, epic: str) -> bytes | None:
        """``details(epic)`` serialized, or ``None``."""
        body = self._details_bodies.get(epic)
        if body is None and epic in self.universe.markets:
            body = self._details_bodies[epic] = json_body(self.universe.markets[epic])
        return body

    def navigation_body(self, node: NavigationNode, limit: int) -> bytes:
        """``GET /marketnavigation/{nodeId}``: child nodes, and the first ``limit`` markets of a leaf."""
        key = (node.id, limit)
        if key not in self._navigation_bodies:
            children = [self.universe.nodes[child] for child in node.children]
            answer: dict[str, Any] = {"nodes": [{"id": child.id, "name": child.name} for child in children]}
            if node.epics or not node.children:
                answer["markets"] = [self.summaries[e] for e in node.epics[:limit] if e in self.summaries]
            self._navigation_bodies[key] = json_body(answer)
        return self._navigation_bodies[key]

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

    def record_activity(self, deal: Position | WorkingOrder, kind: str, status: str) -> None:
        """An activity entry for ``deal`` now, in the account's time zone, naming its market."""
        name = self.catalogue.summaries[deal.epic]["instrumentName"]
        self.book.record_activity(deal, self.timezone_offset, kind, status, name)

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
