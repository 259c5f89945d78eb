"""Staging the examples of the navigation, market, price, sentiment and watchlist requests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from capital_pipeline_tests.simulator.staging import MOVED_EPIC, Stage, query_time, stage


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
    params = {"resolution": "MINUTE_15", "max": "4", "from": query_time(start)}
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
