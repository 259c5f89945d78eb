"""Price history rules and synthetic bars (``prices.py``)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from capital_pipeline.simulator.prices import price_bars, price_history
from capital_pipeline.simulator.responses import ApiError

NOW = datetime(2026, 11, 21, 14, 37, 25)
DETAILS = {"snapshot": {"bid": 24.5, "offer": 24.52, "decimalPlacesFactor": 3}}


def _code(params: dict[str, str]) -> tuple[int, str]:
    with pytest.raises(ApiError) as error:
        price_history(params, NOW)
    return error.value.status, error.value.code


def test_default_is_the_last_ten_minute_bars_up_to_now() -> None:
    step, starts = price_history({}, NOW)
    assert step == 60 and len(starts) == 10
    assert starts[-1] == datetime(2026, 11, 21, 14, 37) and starts[0] == datetime(2026, 11, 21, 14, 28)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"resolution": "MINUTE_3"}, (400, "error.invalid.resolution")),
        ({"max": "1001"}, (400, "error.invalid.max")),
        ({"max": "0"}, (400, "error.invalid.max")),
        ({"max": "ten"}, (400, "error.invalid.max")),
        ({"from": "2026-11-20"}, (400, "error.invalid.from")),
        ({"from": "2026-11-20T00:00:00Z"}, (400, "error.invalid.from")),
        ({"to": "yesterday"}, (400, "error.invalid.to")),
        (
            {"from": "2026-11-21T14:00:00", "to": "2026-11-21T15:00:00", "max": "100"},
            (400, "error.invalid.daterange"),
        ),
        ({"from": "2026-11-21T14:00:00", "to": "2026-11-21T13:00:00"}, (400, "error.invalid.daterange")),
        ({"from": "2026-11-21T14:00:00", "to": "2026-11-21T14:10:00"}, (400, "error.invalid.max.daterange")),
        ({"from": "2020-01-01T00:00:00"}, (404, "error.prices.not-found")),
        ({"from": "2026-11-21T15:00:00"}, (404, "error.prices.not-found")),
    ],
)
def test_invalid_queries_get_the_reference_errors(params: dict[str, str], expected: tuple[int, str]) -> None:
    assert _code(params) == expected


def test_window_of_max_minus_one_steps_is_allowed_both_edges_included() -> None:
    _, starts = price_history({"from": "2026-11-21T14:00:00", "to": "2026-11-21T14:09:00"}, NOW)
    assert starts[0] == datetime(2026, 11, 21, 14, 0) and starts[-1] == datetime(2026, 11, 21, 14, 9)
    assert len(starts) == 10


def test_from_runs_forward_like_the_collection_example() -> None:
    params = {"resolution": "MINUTE_15", "max": "4", "from": "2026-11-20T00:00:00"}
    _, starts = price_history(params, NOW)
    assert starts == [datetime(2026, 11, 20, 0, 0) + timedelta(minutes=15 * i) for i in range(4)]


def test_to_alone_gives_the_last_max_bars_up_to_it() -> None:
    _, starts = price_history({"resolution": "HOUR", "max": "3", "to": "2026-11-21T10:30:00"}, NOW)
    assert starts == [datetime(2026, 11, 21, h) for h in (8, 9, 10)]


def test_daily_history_reaches_back_decades_and_weeks_start_on_monday() -> None:
    _, days = price_history({"resolution": "DAY", "max": "2", "from": "1995-03-01T00:00:00"}, NOW)
    assert days == [datetime(1995, 3, 1), datetime(1995, 3, 2)]
    _, weeks = price_history({"resolution": "WEEK", "max": "5"}, NOW)
    assert all(week.weekday() == 0 for week in weeks)


def test_bars_are_deterministic_and_consistent() -> None:
    _, starts = price_history({"max": "50"}, NOW)
    bars = price_bars("SILVER", DETAILS, 60, starts, offset=2)
    assert bars == price_bars("SILVER", DETAILS, 60, starts, offset=2)
    for bar in bars:
        assert bar["lowPrice"]["bid"] <= min(bar["openPrice"]["bid"], bar["closePrice"]["bid"])
        assert bar["highPrice"]["bid"] >= max(bar["openPrice"]["bid"], bar["closePrice"]["bid"])
        assert bar["openPrice"]["ask"] == pytest.approx(bar["openPrice"]["bid"] + 0.02, abs=0.0015)
    first = bars[0]
    assert (
        first["snapshotTimeUTC"] == "2026-11-21T13:48:00" and first["snapshotTime"] == "2026-11-21T15:48:00"
    )
