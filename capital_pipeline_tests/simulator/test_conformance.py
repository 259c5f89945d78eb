"""Every example response of the official collection, staged against the simulator and compared.

Each example has a staging function below: it prepares what the example needs (a position to read, a
watchlist to delete, a second login within the second) and sends the example's request, with identifiers
and prices moved to the simulated universe where the example's own (2022 prices, past dates, real ids) cannot
exist. Rules of comparison: ``conformance.py``. The run writes ``docs/conformance.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from capital_pipeline.simulator import SimulatorConfig, SimulatorHandle, run_simulator
from capital_pipeline_tests.simulator.conformance import Verdict, load_examples, render_report, verdict
from capital_pipeline_tests.simulator.conftest import ApiClient, encrypt_password

REPORT = Path(__file__).resolve().parents[2] / "docs" / "conformance.md"
_OPTIONAL = ("netChange", "high", "low", "percentageChange")


def _query_time(moment: datetime) -> str:
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
        return _query_time(datetime.now(UTC) + timedelta(days=days))

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


# General and session -------------------------------------------------------------------------------
@stage("Get server time", "Successful response")
def _time(s: Stage) -> httpx.Response:
    return s.send("GET", "/time", headers={})


@stage("Ping the service", "Successful response")
def _ping(s: Stage) -> httpx.Response:
    return s.send("GET", "/ping")


@stage("Encryption key", "Successful response")
def _encryption_key(s: Stage) -> httpx.Response:
    return s.send("GET", "/session/encryptionKey", headers={"X-CAP-API-KEY": s.simulator.credentials.api_key})


@stage("Session details", "Successful response")
def _session_details(s: Stage) -> httpx.Response:
    return s.send("GET", "/session")


@stage("Create new session", "Success: Session created (basic password)")
def _login_plain(s: Stage) -> httpx.Response:
    return s.login_with(s.own_login_body())


@stage("Create new session", "Success: Session created (encrypted password)")
def _login_encrypted(s: Stage) -> httpx.Response:
    key = _encryption_key(s).json()
    password = encrypt_password(key["encryptionKey"], key["timeStamp"], s.simulator.credentials.password)
    body = s.own_login_body() | {"password": password, "encryptedPassword": True}
    return s.login_with(body)


@stage("Create new session", "Error: API key missing")
def _login_without_key(s: Stage) -> httpx.Response:
    return s.login_with(s.own_login_body(), headers={})


@stage("Create new session", "Error: Invalid credentials")
def _login_invalid(s: Stage) -> httpx.Response:
    return s.login_with({"identifier": "test@email.com", "password": "invalid"})


@stage("Create new session", "Error: Request limit exceeded", "login limit set to 1/s for this example only")
def _login_too_often(s: Stage) -> httpx.Response:
    s.simulator.set_config(login_rate_limit=1)
    try:
        s.login_with(s.own_login_body())
        return s.login_with(s.own_login_body())
    finally:
        s.simulator.set_config(login_rate_limit=1000)


@stage("Switches active account", "Success: Account switched", "accountId: the login's other account")
def _switch(s: Stage) -> httpx.Response:
    current = s.send("GET", "/session").json()["accountId"]
    other = next(account for account in s.accounts if account != current)
    return s.send("PUT", "/session", json={"accountId": other})


@stage("Switches active account", "Error: Invalid accountId")
def _switch_invalid(s: Stage) -> httpx.Response:
    return s.send("PUT", "/session", json={"accountId": "0000000000001"})


@stage("Log out of the current session", "Success: Session closed", "a second login is logged out")
def _logout(s: Stage) -> httpx.Response:
    login = s.login_with(s.own_login_body())
    tokens = {name: login.headers[name] for name in ("CST", "X-SECURITY-TOKEN")}
    return s.send("DELETE", "/session", headers=tokens)


# Accounts ------------------------------------------------------------------------------------------
@stage("All accounts", "Successfull response")
def _accounts(s: Stage) -> httpx.Response:
    return s.send("GET", "/accounts")


@stage("Account preferences", "Successful response")
def _preferences(s: Stage) -> httpx.Response:
    return s.send("GET", "/accounts/preferences")


@stage("Update account preferences", "Successful response", "leverages: values the account offers")
def _update_preferences(s: Stage) -> httpx.Response:
    offered = s.send("GET", "/accounts/preferences").json()["leverages"]
    leverages = {kind: choice["available"][-1] for kind, choice in offered.items()}
    return s.send("PUT", "/accounts/preferences", json={"leverages": leverages, "hedgingMode": False})


@stage("Update account preferences", "Error: Invalid leverage value")
def _update_preferences_invalid(s: Stage) -> httpx.Response:
    return s.send("PUT", "/accounts/preferences", json={"leverages": {"INDICES": 600}})


_HISTORY_NOTE = "history made first (a position opened); dates moved to today"


@stage("Account activity history", "Success: Filter list by date", _HISTORY_NOTE)
def _activity_by_date(s: Stage) -> httpx.Response:
    s.open_position()
    now = datetime.now(UTC)
    window = {"from": _query_time(now - timedelta(minutes=5)), "to": _query_time(now + timedelta(seconds=2))}
    return s.send("GET", "/history/activity", params=window)


@stage(
    "Account activity history",
    "Success: Filter list using FIQL filter",
    "a rejected stop amendment made first; epic list moved to the staging market",
)
def _activity_filtered(s: Stage) -> httpx.Response:
    deal_id, _ = s.open_position()
    s.send("PUT", f"/positions/{deal_id}", json={"stopLevel": s.price * 10})
    fiql = f"source!=DEALER;type!=POSITION;status==REJECTED;epic=={s.epic},GOLD"
    return s.send("GET", "/history/activity", params={"filter": fiql})


@stage("Account activity history", "Success: Filter list by dealId with enabled detailed view", _HISTORY_NOTE)
def _activity_detailed(s: Stage) -> httpx.Response:
    deal_id, _ = s.open_position()
    return s.send("GET", "/history/activity", params={"detailed": "true", "dealId": deal_id})


@stage("Account activity history", "Error: Invalid date format")
def _activity_bad_date(s: Stage) -> httpx.Response:
    return s.send("GET", "/history/activity", params={"from": "2022-01-17"})


@stage(
    "Account transactions history",
    "Success: Get list of transactions within last hour",
    "a position opened and closed first",
)
def _transactions(s: Stage) -> httpx.Response:
    deal_id, _ = s.open_position()
    s.send("DELETE", f"/positions/{deal_id}")
    return s.send("GET", "/history/transactions")


@stage(
    "Account transactions history",
    "Success: Filter list within last 30 second by type",
    "a demo top-up (POST /accounts/topUp, S2) made first",
)
def _transactions_by_type(s: Stage) -> httpx.Response:
    s.send("POST", "/accounts/topUp", json={"amount": 20})
    return s.send("GET", "/history/transactions", params={"lastPeriod": "30", "type": "DEPOSIT"})


# Positions -----------------------------------------------------------------------------------------
@stage("All positions", "Successful response", "open positions closed, then one opened")
def _positions(s: Stage) -> httpx.Response:
    s.close_all_positions()
    s.open_position()
    return s.send("GET", "/positions")


@stage("Single position", "Successful response", "a position opened first")
def _position(s: Stage) -> httpx.Response:
    deal_id, _ = s.open_position()
    return s.send("GET", f"/positions/{deal_id}")


_UNKNOWN_DEAL = "006011e7-0001-54c4-0000-000080560069"


@stage("Single position", "Error: Position not found")
def _position_unknown(s: Stage) -> httpx.Response:
    return s.send("GET", f"/positions/{_UNKNOWN_DEAL}")


@stage("Create position", "Success: Create simple position", MOVED_EPIC)
def _create_position(s: Stage) -> httpx.Response:
    return s.send("POST", "/positions", json={"epic": s.epic, "direction": "BUY", "size": 1})


@stage(
    "Create position",
    "Success: Create position with stop loss, take profit and guaranteed stop",
    MOVED_LEVELS,
)
def _create_position_protected(s: Stage) -> httpx.Response:
    levels = {
        "guaranteedStop": True,
        "stopLevel": round(s.price * 0.8, 2),
        "profitLevel": round(s.price * 1.1, 2),
    }
    return s.send("POST", "/positions", json={"epic": s.epic, "direction": "BUY", "size": 1} | levels)


@stage("Create position", "Error: Too small stop loss value", MOVED_EPIC)
def _create_position_low_stop(s: Stage) -> httpx.Response:
    return s.send("POST", "/positions", json={"epic": s.epic, "direction": "BUY", "size": 1, "stopLevel": 1})


@stage("Create position", "Error: Too high take profit value", MOVED_LEVELS)
def _create_position_high_profit(s: Stage) -> httpx.Response:
    body = {"epic": s.epic, "direction": "BUY", "size": 1, "profitLevel": s.price * 10}
    return s.send("POST", "/positions", json=body)


_AMENDMENT = {"guaranteedStop": True, "stopDistance": 3, "profitAmount": 2}


@stage(
    "Update position", "Success: Update stop loss, take profit and guaranteed stop", "a position opened first"
)
def _update_position(s: Stage) -> httpx.Response:
    deal_id, _ = s.open_position()
    distance = round(s.price * 0.1, 2)
    return s.send("PUT", f"/positions/{deal_id}", json=_AMENDMENT | {"stopDistance": distance})


@stage("Update position", "Error: Too high stop loss value", "a position opened first; " + MOVED_LEVELS)
def _update_position_high_stop(s: Stage) -> httpx.Response:
    deal_id, _ = s.open_position()
    return s.send("PUT", f"/positions/{deal_id}", json={"stopLevel": s.price * 10})


@stage("Update position", "Error: Too low take profit value", "a position opened first")
def _update_position_low_profit(s: Stage) -> httpx.Response:
    deal_id, _ = s.open_position()
    return s.send("PUT", f"/positions/{deal_id}", json={"profitLevel": 1})


@stage("Update position", "Error: Position not found")
def _update_position_unknown(s: Stage) -> httpx.Response:
    return s.send("PUT", f"/positions/{_UNKNOWN_DEAL}", json=_AMENDMENT)


@stage("Close position", "Successful response", "a position opened first")
def _close_position(s: Stage) -> httpx.Response:
    deal_id, _ = s.open_position()
    return s.send("DELETE", f"/positions/{deal_id}")


@stage("Close position", "Error: Position not found")
def _close_position_unknown(s: Stage) -> httpx.Response:
    return s.send("DELETE", "/positions/006011e7-0001-54c4-0000-000080560068")


# Working orders ------------------------------------------------------------------------------------
@stage("All working orders", "Successful response", "an order with cancellation date, stop and profit first")
def _orders(s: Stage) -> httpx.Response:
    level = s.order_body()["level"]
    s.create_order(
        goodTillDate=s.future(), stopLevel=round(level * 0.9, 2), profitLevel=round(level * 1.1, 2)
    )
    return s.send("GET", "/workingorders")


@stage("Create working order", "Success: Create limit order", MOVED_LEVELS)
def _create_order(s: Stage) -> httpx.Response:
    return s.send("POST", "/workingorders", json=s.order_body())


@stage(
    "Create working order",
    "Success: Create order with stop loss, take profit, guaranteed stop and cancellation date",
    MOVED_LEVELS + "; cancellation date moved into the future",
)
def _create_order_protected(s: Stage) -> httpx.Response:
    level = s.order_body()["level"]
    protection = {"stopLevel": round(level * 0.85, 2), "profitLevel": round(level * 1.15, 2)}
    body = s.order_body(goodTillDate=s.future(), guaranteedStop=True, **protection)
    return s.send("POST", "/workingorders", json=body)


@stage("Create working order", "Error: Cancellation date in the past", MOVED_EPIC)
def _create_order_past(s: Stage) -> httpx.Response:
    return s.send("POST", "/workingorders", json=s.order_body(goodTillDate="2020-06-09T01:01:00"))


_ORDER_AMENDMENT = {"guaranteedStop": True, "stopDistance": 4, "profitDistance": 4}


@stage(
    "Update working order",
    "Success: Update stop loss, take profit, guaranteed stop and cancellation date",
    "an order created first; cancellation date moved into the future",
)
def _update_order(s: Stage) -> httpx.Response:
    deal_id = s.create_order()
    return s.send("PUT", f"/workingorders/{deal_id}", json=_ORDER_AMENDMENT | {"goodTillDate": s.future()})


@stage("Update working order", "Error: Order not found")
def _update_order_unknown(s: Stage) -> httpx.Response:
    body = _ORDER_AMENDMENT | {"goodTillDate": s.future()}
    return s.send("PUT", f"/workingorders/{_UNKNOWN_DEAL}", json=body)


@stage("Delete working order", "Successful response", "an order created first")
def _delete_order(s: Stage) -> httpx.Response:
    return s.send("DELETE", f"/workingorders/{s.create_order()}")


@stage("Delete working order", "Error: Order not found")
def _delete_order_unknown(s: Stage) -> httpx.Response:
    return s.send("DELETE", f"/workingorders/{_UNKNOWN_DEAL}")


@stage("Position/Order confirmation", "Successful response", "a position opened first")
def _confirm(s: Stage) -> httpx.Response:
    _, reference = s.open_position()
    return s.send("GET", f"/confirms/{reference}")


@stage("Position/Order confirmation", "Error: Deal confirmation not found")
def _confirm_unknown(s: Stage) -> httpx.Response:
    return s.send("GET", "/confirms/o_fcc7e6c0-c150-48aa-bf66-d6c6da071f2b")


# Markets -------------------------------------------------------------------------------------------
@stage("All top-level market categories", "Successful response")
def _navigation(s: Stage) -> httpx.Response:
    return s.send("GET", "/marketnavigation")


@stage("All category sub-nodes", "Success: List of category sub-nodes")
def _navigation_branch(s: Stage) -> httpx.Response:
    return s.send("GET", "/marketnavigation/hierarchy_v1.commons_group")


@stage(
    "All category sub-nodes",
    "Success: List of markets in category with limit = 2",
    "nodeId: a leaf of the simulated tree (the example's is a branch there)",
)
def _navigation_leaf(s: Stage) -> httpx.Response:
    return s.send("GET", f"/marketnavigation/{s.leaf('hierarchy_v1.commodities')}", params={"limit": "2"})


@stage("All category sub-nodes", "Error: Invalid limit parameter")
def _navigation_bad_limit(s: Stage) -> httpx.Response:
    return s.send("GET", f"/marketnavigation/{s.leaf('hierarchy_v1.commodities')}", params={"limit": "0"})


@stage("Markets details", "Successful response: searchTerm")
def _search(s: Stage) -> httpx.Response:
    return s.send("GET", "/markets", params={"searchTerm": "silver"})


@stage("Markets details", "Successful response: epics", MOVED_EPIC)
def _markets_by_epic(s: Stage) -> httpx.Response:
    return s.send("GET", "/markets", params={"epics": f"{s.epic},{s.other_epic}"})


@stage("Markets details", "Error: Empty searchTerm parameter")
def _search_empty(s: Stage) -> httpx.Response:
    return s.send("GET", "/markets", params={"searchTerm": ""})


@stage(
    "Markets details",
    "Error: Empty epics parameter",
    "ADAPTED: sent as `epics=`; the example's bare GET /markets lists every market since 2023-08-04",
)
def _epics_empty(s: Stage) -> httpx.Response:
    return s.send("GET", "/markets", params={"epics": ""})


@stage("Single market details", "Successful response", MOVED_EPIC)
def _market(s: Stage) -> httpx.Response:
    return s.send("GET", f"/markets/{s.epic}")


@stage("Single market details", "Error: Market not found")
def _market_unknown(s: Stage) -> httpx.Response:
    return s.send("GET", "/markets/INVALID")


@stage("Historical prices", "Success: Default response", MOVED_EPIC)
def _prices(s: Stage) -> httpx.Response:
    return s.send("GET", f"/prices/{s.epic}")


@stage(
    "Historical prices",
    "Success: Use not default resolution, start date and max parameters",
    "from: two days ago (intraday history reaches about two years back, S12)",
)
def _prices_from(s: Stage) -> httpx.Response:
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0) - timedelta(days=2)
    params = {"resolution": "MINUTE_15", "max": "4", "from": _query_time(start)}
    return s.send("GET", f"/prices/{s.epic}", params=params)


@stage("Historical prices", "Error: Invalid resolution parameter", MOVED_EPIC)
def _prices_bad_resolution(s: Stage) -> httpx.Response:
    return s.send("GET", f"/prices/{s.epic}", params={"resolution": "MINUTE_3"})


@stage("Client sentiment for markets", "Successful response", MOVED_EPIC)
def _sentiments(s: Stage) -> httpx.Response:
    return s.send("GET", "/clientsentiment/", params={"marketIds": f"{s.epic},{s.other_epic}"})


@stage("Client sentiment for markets", "Error: Market not found")
def _sentiments_unknown(s: Stage) -> httpx.Response:
    return s.send("GET", "/clientsentiment/", params={"marketIds": "NOTFOUND"})


@stage("Client sentiment for market", "Successful response", MOVED_EPIC)
def _sentiment(s: Stage) -> httpx.Response:
    return s.send("GET", f"/clientsentiment/{s.epic}")


@stage("Client sentiment for market", "Error: Market not found")
def _sentiment_unknown(s: Stage) -> httpx.Response:
    return s.send("GET", "/clientsentiment/NOTFOUND")


# Watchlists ----------------------------------------------------------------------------------------
_WATCHLIST_NOTE = "a watchlist of two markets created first"


@stage("All watchlists", "Successful response")
def _watchlists(s: Stage) -> httpx.Response:
    return s.send("GET", "/watchlists")


@stage("Single watchlist", "Successful response", _WATCHLIST_NOTE)
def _watchlist(s: Stage) -> httpx.Response:
    return s.send("GET", f"/watchlists/{s.new_watchlist([s.epic, s.other_epic])}")


@stage("Single watchlist", "Error: Watchlist not found")
def _watchlist_unknown(s: Stage) -> httpx.Response:
    return s.send("GET", f"/watchlists/{s.unknown_id('00001')}")


@stage("Create watchlist", "Success: Watchlist created")
def _create_watchlist(s: Stage) -> httpx.Response:
    return s.send("POST", "/watchlists", json={"name": "Lorem ipsum"})


@stage("Create watchlist", "Success: Not all instruments added", MOVED_EPIC)
def _create_watchlist_partly(s: Stage) -> httpx.Response:
    return s.send("POST", "/watchlists", json={"epics": [s.epic, s.other_epic, "NOTFOUND"], "name": "Lorem"})


@stage("Create watchlist", "Error: Incorrect name length", MOVED_EPIC)
def _create_watchlist_long_name(s: Stage) -> httpx.Response:
    body = {"epics": [s.epic, s.other_epic], "name": "Lorem ipsum dolor sit amet"}
    return s.send("POST", "/watchlists", json=body)


@stage("Add market to watchlist", "Success: Instrument added to the watchlist", _WATCHLIST_NOTE)
def _add_market(s: Stage) -> httpx.Response:
    return s.send("PUT", f"/watchlists/{s.new_watchlist([s.other_epic])}", json={"epic": s.epic})


@stage("Add market to watchlist", "Error: Instrument not found", _WATCHLIST_NOTE)
def _add_market_unknown(s: Stage) -> httpx.Response:
    return s.send("PUT", f"/watchlists/{s.new_watchlist([s.epic])}", json={"epic": "NOTFOUND"})


@stage("Remove market from watchlist", "Success: Instrument removed form the watchlist", _WATCHLIST_NOTE)
def _remove_market(s: Stage) -> httpx.Response:
    return s.send("DELETE", f"/watchlists/{s.new_watchlist([s.epic, s.other_epic])}/{s.epic}")


@stage("Remove market from watchlist", "Error: Instrument not found in the watchlist", _WATCHLIST_NOTE)
def _remove_market_absent(s: Stage) -> httpx.Response:
    return s.send("DELETE", f"/watchlists/{s.new_watchlist([s.epic])}/{s.other_epic}")


@stage("Delete watchlist", "Success: Watchlist deleted", _WATCHLIST_NOTE)
def _delete_watchlist(s: Stage) -> httpx.Response:
    return s.send("DELETE", f"/watchlists/{s.new_watchlist([s.epic])}")


@stage("Delete watchlist", "Error: Watchlist not found")
def _delete_watchlist_unknown(s: Stage) -> httpx.Response:
    return s.send("DELETE", f"/watchlists/{s.unknown_id('123450')}")


# The run -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def staged() -> Iterator[tuple[list[str], list[Verdict]]]:
    """Stage every example once (in collection order) and keep the verdicts."""
    requests, examples = load_examples()
    config = SimulatorConfig(rate_limit=1000, login_rate_limit=1000)
    with run_simulator(config) as simulator:
        api = ApiClient(simulator)
        try:
            stage_context = Stage(simulator, api)
            verdicts = []
            for example in examples:
                key = (example.request, example.name)
                if key in STAGES:
                    response = STAGES[key](stage_context)
                    verdicts.append(verdict(example, response, NOTES.get(key, "")))
        finally:
            api.close()
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(render_report(requests, verdicts, UNSTAGEABLE))
    yield requests, verdicts


def test_every_collection_example_is_staged_or_explained() -> None:
    _requests, examples = load_examples()
    keys = {(example.request, example.name) for example in examples}
    assert len(keys) == len(examples) == 74
    assert keys == set(STAGES) | set(UNSTAGEABLE)
    assert not set(STAGES) & set(UNSTAGEABLE)


def test_simulator_answers_every_staged_example_with_its_status_and_shape(
    staged: tuple[list[str], list[Verdict]],
) -> None:
    requests, verdicts = staged
    covered = {v.example.request for v in verdicts if v.conforms}
    figure = (
        f"{len(covered)}/{len(requests)} requests, {sum(v.conforms for v in verdicts)}/74 examples conform"
    )
    print(f"\nconformance: {figure} (report: {REPORT})")
    differing = [
        f"{v.example.request} / {v.example.name}: {'; '.join(v.problems)}" for v in verdicts if not v.conforms
    ]
    assert not differing, "\n".join(differing)
    assert len(requests) == 35 and covered == set(requests)


def test_conformance_rules_catch_a_renamed_field() -> None:
    """The comparison is strict: a field the S2 table does not document fails."""
    _requests, examples = load_examples()
    example = next(e for e in examples if e.request == "Session details")
    body = dict(example.body)
    body["accountID"] = body.pop("accountId")
    response = httpx.Response(200, json=body, headers={name: "x" for name in example.headers})
    response.headers["content-type"] = "application/json"
    problems = verdict(example, response).problems
    assert problems == ("$.accountId: missing", "$.accountID: not in the example")


def test_conformance_rules_catch_a_wrong_status_error_code_and_missing_header() -> None:
    _requests, examples = load_examples()
    example = next(
        e for e in examples if e.name == "Error: Watchlist not found" and e.request == "Delete watchlist"
    )
    response = httpx.Response(400, json={"errorCode": "error.invalid.watchlist"})
    problems = verdict(example, response).problems
    assert "status 400, example 404" in problems
    assert "errorCode 'error.invalid.watchlist', example 'error.not-found.watchlist'" in problems
    assert "header CST missing" in problems
