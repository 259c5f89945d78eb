"""The read-side endpoints: what each one asks for and what it returns."""

from __future__ import annotations

from datetime import UTC

import httpx
import pytest

from capital_pipeline.capital import BadRequest, MalformedResponse
from capital_pipeline_tests.capital.fake_api import ACCOUNTS, FakeCapital, FakeClock, client_for, error

SUMMARY = {"epic": "SILVER", "bid": 24.3}


@pytest.mark.anyio
async def test_server_time_is_an_aware_utc_datetime() -> None:
    api = FakeCapital(FakeClock(1_700_000_000.5))
    async with client_for(api) as client:
        moment = await client.server_time()
    assert moment.tzinfo is UTC and moment.timestamp() == 1_700_000_000.5


@pytest.mark.anyio
async def test_session_accounts_preferences_and_navigation_top() -> None:
    api = FakeCapital(FakeClock())
    async with client_for(api) as client:
        details = await client.session_details()
        accounts = await client.accounts()
        preferences = await client.preferences()
        top = await client.navigation_top()
        await client.ping()
    assert details.account_id == ACCOUNTS[0]["accountId"]
    assert [account.account_id for account in accounts] == [account["accountId"] for account in ACCOUNTS]
    assert preferences.hedging_mode is False
    assert [node.node_id for node in top] == ["hierarchy_v1.top"]


@pytest.mark.anyio
async def test_switching_to_the_active_account_counts_as_success() -> None:
    api = FakeCapital(FakeClock())
    async with client_for(api) as client:
        await client.switch_account(ACCOUNTS[0]["accountId"])
        bundle = client.export_session()
    assert api.arrivals("PUT /session")[0].body == {"accountId": ACCOUNTS[0]["accountId"]}
    assert bundle is not None and bundle.account_id == ACCOUNTS[0]["accountId"]


@pytest.mark.anyio
async def test_switching_account_adopts_the_new_security_token() -> None:
    api = FakeCapital(FakeClock())
    async with client_for(api) as client:
        await client.login()
        before = client.export_session()
        await client.switch_account(ACCOUNTS[1]["accountId"])
        after = client.export_session()
        preferences = await client.preferences()
    assert before is not None and after is not None
    assert after.cst == before.cst and after.security_token != before.security_token
    assert after.account_id == ACCOUNTS[1]["accountId"] and preferences.hedging_mode is True


@pytest.mark.anyio
async def test_preferences_of_every_account_switch_on_forked_tokens_and_hand_back_the_last() -> None:
    api = FakeCapital(FakeClock())  # the fake retires a token once it switched: the harder case
    ids = [account["accountId"] for account in ACCOUNTS]
    async with client_for(api) as client:
        await client.login()
        preferences = await client.preferences_of(ids)
        after = client.export_session()
        details = await client.session_details()
    assert {account_id: p.hedging_mode for account_id, p in preferences.items()} == {
        ids[0]: False,
        ids[1]: True,
    }
    assert [arrival.body for arrival in api.arrivals("PUT /session")] == [
        {"accountId": ids[1]},
        {"accountId": ids[0]},
    ]
    assert len(api.arrivals("GET /accounts/preferences")) == 2 and len(api.arrivals("POST /session")) == 1
    assert after is not None and after.account_id == ids[0] and details.account_id == ids[0]


@pytest.mark.anyio
@pytest.mark.parametrize("route", ["GET /accounts/preferences", "PUT /session"])
async def test_a_session_expiring_in_the_preferences_chain_relogs_in_once_and_goes_on(route: str) -> None:
    api = FakeCapital(FakeClock())
    api.answer_next(route, error(401, "error.invalid.session.token"))
    ids = [account["accountId"] for account in ACCOUNTS]
    async with client_for(api) as client:
        preferences = await client.preferences_of(ids)
        details = await client.session_details()
    assert {account_id: p.hedging_mode for account_id, p in preferences.items()} == {
        ids[0]: False,
        ids[1]: True,
    }
    assert len(api.arrivals("POST /session")) == 2 and details.account_id == ids[0]


@pytest.mark.anyio
async def test_a_preferences_chain_failing_away_from_the_account_leaves_the_session_unused() -> None:
    # The switch may have moved the whole session (REFERENCE.md section 10): the next request logs in afresh.
    api = FakeCapital(FakeClock())
    ids = [account["accountId"] for account in ACCOUNTS]
    async with client_for(api) as client:
        await client.login()
        api.answer_next("PUT /session", error(400, "error.invalid.accountId"))
        with pytest.raises(BadRequest):
            await client.preferences_of(ids)
        details = await client.session_details()
    assert len(api.arrivals("POST /session")) == 2 and details.account_id == ids[0]


