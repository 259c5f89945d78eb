"""Time windows: prices paged by 1000 bars, activity and transactions one day per request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from capital_pipeline.capital import NotFound
from capital_pipeline_tests.capital.fake_api import FakeCapital, FakeClock, client_for, error

START = datetime(2024, 1, 1, tzinfo=UTC)


def bars(*minutes: int) -> httpx.Response:
    prices = [
        {
            "snapshotTime": (START + timedelta(minutes=m, hours=2)).strftime("%Y-%m-%dT%H:%M:%S"),
            "snapshotTimeUTC": (START + timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M:%S"),
            "openPrice": {"bid": 1.0, "ask": 1.1},
        }
        for m in minutes
    ]
    return httpx.Response(200, json={"prices": prices, "instrumentType": "COMMODITIES"})


@pytest.mark.anyio
async def test_prices_between_two_dates_page_through_windows_of_at_most_1000_bars() -> None:
    api = FakeCapital(FakeClock())
    api.answer_next("GET /prices/{epic}", bars(0, 999), error(404, "error.prices.not-found"), bars(2000))
    async with client_for(api) as client:
        prices = await client.prices("SILVER", "MINUTE", START, START + timedelta(minutes=2500))
    windows = [
        (a.params["from"], a.params["to"], a.params["max"]) for a in api.arrivals("GET /prices/{epic}")
    ]
    assert sorted(windows) == [
        ("2024-01-01T00:00:00", "2024-01-01T16:39:00", "1000"),
        ("2024-01-01T16:39:01", "2024-01-02T09:18:01", "1000"),
        ("2024-01-02T09:18:02", "2024-01-02T17:40:00", "1000"),
    ]
    assert [bar.snapshot_time_utc for bar in prices] == [
        START,
        START + timedelta(minutes=999),
        START + timedelta(minutes=2000),
    ]
    assert prices[0].snapshot_time == START  # local time minus the fake's 2 h offset


@pytest.mark.anyio
async def test_prices_without_a_range_are_one_request_for_the_latest_1000() -> None:
    api = FakeCapital(FakeClock())
    api.answer_next("GET /prices/{epic}", bars(1))
    async with client_for(api) as client:
        await client.prices("SILVER", "HOUR")
    (arrival,) = api.arrivals("GET /prices/{epic}")
    assert arrival.params == {"resolution": "HOUR", "max": "1000"}


@pytest.mark.anyio
async def test_prices_for_an_unknown_epic_is_not_found_not_empty() -> None:
    api = FakeCapital(FakeClock())
    api.answer_next("GET /prices/{epic}", error(404, "error.not-found.epic"))
    async with client_for(api) as client:
        with pytest.raises(NotFound):
            await client.prices("NOPE", "DAY", START, START + timedelta(days=3))


@pytest.mark.anyio
async def test_an_unknown_resolution_is_refused_before_any_request() -> None:
    api = FakeCapital(FakeClock())
    async with client_for(api) as client:
        with pytest.raises(ValueError, match="MINUTE_3"):
            await client.prices("SILVER", "MINUTE_3")
    assert api.requests == []


def activities(*items: dict) -> httpx.Response:
    return httpx.Response(200, json={"activities": list(items)})


@pytest.mark.anyio
async def test_activity_walks_one_day_windows_and_keeps_a_boundary_record_once() -> None:
    api = FakeCapital(FakeClock())
    boundary = {"dateUTC": "2024-01-02T00:00:00", "dealId": "d1", "type": "POSITION"}
    api.answer_next(
        "GET /history/activity",
        activities({"dateUTC": "2024-01-01T10:00:00", "dealId": "d0"}, boundary),
        activities(boundary),
        activities(),
    )
    async with client_for(api) as client:
        records = await client.activity(START, START + timedelta(days=2, hours=6), detailed=True)
    windows = [(a.params["from"], a.params["to"]) for a in api.arrivals("GET /history/activity")]
    assert sorted(windows) == [
        ("2024-01-01T00:00:00", "2024-01-02T00:00:00"),
        ("2024-01-02T00:00:00", "2024-01-03T00:00:00"),
        ("2024-01-03T00:00:00", "2024-01-03T06:00:00"),
    ]
    assert all(a.params["detailed"] == "true" for a in api.arrivals("GET /history/activity"))
    assert [record.deal_id for record in records] == ["d0", "d1"]


@pytest.mark.anyio
async def test_transactions_walk_day_windows_with_their_type_filter() -> None:
    api = FakeCapital(FakeClock())
    api.answer_next(
        "GET /history/transactions",
        httpx.Response(200, json={"transactions": [{"dateUtc": "2024-01-01T01:00:00", "size": "-1.5"}]}),
    )
    async with client_for(api) as client:
        records = await client.transactions(START, START + timedelta(hours=3), transaction_type="SWAP")
    (arrival,) = api.arrivals("GET /history/transactions")
    assert arrival.params["type"] == "SWAP"
    assert records[0].size == "-1.5"
