"""Staging the collection's examples: the context every staging function gets, and their registry.

A staging function prepares what one example needs (a position to read, a watchlist to delete, a second login
within the second) and sends the example's request, with identifiers and prices moved to the simulated
universe where the example's own (2022 prices, past dates, real ids) cannot exist. They live in the
``stages_*`` modules and register themselves with ``@stage(request, example, note)``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from capital_pipeline.simulator import SimulatorHandle
from capital_pipeline_tests.simulator.conftest import ApiClient

__all__ = ["MOVED_EPIC", "MOVED_LEVELS", "NOTES", "STAGES", "UNSTAGEABLE", "Stage", "query_time", "stage"]

_OPTIONAL = ("netChange", "high", "low", "percentageChange")


def query_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


class Stage:
    """A logged-in client of one simulator, and the universe's markets, nodes and accounts to stage with."""

    def __init__(self, simulator: SimulatorHandle, api: ApiClient) -> None:
        self.simulator, self.api = simulator, api
        assert api.login().status_code == 200
        truth = simulator.universe()
        summaries = api.get("/markets").json()["markets"]
        self.summaries = {summary["epic"]: summary for summary in summaries}
        # The examples trade Silver at 24: stage on full, tradeable markets above 1 (stopLevel 1 must be low).
        full = [
            s["epic"]
            for s in summaries
            if s["marketStatus"] == "TRADEABLE" and all(k in s for k in _OPTIONAL) and s["bid"] > 1
        ]
        self.epic = "SILVER" if "SILVER" in full else full[0]
        self.other_epic = "NATURALGAS" if "NATURALGAS" in full else next(e for e in full if e != self.epic)
        self.full_epics = set(full)
        self.price = self.summaries[self.epic]["offer"]
        self.nodes = {node["id"]: node for node in truth["nodes"]}
        self.accounts = [account["accountId"] for account in truth["accounts"]]
        self.watchlist_ids = {watchlist["id"] for watchlist in truth["watchlists"]}

    def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.api.request(method, path, **kwargs)

    def leaf(self, preferred: str) -> str:
        """A leaf whose first two markets are full summaries like the example's (``preferred`` if usable)."""

        def usable(node: dict[str, Any]) -> bool:
            epics = node["epics"][:2]
            return not node["children"] and len(epics) == 2 and set(epics) <= self.full_epics

        node = self.nodes.get(preferred)
        return preferred if node and usable(node) else next(n["id"] for n in self.nodes.values() if usable(n))

    def unknown_id(self, example_id: str) -> str:
        return example_id if example_id not in self.watchlist_ids else "000000"

    def close_all_positions(self) -> None:
        for item in self.send("GET", "/positions").json()["positions"]:
            self.send("DELETE", f"/positions/{item['position']['dealId']}")

    def open_position(self, **fields: Any) -> tuple[str, str]:
        """A BUY of 1 on the staging market: ``(dealId, dealReference)``."""
        body = {"epic": self.epic, "direction": "BUY", "size": 1} | fields
        reference = self.send("POST", "/positions", json=body).json()["dealReference"]
        confirm = self.send("GET", f"/confirms/{reference}").json()
        return confirm["affectedDeals"][0]["dealId"], reference

    def order_body(self, **fields: Any) -> dict[str, Any]:
        level = round(self.price * 0.8, 2)
        return {"epic": self.epic, "direction": "BUY", "size": 1, "level": level, "type": "LIMIT"} | fields

    def create_order(self, **fields: Any) -> str:
        reference = self.send("POST", "/workingorders", json=self.order_body(**fields)).json()[
            "dealReference"
        ]
        return self.send("GET", f"/confirms/{reference}").json()["dealId"]

    def new_watchlist(self, epics: list[str]) -> str:
        return self.send("POST", "/watchlists", json={"name": "Staged", "epics": epics}).json()["watchlistId"]

    def future(self, days: int = 30) -> str:
        return query_time(datetime.now(UTC) + timedelta(days=days))

    def login_with(self, body: dict[str, Any], headers: dict[str, str] | None = None) -> httpx.Response:
        credentials = self.simulator.credentials
        headers = {"X-CAP-API-KEY": credentials.api_key} if headers is None else headers
        return self.api.http.post("/session", json=body, headers=headers)

    def own_login_body(self) -> dict[str, str]:
        return {
            "identifier": self.simulator.credentials.identifier,
            "password": self.simulator.credentials.password,
        }


StageFunction = Callable[[Stage], httpx.Response]
STAGES: dict[tuple[str, str], StageFunction] = {}
NOTES: dict[tuple[str, str], str] = {}
# Examples the simulator cannot stage, with the reason (none so far: every example has a staging).
UNSTAGEABLE: dict[tuple[str, str], str] = {}


def stage(request: str, example: str, note: str = "") -> Callable[[StageFunction], StageFunction]:
    def register(function: StageFunction) -> StageFunction:
        STAGES[(request, example)] = function
        if note:
            NOTES[(request, example)] = note
        return function

    return register


MOVED_EPIC = "epics: the example's if the universe has them as full, tradeable markets (else others)"
MOVED_LEVELS = "levels moved around today's simulated price (the example's are 2022 Silver prices)"
