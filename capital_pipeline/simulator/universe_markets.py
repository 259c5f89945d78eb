"""Render a listing as the body of ``GET /markets/{epic}`` on a given simulated day.

Shapes follow the current docs' example (REFERENCE section 6, S2): ``instrument`` with ``symbol``,
``guaranteedStopAllowed``, ``overnightFee`` and ``country``; ``dealingRules`` with ``maxDealSize``;
``snapshot`` with ``marketModes``. Prices are a closed-form function of (listing, day), so day 30 costs no
more than day 0. Each day is snapshotted at the same UTC instant; weekends close everything but crypto.

Bodies share their immutable-by-convention parts (``openingHours`` per template, each ``{"unit", "value"}``
dealing rule per distinct value): a scale-30 universe then fits in a few hundred MB. Never mutate them.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from capital_pipeline.simulator.universe_listing import Listing

__all__ = ["OPENING_HOURS", "MarketRenderer", "json_number", "snapshot_instant"]

# Day 0 is a Monday afternoon: US and European exchanges are open, Asian ones have closed.
_DAY_ZERO = datetime(2026, 11, 2, 15, 10, tzinfo=UTC)
_WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _week(weekdays: list[str], weekend: list[str] | None = None, sun: list[str] | None = None) -> dict:
    hours = {day: list(weekdays) for day in _WEEK[:5]}
    hours |= {"sat": list(weekend or []), "sun": list(sun if sun is not None else weekend or [])}
    return hours | {"zone": "UTC"}


def _overnight(week: list[str], fri: list[str], sun: list[str]) -> dict:
    """Markets trading round the clock on weekdays, like the reference's SILVER example."""
    hours = _week(week, [], sun)
    return hours | {"fri": list(fri)}


# Opening-hours templates in the API's own form; UTC, "HH:MM - HH:MM", "00:00" as an end meaning midnight.
OPENING_HOURS: dict[str, dict] = {
    "fx": _overnight(["00:00 - 21:59", "22:05 - 00:00"], ["00:00 - 21:59"], ["22:05 - 00:00"]),
    "metals": _overnight(["00:00 - 21:59", "23:05 - 00:00"], ["00:00 - 21:59"], ["23:05 - 00:00"]),
    "us_index": _overnight(["00:00 - 21:00", "22:00 - 00:00"], ["00:00 - 21:00"], ["22:00 - 00:00"]),
    "asia_index": _overnight(["00:00 - 21:00", "23:00 - 00:00"], ["00:00 - 21:00"], ["23:00 - 00:00"]),
    "eu_index": _week(["07:00 - 21:00"]),
    "softs": _week(["09:45 - 18:30"]),
    "us_shares": _week(["14:30 - 21:00"]),
    "eu_shares": _week(["08:00 - 16:30"]),
    "jp_shares": _week(["00:00 - 06:00"]),
    "hk_shares": _week(["01:30 - 08:00"]),
    "sg_shares": _week(["01:00 - 09:00"]),
    "au_shares": _overnight(["00:00 - 05:00", "23:00 - 00:00"], ["00:00 - 05:00"], ["23:00 - 00:00"]),
    "crypto": _week(["00:00 - 00:00"], ["00:00 - 00:00"]),
}


def _minutes(span: str) -> tuple[int, int]:
    start, end = (int(t[:2]) * 60 + int(t[3:]) for t in span.split(" - "))
    return start, end or 24 * 60


def _sessions(template: dict, instant: datetime) -> list[tuple[datetime, datetime]]:
    """Every session of the week before ``instant`` (and the day of it), as UTC datetimes."""
    midnight = instant.replace(hour=0, minute=0, second=0, microsecond=0)
    sessions = []
    for back in range(8, -1, -1):
        day = midnight - timedelta(days=back)
        for span in template[_WEEK[day.weekday()]]:
            start, end = _minutes(span)
            sessions.append((day + timedelta(minutes=start), day + timedelta(minutes=end)))
    return sessions


def snapshot_instant(day: int) -> datetime:
    """The UTC moment simulated day ``day`` is snapshotted at."""
    return _DAY_ZERO + timedelta(days=day)


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp()) * 1000


