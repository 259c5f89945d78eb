"""The snapshot's reads take the minimal plan, leave the session on its account, and never half-succeed."""

from __future__ import annotations

import pytest

from capital_pipeline.snapshot import (
    fetch_accounts,
    fetch_watchlists,
)
from capital_pipeline_tests.capital.fake_api import ACCOUNTS, FakeCapital, FakeClock, client_for


@pytest.mark.anyio
async def test_accounts_take_one_read_plus_a_switch_and_preferences_per_account_and_switch_back() -> None:
    api = FakeCapital(FakeClock())
    async with client_for(api) as client:
        part = await fetch_accounts(client)
        assert client.export_session().account_id == ACCOUNTS[0]["accountId"]
    assert [account.account_id for account in part.accounts] == [a["accountId"] for a in ACCOUNTS]
    assert set(part.preferences) == {a["accountId"] for a in ACCOUNTS}
    # Each account's preferences were read while it was the active one (the fake marks the second as hedging).
    assert part.preferences[ACCOUNTS[1]["accountId"]].hedging_mode is True
    assert part.preferences[ACCOUNTS[0]["accountId"]].hedging_mode is False
    data_requests = [
        a.route for a in api.requests if a.route not in ("GET /session/encryptionKey", "POST /session")
    ]
    accounts = len(ACCOUNTS)
    assert len(data_requests) == 1 + 2 * accounts
    assert data_requests.count("PUT /session") == accounts  # A-1 switches away, one back


@pytest.mark.anyio
async def test_watchlists_take_one_list_and_one_read_per_watchlist() -> None:
    api = FakeCapital(FakeClock(), watchlist_epics={"1": ["GOLD"], "2": ["SILVER", "GOLD"]})
    async with client_for(api) as client:
        part = await fetch_watchlists(client)
    assert {w: [m.epic for m in markets] for w, markets in part.markets.items()} == {
        "1": ["GOLD"],
        "2": ["SILVER", "GOLD"],
    }
    assert len(api.arrivals("GET /watchlists/{watchlistId}")) == 2
    assert len(api.arrivals("GET /watchlists")) == 1
