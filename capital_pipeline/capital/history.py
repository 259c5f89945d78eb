"""Time-windowed reads: price bars paged by 1000, activity and transactions walked one day at a time.

``GET /prices`` returns at most ``max`` ≤ 1000 bars and refuses a window longer than (max - 1) * resolution;
an empty window answers 404 ``error.prices.not-found``. ``GET /history/activity`` accepts at most one day per
request (REFERENCE.md sections 4, 6 and 7). Windows are independent, so they go out concurrently within the
pace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from capital_pipeline.capital.concurrency import gather_all
from capital_pipeline.capital.errors import MalformedResponse, NotFound
from capital_pipeline.capital.parsing import ApiRecord, json_text, parse_records
from capital_pipeline.capital.trading_records import PriceBar

if TYPE_CHECKING:
    from capital_pipeline.capital.client import CapitalClient

__all__ = ["MAX_BARS", "RESOLUTION_SECONDS", "api_time", "in_day_windows", "price_bars"]

R = TypeVar("R", bound=ApiRecord)
MAX_BARS = 1000
RESOLUTION_SECONDS = {
    "MINUTE": 60,
    "MINUTE_5": 300,
    "MINUTE_15": 900,
    "MINUTE_30": 1800,
    "HOUR": 3600,
    "HOUR_4": 14400,
    "DAY": 86400,
    "WEEK": 604800,
}
PRICES_NOT_FOUND = "error.prices.not-found"
# Bars and the API's date parameters have whole seconds: a page starts 1 s after the previous one ends.
_TICK = timedelta(seconds=1)


def api_time(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS`` in UTC, no zone suffix (a trailing Z is reported to be rejected, section 2)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def _windows(
    start: datetime, end: datetime, length: timedelta, gap: timedelta
) -> list[tuple[datetime, datetime]]:
    if start > end:
        raise ValueError("start must not be after end")
    windows, cursor = [], start
    while True:
        window_end = min(end, cursor + length)
        windows.append((cursor, window_end))
        if window_end >= end:
            return windows
        cursor = window_end + gap


async def _list(
    client: CapitalClient, record_type: type[R], path: str, key: str, params: dict[str, Any]
) -> list[R]:
    body = await client.get_json(path, params)
    if not isinstance(body, dict):
        raise MalformedResponse(f"expected an object holding {key!r}", path=path)
    return parse_records(record_type, body.get(key, []), client.parse_context(), path=path)


async def _bars_or_none(client: CapitalClient, path: str, params: dict[str, Any]) -> list[PriceBar]:
    try:
        return await _list(client, PriceBar, path, "prices", params)
    except NotFound as error:
        if error.error_code == PRICES_NOT_FOUND:
            return []  # a window without bars (a weekend, or before the history starts)
        raise


async def price_bars(
    client: CapitalClient, path: str, resolution: str, start: datetime | None, end: datetime | None
) -> list[PriceBar]:
    """Bars of ``resolution``: 1000 from/to one bound (or the latest), or every bar ``start`` to ``end``."""
    if resolution not in RESOLUTION_SECONDS:
        raise ValueError(f"unknown resolution {resolution!r}; one of {', '.join(RESOLUTION_SECONDS)}")
    params: dict[str, Any] = {"resolution": resolution, "max": MAX_BARS}
    if start is None or end is None:
        bounds = {"from": start, "to": end}
        params.update({name: api_time(moment) for name, moment in bounds.items() if moment is not None})
        return await _bars_or_none(client, path, params)
    length = timedelta(seconds=RESOLUTION_SECONDS[resolution] * (MAX_BARS - 1))
    pages = await gather_all(
        (
            _bars_or_none(client, path, {**params, "from": api_time(first), "to": api_time(last)})
            for first, last in _windows(start, end, length, _TICK)
        )
    )
    return [bar for page in pages for bar in page]


async def in_day_windows(
    client: CapitalClient,
    record_type: type[R],
    path: str,
    key: str,
    start: datetime,
    end: datetime,
    params: dict[str, Any],
) -> list[R]:
    """Every ``record_type`` between ``start`` and ``end``, one request per day.

    Consecutive days share their boundary instant, so nothing between two whole seconds is lost; a record seen
    in both days (identical JSON) is kept once.
    """
    pages = await gather_all(
        (
            _list(client, record_type, path, key, {**params, "from": api_time(first), "to": api_time(last)})
            for first, last in _windows(start, end, timedelta(days=1), timedelta(0))
        )
    )
    seen: set[str] = set()
    records = []
    for record in (record for page in pages for record in page):
        identity = json_text(record.raw, sort_keys=True)
        if identity not in seen:
            seen.add(identity)
            records.append(record)
    return records