def _unit(key: int, n: int) -> float:
    """A uniform number in [0, 1) from (key, n): splitmix64, cheap and identical in every process."""
    z = (key + (n + 1) * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return ((z ^ (z >> 31)) >> 11) / float(1 << 53)


def _mid(listing: Listing, day: int) -> float:
    """The day's closing mid price: two slow waves and a daily shock around the listing's level."""
    key = listing.price_key
    phase1, phase2 = (key & 0xFFFF) / 10430.4, ((key >> 16) & 0xFFFF) / 10430.4
    wave = 1.5 * (math.sin(0.21 * day + phase1) - math.sin(phase1))
    wave += 3.0 * (math.sin(0.05 * day + phase2) - math.sin(phase2))
    return listing.price * math.exp(listing.volatility * (wave + 1.6 * (_unit(key, day) - 0.5)))


def json_number(value: float | str) -> float | int | str:
    """Integral values as JSON integers (``"marginFactor": 10``), like the API's examples."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


class _Clock:
    """Per opening-hours template: open now?, the last session end, and the trading days priced today."""

    def __init__(self, template: dict, day: int, instant: datetime) -> None:
        sessions = [(start, end) for start, end in _sessions(template, instant) if start <= instant]
        self.open = any(instant < end for _start, end in sessions)
        ended = [end for _start, end in sessions if end <= instant]
        self.last_close_ms = _epoch_ms(max(ended) if ended else instant)
        # a session opening late in the evening (FX on Sunday 22:05) trades for the next calendar day
        first = _DAY_ZERO.date()
        trading = sorted({(start.date() - first).days + (start.hour >= 21) for start, _end in sessions})
        trading = [d for d in trading if d <= day] or [day]
        self.today = trading[-1]
        self.previous = trading[-2] if len(trading) > 1 else self.today - 1


_RULE_UNITS = (
    ("minStepDistance", "POINTS"), ("minDealSize", "POINTS"), ("maxDealSize", "POINTS"),
    ("minSizeIncrement", "POINTS"), ("minGuaranteedStopDistance", "PERCENTAGE"),
    ("minStopOrProfitDistance", "PERCENTAGE"), ("maxStopOrProfitDistance", "PERCENTAGE"),
)  # fmt: skip
_MODES = {"REGULAR": ["REGULAR"], "VIEW_ONLY": ["VIEW_ONLY"], "NONE": [], "SUSPENDED": ["VIEW_ONLY"]}


class MarketRenderer:
    """Builds market bodies for one day; hours, clocks and the swap time are shared by all markets."""

    def __init__(self, day: int, timezone_offset: int) -> None:
        self.day, self.offset = day, timezone_offset
        self.instant = snapshot_instant(day)
        self.clocks = {name: _Clock(template, day, self.instant) for name, template in OPENING_HOURS.items()}
        self.swap_ms = _epoch_ms(self.instant.replace(hour=22, minute=0, second=0, microsecond=0))
        self._rule_sets: dict[tuple, dict] = {}
        self.instant_ms = _epoch_ms(self.instant)
        self._seconds: dict[int, str] = {}

    def _local_time(self, epoch_ms: int) -> str:
        """The local ``YYYY-MM-DDTHH:MM:SS.mmm`` of a UTC epoch-ms moment; cached per second, since most
        markets update within the same few seconds."""
        second, millis = divmod(epoch_ms, 1000)
        text = self._seconds.get(second)
        if text is None:
            moment = datetime.fromtimestamp(second, UTC) + timedelta(hours=self.offset)
            text = self._seconds[second] = moment.replace(tzinfo=None).isoformat(timespec="seconds")
        return f"{text}.{millis:03d}"

    def details(self, listing: Listing) -> dict:
        """The ``GET /markets/{epic}`` body: ``instrument``, ``dealingRules``, ``snapshot``."""
        return {
            "instrument": self._instrument(listing),
            "dealingRules": self._dealing_rules(listing),
            "snapshot": self._snapshot(listing),
        }

    def _instrument(self, listing: Listing) -> dict:
        instrument = {
            "epic": listing.epic, "symbol": listing.symbol, "expiry": "-", "name": listing.name, "lotSize": 1,
            "type": listing.kind, "guaranteedStopAllowed": listing.kind != "CRYPTOCURRENCIES",
            "streamingPricesAvailable": listing.mode in ("REGULAR", "NONE"), "currency": listing.currency,
            "marginFactor": json_number(listing.margin_factor), "marginFactorUnit": "PERCENTAGE",
            "openingHours": OPENING_HOURS[listing.hours],
            "overnightFee": {
                "longRate": listing.fee_long, "shortRate": listing.fee_short,
                "swapChargeTimestamp": self.swap_ms, "swapChargeInterval": 1440,
            },
        }  # fmt: skip
        if listing.country is not None:
            instrument["country"] = listing.country
        return instrument

    def _dealing_rules(self, listing: Listing) -> dict:
        values = tuple(listing.rules.values())
        rules = self._rule_sets.get(values)
        if rules is None:  # rule values come from short lists: markets share one body per distinct set
            rules = {
                key: {"unit": unit, "value": json_number(listing.rules[key])} for key, unit in _RULE_UNITS
            }
            rules["marketOrderPreference"] = listing.rules["marketOrderPreference"]
            rules["trailingStopsPreference"] = listing.rules["trailingStopsPreference"]
            self._rule_sets[values] = rules
        return rules

    def _snapshot(self, listing: Listing) -> dict:
        clock = self.clocks[listing.hours]
        key, places, spread = listing.price_key, listing.decimals, listing.spread
        close, previous = _mid(listing, clock.today), _mid(listing, clock.previous)
        lag = _unit(key, -1 - self.day)
        updated_ms = (
            self.instant_ms - int(lag * 30000) if clock.open else clock.last_close_ms - int(lag * 2000)
        )
        status = "SUSPENDED" if listing.mode == "SUSPENDED" else "TRADEABLE" if clock.open else "CLOSED"
        bid = round(close - spread / 2, places)
        tail = {
            "updateTime": self._local_time(updated_ms), "delayTime": 0,
            "bid": bid, "offer": round(bid + spread, places),
        }  # fmt: skip
        modes = {"decimalPlacesFactor": places, "scalingFactor": 1, "marketModes": list(_MODES[listing.mode])}
        if status != "TRADEABLE" and listing.sparse_when_closed:
            return {"marketStatus": status, **tail, **modes}
        change = round(close - previous, places)
        swing = close * listing.volatility * (0.2 + (lag * 7919.0) % 1.0) / 2
        return {
            "marketStatus": status, "netChange": change,
            "percentageChange": round(100 * change / previous, 4),
            **tail,
            "high": round(max(close, previous, bid) + swing, places),
            "low": round(min(close, previous, bid) - swing, places),
            **modes,
        }  # fmt: skip
