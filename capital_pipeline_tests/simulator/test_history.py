"""Activity and transaction history windows and filters (``history.py``)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from capital_pipeline.simulator.clock import utc_now
from capital_pipeline.simulator.history import (
    AccountHistory,
    activity_window,
    parse_filter,
    transaction_window,
)
from capital_pipeline.simulator.responses import ApiError


def _error(function, params: dict[str, str]) -> str:
    with pytest.raises(ApiError) as error:
        function(params)
    assert error.value.status == 400
    return error.value.code


def test_activity_defaults_to_the_last_600_seconds() -> None:
    start, end = activity_window({})
    assert end - start == timedelta(seconds=600)
    assert abs((end - utc_now()).total_seconds()) < 5


def test_activity_one_bound_gives_a_one_day_window() -> None:
    assert activity_window({"from": "2022-01-17T15:09:47"}) == (
        datetime(2022, 1, 17, 15, 9, 47),
        datetime(2022, 1, 18, 15, 9, 47),
    )
    assert activity_window({"to": "2022-01-17T15:09:47"})[0] == datetime(2022, 1, 16, 15, 9, 47)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"from": "2022-01-17"}, "error.invalid.from"),
        ({"to": "2022-01-17T25:00:00"}, "error.invalid.to"),
        ({"from": "2022-01-17T00:00:00", "to": "2022-01-18T00:00:01"}, "error.invalid.daterange"),
        ({"from": "2022-01-17T00:00:00", "to": "2022-01-16T00:00:00"}, "error.invalid.daterange"),
        ({"lastPeriod": "86401"}, "error.invalid.daterange"),
        ({"lastPeriod": "ten"}, "error.invalid.lastPeriod"),
    ],
)
def test_activity_window_errors(params: dict[str, str], code: str) -> None:
    assert _error(activity_window, params) == code


def test_transactions_have_no_day_cap_and_default_to_now() -> None:
    start, end = transaction_window({"from": "2021-08-10T00:00:00"})
    assert start == datetime(2021, 8, 10) and abs((end - utc_now()).total_seconds()) < 5
    start, end = transaction_window({"lastPeriod": "30"})
    assert end - start == timedelta(seconds=30)


def test_fiql_filter_parses_and_refuses_unknown_fields() -> None:
    assert parse_filter("source!=DEALER;epic==OIL_CRUDE,GOLD") == [
        ("source", False, {"DEALER"}),
        ("epic", True, {"OIL_CRUDE", "GOLD"}),
    ]
    assert parse_filter(None) == []
    for broken in ("colour==RED", "status", "type==", "epic=GOLD"):
        with pytest.raises(ApiError) as error:
            parse_filter(broken)
        assert error.value.code == "error.invalid.filter"


def test_activity_query_applies_account_window_filter_deal_and_detail() -> None:
    history = AccountHistory()
    for epic, kind, status in (("GOLD", "POSITION", "ACCEPTED"), ("GOLD", "EDIT_STOP_AND_LIMIT", "REJECTED")):
        item = {"epic": epic, "dealId": f"d-{kind}", "source": "USER", "type": kind, "status": status}
        history.add_activity("A1", 2, item | {"details": {"size": 1}})
    history.add_activity(
        "A2", 2, {"epic": "GOLD", "dealId": "x", "source": "USER", "type": "POSITION", "status": "ACCEPTED"}
    )
    window = (utc_now() - timedelta(minutes=1), utc_now() + timedelta(minutes=1))
    rejected = history.activity("A1", window, parse_filter("status==REJECTED;epic==GOLD"), None, False)
    assert [a["type"] for a in rejected] == ["EDIT_STOP_AND_LIMIT"] and "details" not in rejected[0]
    by_deal = history.activity("A1", window, [], "d-POSITION", True)
    assert [a["dealId"] for a in by_deal] == ["d-POSITION"] and by_deal[0]["details"] == {"size": 1}
    assert [a["type"] for a in history.activity("A1", window, [], None, False)] == [
        "EDIT_STOP_AND_LIMIT",
        "POSITION",
    ]
    local, utc = (datetime.fromisoformat(by_deal[0][key]) for key in ("date", "dateUTC"))
    assert local - utc == timedelta(hours=2)
