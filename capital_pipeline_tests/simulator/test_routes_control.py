"""The ``/_simulator`` endpoints: stats, ground truth, reset, run-time settings (``routes_control.py``)."""

from __future__ import annotations

import pytest

from capital_pipeline.simulator import SimulatorHandle
from capital_pipeline_tests.simulator.conftest import ApiClient


def test_stats_count_requests_by_route_status_and_login(start_simulator, api_client) -> None:
    simulator = start_simulator(login_rate_limit=100)
    api = api_client(simulator)
    api.login()
    api.login(password="wrong")
    api.get("/markets/SILVER")
    api.get("/markets/NOT_A_MARKET")
    stats = simulator.stats()
    assert stats["requests"] == {
        "POST /api/v1/session": 2,
        "GET /api/v1/markets/{epic}": 2,
    }
    assert stats["requests_total"] == 4
    assert stats["statuses"] == {"200": 2, "401": 1, "404": 1}
    assert stats["logins"] == {"attempts": 2, "successes": 1}
    assert stats["trading_or_editing_calls"] == 0


def test_trading_and_editing_calls_are_counted_by_route(start_simulator, api_client) -> None:
    simulator = start_simulator()
    api = api_client(simulator)
    api.login()
    api.get("/positions")
    api.get("/watchlists")
    api.request("POST", "/positions", json={"epic": "SILVER", "direction": "BUY", "size": 1})
    api.request("POST", "/watchlists", json={"name": "mine"})
    api.request("PUT", "/accounts/preferences", json={"hedgingMode": False})
    api.request("DELETE", "/workingorders/unknown")
    stats = simulator.stats()
    assert stats["trading_or_editing_calls"] == 4
    assert stats["trading_or_editing_by_route"] == {
        "POST /api/v1/positions": 1,
        "POST /api/v1/watchlists": 1,
        "PUT /api/v1/accounts/preferences": 1,
        "DELETE /api/v1/workingorders/{dealId}": 1,
    }


def test_reset_clears_the_counters(start_simulator, api_client) -> None:
    simulator = start_simulator()
    api_client(simulator).login()
    simulator.reset_stats()
    stats = simulator.stats()
    assert stats["requests_total"] == 0 and stats["logins"] == {"attempts": 0, "successes": 0}
    assert stats["max_requests_per_second"] == {}


def test_control_endpoints_are_not_counted(shared_simulator: SimulatorHandle) -> None:
    shared_simulator.reset_stats()
    shared_simulator.universe()
    shared_simulator.set_config(latency_ms=0)
    assert shared_simulator.stats()["requests_total"] == 0


def test_day_knob_rebuilds_the_universe_and_drops_api_edits_but_keeps_sessions(
    start_simulator, api_client
) -> None:
    simulator = start_simulator()
    api = api_client(simulator)
    api.login()
    created = api.request("POST", "/watchlists", json={"name": "day zero"}).json()["watchlistId"]
    assert created in {w["id"] for w in simulator.universe()["watchlists"]}
    day_zero = {m["epic"] for m in api.get("/markets").json()["markets"]}
    assert simulator.set_config(day=1)["day"] == 1
    truth = simulator.universe()
    day_one = {m["epic"] for m in api.get("/markets").json()["markets"]}
    assert truth["day"] == 1
    assert day_one == set(truth["markets"]) != day_zero
    assert set(truth["changes"]["listed"]) <= day_one - day_zero
    assert not set(truth["changes"]["delisted"]) & day_one
    assert created not in {w["id"] for w in api.get("/watchlists").json()["watchlists"]}


def test_ground_truth_shows_api_edits(client: ApiClient) -> None:
    watchlist = client.request("POST", "/watchlists", json={"name": "edited", "epics": ["SILVER"]}).json()
    client.request("PUT", f"/watchlists/{watchlist['watchlistId']}", json={"epic": "GOLD"})
    client.request("POST", "/positions", json={"epic": "SILVER", "direction": "SELL", "size": 1})
    truth = client.simulator.universe()
    edited = next(w for w in truth["watchlists"] if w["id"] == watchlist["watchlistId"])
    assert edited["epics"] == ["SILVER", "GOLD"]
    assert any(p["market"]["epic"] == "SILVER" for p in truth["positions"])


@pytest.mark.parametrize(
    "changes",
    [{"rate_limit": 0}, {"latency_distribution": "pareto"}, {"host": "0.0.0.0"}, {"no_such_setting": 1}],
)
def test_invalid_settings_are_refused_with_400(shared_simulator: SimulatorHandle, changes) -> None:
    with pytest.raises(ValueError, match="400"):
        shared_simulator.set_config(**changes)


def test_tokens_lists_every_token_issued_by_logins_and_switches(start_simulator, api_client) -> None:
    simulator = start_simulator(login_rate_limit=100)
    api = api_client(simulator)
    first = api.login()
    second = api.login()
    accounts = api.get("/accounts").json()["accounts"]
    other = next(a["accountId"] for a in accounts if not a["preferred"])
    switched = api.request("PUT", "/session", json={"accountId": other})
    issued = {
        response.headers[header] for response in (first, second) for header in ("CST", "X-SECURITY-TOKEN")
    } | {switched.headers["X-SECURITY-TOKEN"]}
    assert set(simulator.issued_tokens()) == issued
