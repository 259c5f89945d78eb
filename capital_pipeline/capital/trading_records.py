"""Typed records of the trading side, read only: prices, sentiment, positions, working orders, history.

Field names follow REFERENCE.md section 6. Note the API's own inconsistency: activity has ``dateUTC`` while
transactions have ``dateUtc``, and a transaction's ``size`` is a string.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from capital_pipeline.capital.parsing import (
    ApiRecord,
    api,
    flag,
    local_time,
    mapping,
    nested,
    number,
    text,
    utc_time,
)
from capital_pipeline.capital.records import MarketSummary

__all__ = [
    "Activity",
    "ClientSentiment",
    "OpenPosition",
    "OpenWorkingOrder",
    "Position",
    "PriceBar",
    "PricePoint",
    "Transaction",
    "WorkingOrder",
]


@dataclass(frozen=True, kw_only=True)
class PricePoint(ApiRecord):
    bid: Annotated[float | None, api("bid", number)] = None
    ask: Annotated[float | None, api("ask", number)] = None


@dataclass(frozen=True, kw_only=True)
class PriceBar(ApiRecord):
    snapshot_time_utc: Annotated[datetime, api("snapshotTimeUTC", utc_time)]
    snapshot_time: Annotated[datetime | None, api("snapshotTime", local_time)] = None
    open_price: Annotated[PricePoint | None, api("openPrice", nested(PricePoint))] = None
    close_price: Annotated[PricePoint | None, api("closePrice", nested(PricePoint))] = None
    high_price: Annotated[PricePoint | None, api("highPrice", nested(PricePoint))] = None
    low_price: Annotated[PricePoint | None, api("lowPrice", nested(PricePoint))] = None
    last_traded_volume: Annotated[float | None, api("lastTradedVolume", number)] = None


@dataclass(frozen=True, kw_only=True)
class ClientSentiment(ApiRecord):
    market_id: Annotated[str, api("marketId", text)]
    long_position_percentage: Annotated[float | None, api("longPositionPercentage", number)] = None
    short_position_percentage: Annotated[float | None, api("shortPositionPercentage", number)] = None


@dataclass(frozen=True, kw_only=True)
class Position(ApiRecord):
    deal_id: Annotated[str, api("dealId", text)]
    deal_reference: Annotated[str | None, api("dealReference", text)] = None
    working_order_id: Annotated[str | None, api("workingOrderId", text)] = None
    created_date_utc: Annotated[datetime | None, api("createdDateUTC", utc_time)] = None
    contract_size: Annotated[float | None, api("contractSize", number)] = None
    size: Annotated[float | None, api("size", number)] = None
    leverage: Annotated[float | None, api("leverage", number)] = None
    upl: Annotated[float | None, api("upl", number)] = None
    direction: Annotated[str | None, api("direction", text)] = None
    level: Annotated[float | None, api("level", number)] = None
    currency: Annotated[str | None, api("currency", text)] = None
    guaranteed_stop: Annotated[bool | None, api("guaranteedStop", flag)] = None
    trailing_stop: Annotated[bool | None, api("trailingStop", flag)] = None
    stop_level: Annotated[float | None, api("stopLevel", number)] = None
    profit_level: Annotated[float | None, api("profitLevel", number)] = None


@dataclass(frozen=True, kw_only=True)
class OpenPosition(ApiRecord):
    """One item of ``GET /positions``."""

    position: Annotated[Position, api("position", nested(Position))]
    market: Annotated[MarketSummary | None, api("market", nested(MarketSummary))] = None


@dataclass(frozen=True, kw_only=True)
class WorkingOrder(ApiRecord):
    deal_id: Annotated[str, api("dealId", text)]
    epic: Annotated[str | None, api("epic", text)] = None
    direction: Annotated[str | None, api("direction", text)] = None
    order_type: Annotated[str | None, api("orderType", text)] = None
    order_size: Annotated[float | None, api("orderSize", number)] = None
    order_level: Annotated[float | None, api("orderLevel", number)] = None
    leverage: Annotated[float | None, api("leverage", number)] = None
    time_in_force: Annotated[str | None, api("timeInForce", text)] = None
    good_till_date_utc: Annotated[datetime | None, api("goodTillDateUTC", utc_time)] = None
    created_date_utc: Annotated[datetime | None, api("createdDateUTC", utc_time)] = None
    guaranteed_stop: Annotated[bool | None, api("guaranteedStop", flag)] = None
    trailing_stop: Annotated[bool | None, api("trailingStop", flag)] = None
    stop_distance: Annotated[float | None, api("stopDistance", number)] = None
    profit_distance: Annotated[float | None, api("profitDistance", number)] = None
    currency_code: Annotated[str | None, api("currencyCode", text)] = None


@dataclass(frozen=True, kw_only=True)
class OpenWorkingOrder(ApiRecord):
    """One item of ``GET /workingorders``."""

    order: Annotated[WorkingOrder, api("workingOrderData", nested(WorkingOrder))]
    market: Annotated[MarketSummary | None, api("marketData", nested(MarketSummary))] = None


@dataclass(frozen=True, kw_only=True)
class Activity(ApiRecord):
    """One item of ``GET /history/activity``; ``details`` only with ``detailed=true``."""

    date_utc: Annotated[datetime, api("dateUTC", utc_time)]
    epic: Annotated[str | None, api("epic", text)] = None
    deal_id: Annotated[str | None, api("dealId", text)] = None
    source: Annotated[str | None, api("source", text)] = None
    type: Annotated[str | None, api("type", text)] = None
    status: Annotated[str | None, api("status", text)] = None
    details: Annotated[Mapping[str, Any] | None, api("details", mapping)] = None


@dataclass(frozen=True, kw_only=True)
class Transaction(ApiRecord):
    """One item of ``GET /history/transactions``."""

    date_utc: Annotated[datetime, api("dateUtc", utc_time)]
    instrument_name: Annotated[str | None, api("instrumentName", text)] = None
    transaction_type: Annotated[str | None, api("transactionType", text)] = None
    note: Annotated[str | None, api("note", text)] = None
    reference: Annotated[str | None, api("reference", text)] = None
    size: Annotated[str | None, api("size", text)] = None
    currency: Annotated[str | None, api("currency", text)] = None
    status: Annotated[str | None, api("status", text)] = None
