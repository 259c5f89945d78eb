"""Historical prices: synthetic OHLC bars, a pure function of (epic, resolution, bar time); the query rules.

Rules (REFERENCE §6, measured by S12/S13): ``resolution`` default MINUTE; ``max`` default 10, 1..1000
(``error.invalid.max``); ``from``/``to`` in ``YYYY-MM-DDTHH:MM:SS`` UTC. With both bounds, ``to`` in the
future is ``error.invalid.daterange`` and a window longer than ``(max - 1) x resolution`` is
``error.invalid.max.daterange``; with only ``from`` the bars run forward from it; with only ``to`` they are
the last ``max`` bars up to it; with neither, the last ``max`` bars up to now. No bar in the window (or a
window before history starts) is 404 ``error.prices.not-found``. Bars exist around the clock.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from capital_pipeline.simulator.clock import format_timestamp, local, parse_query_datetime
from capital_pipeline.simulator.dealing import rounded
from capital_pipeline.simulator.responses import ApiError

__all__ = ["RESOLUTIONS", "price_bars", "price_history"]

RESOLUTIONS = {
    "MINUTE": 60,
    "MINUTE_5": 300,
    "MINUTE_15": 900,
    "MINUTE_30": 1800,
    "HOUR": 3600,
    "HOUR_4": 14400,
    "DAY": 86400,
    "WEEK": 604800,
}
_EPOCH = datetime(1970, 1, 1)
# Weekly bars start on Mondays; 1970-01-01 was a Thursday.
_WEEK_ANCHOR = 4 * 86400
# History depth seen live (S12): daily bars back to 1991, intraday about two years.
_LONG_HISTORY_START = datetime(1991, 1, 1)
_INTRADAY_DEPTH = timedelta(days=730)


def price_history(params: dict[str, str], now: datetime) -> tuple[int, list[datetime]]:
    """The resolution (seconds) and bar start times a ``GET /prices/{epic}`` query asks for."""
    if params.get("resolution", "MINUTE") not in RESOLUTIONS:
        raise ApiError(400, "error.invalid.resolution")
    step = RESOLUTIONS[params.get("resolution", "MINUTE")]
    maximum = params.get("max", "10")
    if not maximum.isdigit() or not 1 <= int(maximum) <= 1000:
        raise ApiError(400, "error.invalid.max")
    count = int(maximum)
    start, end = (_bound(params, name) for name in ("from", "to"))
    if end is not None and end > now:
        raise ApiError(400, "error.invalid.daterange")
    if start is not None and end is not None:
        if end < start:
            raise ApiError(400, "error.invalid.daterange")
        if (end - start).total_seconds() > (count - 1) * step:
            raise ApiError(400, "error.invalid.max.daterange")
    first_allowed = _aligned(_history_start(step, now), step, up=True)
    last_allowed = _aligned(now, step, up=False)
    if start is not None:
        first = _aligned(start, step, up=True)
        latest = first + timedelta(seconds=step * (count - 1)) if end is None else end
        starts = _range(max(first, first_allowed), min(latest, last_allowed), step)
    else:
        last = min(_aligned(end, step, up=False) if end is not None else last_allowed, last_allowed)
        starts = _range(max(last - timedelta(seconds=step * (count - 1)), first_allowed), last, step)
    if not starts:
        raise ApiError(404, "error.prices.not-found")
    return step, starts


def price_bars(epic: str, details: dict[str, Any], step: int, starts: list[datetime], offset: float) -> list:
    """The bars at ``starts``: bid prices around the snapshot's bid, ask = bid + the snapshot's spread."""
    snapshot = details["snapshot"]
    base, spread = snapshot["bid"], snapshot["offer"] - snapshot["bid"]
    bars = []
    for moment in starts:
        digest = hashlib.blake2b(f"{epic}:{step}:{moment.isoformat()}".encode(), digest_size=10).digest()
        f = [int.from_bytes(digest[i : i + 2], "big") / 65535 for i in range(0, 10, 2)]
        open_ = base * (1 + 0.01 * (2 * f[0] - 1))
        close = open_ + base * 0.004 * (2 * f[1] - 1)
        bid = {
            "openPrice": open_,
            "closePrice": close,
            "highPrice": max(open_, close) + base * 0.002 * f[2],
            "lowPrice": min(open_, close) - base * 0.002 * f[3],
        }
        bar: dict[str, Any] = {
            "snapshotTime": format_timestamp(local(moment, offset), millis=False),
            "snapshotTimeUTC": format_timestamp(moment, millis=False),
        }
        for name, value in bid.items():
            bar[name] = {"bid": rounded(value, details), "ask": rounded(value + spread, details)}
        bar["lastTradedVolume"] = 1 + int(f[4] * 2000)
        bars.append(bar)
    return bars


def _bound(params: dict[str, str], name: str) -> datetime | None:
    if name not in params:
        return None
    moment = parse_query_datetime(params[name])
    if moment is None:
        raise ApiError(400, f"error.invalid.{name}")
    return moment


def _history_start(step: int, now: datetime) -> datetime:
    return _LONG_HISTORY_START if step >= RESOLUTIONS["DAY"] else now - _INTRADAY_DEPTH


def _aligned(moment: datetime, step: int, *, up: bool) -> datetime:
    anchor = _WEEK_ANCHOR if step == RESOLUTIONS["WEEK"] else 0
    seconds = (moment - _EPOCH).total_seconds() - anchor
    bars = -(-seconds // step) if up else seconds // step
    return _EPOCH + timedelta(seconds=bars * step + anchor)


def _range(first: datetime, last: datetime, step: int) -> list[datetime]:
    if last < first:
        return []
    count = int((last - first).total_seconds() // step) + 1
    return [first + timedelta(seconds=step * index) for index in range(count)]
