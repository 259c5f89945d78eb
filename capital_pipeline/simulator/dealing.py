"""A market's dealing rules applied to a deal: size bounds and the allowed band for stop and profit levels.

The error codes carry the violated bound after a colon, as the collection's examples do
(``error.invalid.stoploss.minvalue: 17.146``, REFERENCE §2, §7). Stop and profit may be given as a level, a
distance from the reference price, or an amount (distance = amount / size); the band is
``[reference ± minStopOrProfitDistance, reference ± maxStopOrProfitDistance]`` on the protective side
(``minGuaranteedStopDistance`` replaces the minimum for a guaranteed stop). The reference price is the
opening price for new deals (offer for BUY, bid for SELL), the closing price for amendments, and the order
level for working orders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from capital_pipeline.simulator.responses import ApiError

__all__ = [
    "DealRequest",
    "Protection",
    "check_size",
    "check_stop_entry",
    "deal_request",
    "number_field",
    "protection",
    "rounded",
]


@dataclass(frozen=True)
class Protection:
    """Validated stop and profit levels (``None`` when not asked for)."""

    stop_level: float | None
    profit_level: float | None


def rounded(value: float, details: dict[str, Any]) -> float:
    """``value`` at the market's price precision."""
    return round(value, int(details["snapshot"].get("decimalPlacesFactor", 5)))


def number_field(body: dict[str, Any], name: str, *, required: bool = False) -> float | None:
    """A numeric body field: 400 ``error.null.<name>`` when required and absent, ``error.invalid.<name>``
    when not a number."""
    value = body.get(name)
    if value is None:
        if required:
            raise ApiError(400, f"error.null.{name}")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ApiError(400, f"error.invalid.{name}")
    return float(value)


@dataclass(frozen=True)
class DealRequest:
    """The market, direction and size of a new position or working order."""

    epic: str
    details: dict[str, Any]
    direction: str
    size: float


def deal_request(body: dict[str, Any], market_details: Callable[[str], dict[str, Any] | None]) -> DealRequest:
    """Check ``epic``, ``direction`` and ``size`` of a new deal against the market's dealing rules."""
    epic = body.get("epic")
    if not isinstance(epic, str) or not epic:
        raise ApiError(400, "error.null.epic")
    details = market_details(epic)
    if details is None:
        raise ApiError(404, "error.not-found.epic")
    direction = body.get("direction")
    if direction not in ("BUY", "SELL"):
        raise ApiError(400, "error.null.direction" if direction is None else "error.invalid.direction")
    size = number_field(body, "size", required=True)
    assert size is not None  # required=True raised otherwise
    check_size(size, details)
    return DealRequest(epic, details, direction, size)


def check_size(size: float, details: dict[str, Any]) -> None:
    """Size within ``minDealSize`` and ``maxDealSize``."""
    rules = details["dealingRules"]
    minimum, maximum = rules["minDealSize"]["value"], rules["maxDealSize"]["value"]
    if size < minimum:
        raise ApiError(400, f"error.invalid.size.minvalue: {minimum}")
    if size > maximum:
        raise ApiError(400, f"error.invalid.size.maxvalue: {maximum}")


def check_stop_entry(direction: str, level: float, details: dict[str, Any]) -> None:
    """A STOP order enters beyond the market by at least ``minStopOrProfitDistance``: a BUY above the offer, a
    SELL below the bid; otherwise 400 ``error.validation.stop.price`` (observed live, REFERENCE §7)."""
    snapshot = details["snapshot"]
    if direction == "BUY":
        allowed = level >= snapshot["offer"] + _distance(
            details["dealingRules"]["minStopOrProfitDistance"], level
        )
    else:
        allowed = level <= snapshot["bid"] - _distance(
            details["dealingRules"]["minStopOrProfitDistance"], level
        )
    if not allowed:
        raise ApiError(400, "error.validation.stop.price")


def protection(
    body: dict[str, Any], details: dict[str, Any], *, direction: str, reference: float, size: float
) -> Protection:
    """The stop and profit levels ``body`` asks for, checked against the market's dealing rules."""
    rules = details["dealingRules"]
    side = 1.0 if direction == "BUY" else -1.0
    guaranteed = bool(body.get("guaranteedStop"))
    stop_minimum = rules["minGuaranteedStopDistance" if guaranteed else "minStopOrProfitDistance"]
    maximum = _distance(rules["maxStopOrProfitDistance"], reference)
    stop = _level(body, "stop", reference, -side, size)
    profit = _level(body, "profit", reference, side, size)
    if stop is not None:
        _check_band(stop, reference, -side, _distance(stop_minimum, reference), maximum, "stoploss", details)
    if profit is not None:
        minimum = _distance(rules["minStopOrProfitDistance"], reference)
        _check_band(profit, reference, side, minimum, maximum, "takeprofit", details)
    return Protection(stop, profit)


def _level(body: dict[str, Any], kind: str, reference: float, side: float, size: float) -> float | None:
    level = number_field(body, f"{kind}Level")
    if level is not None:
        return level
    distance = number_field(body, f"{kind}Distance")
    amount = number_field(body, f"{kind}Amount")
    if distance is None and amount is not None:
        distance = amount / size
    return None if distance is None else reference + side * abs(distance)


def _distance(rule: dict[str, Any], reference: float) -> float:
    value = float(rule["value"])
    return reference * value / 100.0 if rule["unit"] == "PERCENTAGE" else value


def _check_band(
    level: float,
    reference: float,
    side: float,
    minimum: float,
    maximum: float,
    name: str,
    details: dict[str, Any],
) -> None:
    low, high = sorted((reference + side * minimum, reference + side * maximum))
    if level < low:
        raise ApiError(400, f"error.invalid.{name}.minvalue: {rounded(low, details)}")
    if level > high:
        raise ApiError(400, f"error.invalid.{name}.maxvalue: {rounded(high, details)}")