@pytest.mark.anyio
async def test_switching_to_an_unknown_account_is_a_bad_request() -> None:
    api = FakeCapital(FakeClock())
    api.answer_next("PUT /session", error(400, "error.invalid.accountId"))
    async with client_for(api) as client:
        with pytest.raises(BadRequest, match=r"error\.invalid\.accountId"):
            await client.switch_account("99")


@pytest.mark.anyio
async def test_markets_search_all_and_single() -> None:
    api = FakeCapital(FakeClock())
    api.answer_next("GET /markets", httpx.Response(200, json={"markets": [SUMMARY]}))
    async with client_for(api) as client:
        found = await client.search_markets("silver")
        everything = await client.all_markets()
        single = await client.market("A/B")
    searches = api.arrivals("GET /markets")
    assert searches[0].params == {"searchTerm": "silver"} and searches[1].params == {}
    assert found[0].epic == "SILVER" and everything[0].epic == "SILVER"
    assert api.arrivals("GET /markets/{epic}")[0].path == "/api/v1/markets/A%2FB"
    assert single.epic == "A/B"


@pytest.mark.anyio
async def test_watchlists_and_their_markets() -> None:
    api = FakeCapital(FakeClock(), watchlist_epics={"101": ["GOLD", "SILVER"], "102": []})
    async with client_for(api) as client:
        lists = await client.watchlists()
        markets = await client.watchlist_markets("101")
    assert [w.watchlist_id for w in lists] == ["101", "102"]
    assert [m.epic for m in markets] == ["GOLD", "SILVER"]


@pytest.mark.anyio
async def test_sentiment_positions_and_working_orders() -> None:
    api = FakeCapital(FakeClock())
    api.answer_next(
        "GET /clientsentiment",
        httpx.Response(
            200, json={"clientSentiments": [{"marketId": "SILVER", "longPositionPercentage": 91.85}]}
        ),
    )
    api.answer_next(
        "GET /positions",
        httpx.Response(200, json={"positions": [{"position": {"dealId": "d1"}, "market": SUMMARY}]}),
    )
    api.answer_next(
        "GET /workingorders",
        httpx.Response(
            200, json={"workingOrders": [{"workingOrderData": {"dealId": "o1"}, "marketData": SUMMARY}]}
        ),
    )
    async with client_for(api) as client:
        sentiment = await client.client_sentiment(["SILVER", "GOLD"])
        positions = await client.positions()
        orders = await client.working_orders()
    assert api.arrivals("GET /clientsentiment")[0].params == {"marketIds": "SILVER,GOLD"}
    assert sentiment[0].long_position_percentage == 91.85
    assert positions[0].position.deal_id == "d1" and orders[0].order.deal_id == "o1"


def _cut_short() -> httpx.Response:
    return httpx.Response(200, content=b'{"accounts": [', headers={"content-type": "application/json"})


@pytest.mark.anyio
async def test_a_body_cut_short_once_is_fetched_again() -> None:
    api = FakeCapital(FakeClock())
    api.answer_next("GET /accounts", _cut_short())
    async with client_for(api) as client:
        assert await client.accounts()
        assert client.stats.retries == 1
    assert len(api.arrivals("GET /accounts")) == 2


@pytest.mark.anyio
async def test_a_body_that_is_never_json_is_a_malformed_response_after_every_attempt() -> None:
    api = FakeCapital(FakeClock())
    api.answer_next("GET /accounts", *[_cut_short()] * 3)
    async with client_for(api, max_attempts=3) as client:
        with pytest.raises(MalformedResponse, match="after 3 attempts"):
            await client.accounts()
    assert len(api.arrivals("GET /accounts")) == 3


@pytest.mark.anyio
async def test_stats_count_what_the_client_sent() -> None:
    api = FakeCapital(FakeClock())
    async with client_for(api) as client:
        await client.accounts()
        await client.accounts()
    assert client.stats.as_dict() == {
        "total": 4,
        "by_route": {"GET /accounts": 2, "GET /session/encryptionKey": 1, "POST /session": 1},
        "logins": 1,
        "retries": 0,
        "rate_limited": 0,
    }
