"""Typed records of the read side: session, accounts, navigation, markets, watchlists.

Field names follow REFERENCE.md section 6 in snake case. Which fields are required is the smallest set a
record is useless without (an epic, an id); everything else is optional because examples show it absent at
times. Trading-side records (prices, positions, history) live in ``trading_records``."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar

from capital_pipeline.capital.parsing import (
    ApiRecord,
    ParseContext,
    WrongType,
    api,
    epoch_ms,
    flag,
    integer,
    local_time,
    mapping,
    nested,
    nested_list,
    number,
    parse_record,
    record_parser,
    text,
    text_list,
    utc_time,
)

__all__ = [
    "Account",
    "Balance",
    "DealingRule",
    "DealingRules",
    "Instrument",
    "Leverage",
    "MarketDetails",
    "MarketSnapshot",
    "MarketSummary",
    "NavigationNode",
    "NavigationPage",
    "OvernightFee",
    "Preferences",
    "ServerTime",
    "SessionDetails",
    "SessionInfo",
    "Watchlist",
]


@dataclass(frozen=True, kw_only=True)
class ServerTime(ApiRecord):
    server_time: Annotated[datetime, api("serverTime", epoch_ms)]


@dataclass(frozen=True, kw_only=True)
class Balance(ApiRecord):
    balance: Annotated[float | None, api("balance", number)] = None
    deposit: Annotated[float | None, api("deposit", number)] = None
    profit_loss: Annotated[float | None, api("profitLoss", number)] = None
    available: Annotated[float | None, api("available", number)] = None


@dataclass(frozen=True, kw_only=True)
class Account(ApiRecord):
    account_id: Annotated[str, api("accountId", text)]
    account_name: Annotated[str | None, api("accountName", text)] = None
    status: Annotated[str | None, api("status", text)] = None
    account_type: Annotated[str | None, api("accountType", text)] = None
    preferred: Annotated[bool | None, api("preferred", flag)] = None
    currency: Annotated[str | None, api("currency", text)] = None
    symbol: Annotated[str | None, api("symbol", text)] = None
    balance: Annotated[Balance | None, api("balance", nested(Balance))] = None


@dataclass(frozen=True, kw_only=True)
class SessionInfo(ApiRecord):
    """The body of ``POST /session`` (the tokens themselves travel in headers)."""

    current_account_id: Annotated[str | None, api("currentAccountId", text)] = None
    client_id: Annotated[str | None, api("clientId", text)] = None
    account_type: Annotated[str | None, api("accountType", text)] = None
    timezone_offset: Annotated[float | None, api("timezoneOffset", number)] = None
    currency_iso_code: Annotated[str | None, api("currencyIsoCode", text)] = None
    streaming_host: Annotated[str | None, api("streamingHost", text)] = None
    accounts: Annotated[list[Account] | None, api("accounts", nested_list(Account))] = None
    has_active_demo_accounts: Annotated[bool | None, api("hasActiveDemoAccounts", flag)] = None
    has_active_live_accounts: Annotated[bool | None, api("hasActiveLiveAccounts", flag)] = None
    trailing_stops_enabled: Annotated[bool | None, api("trailingStopsEnabled", flag)] = None


@dataclass(frozen=True, kw_only=True)
class SessionDetails(ApiRecord):
    """``GET /session``."""

    account_id: Annotated[str, api("accountId", text)]
    client_id: Annotated[str | None, api("clientId", text)] = None
    timezone_offset: Annotated[float | None, api("timezoneOffset", number)] = None
    locale: Annotated[str | None, api("locale", text)] = None
    currency: Annotated[str | None, api("currency", text)] = None
    stream_endpoint: Annotated[str | None, api("streamEndpoint", text)] = None


def _integers(value: Any, context: ParseContext) -> tuple[int, ...]:
    if not isinstance(value, list):
        raise WrongType
    return tuple(integer(item, context) for item in value)


@dataclass(frozen=True, kw_only=True)
class Leverage(ApiRecord):
    current: Annotated[int | None, api("current", integer)] = None
    available: Annotated[tuple[int, ...] | None, api("available", _integers)] = None


def _leverages(value: Any, context: ParseContext) -> Mapping[str, Leverage]:
    # Only objects are leverages: a key the API adds beside the instrument groups is not one (raw keeps it).
    return {
        name: parse_record(Leverage, item, context)
        for name, item in mapping(value, context).items()
        if isinstance(item, Mapping)
    }


@dataclass(frozen=True, kw_only=True)
class Preferences(ApiRecord):
    """``GET /accounts/preferences``: leverages by instrument group."""

    hedging_mode: Annotated[bool | None, api("hedgingMode", flag)] = None
    leverages: Annotated[Mapping[str, Leverage] | None, api("leverages", _leverages)] = None


@dataclass(frozen=True, kw_only=True)
class NavigationNode(ApiRecord):
    node_id: Annotated[str, api("id", text)]
    name: Annotated[str | None, api("name", text)] = None


@dataclass(frozen=True, kw_only=True)
class MarketSummary(ApiRecord):
    """The market summary of navigation leaves, searches, watchlists, positions and orders."""

    epic: Annotated[str, api("epic", text)]
    symbol: Annotated[str | None, api("symbol", text)] = None
    instrument_name: Annotated[str | None, api("instrumentName", text)] = None
    instrument_type: Annotated[str | None, api("instrumentType", text)] = None
    expiry: Annotated[str | None, api("expiry", text)] = None
    lot_size: Annotated[float | None, api("lotSize", number)] = None
    market_status: Annotated[str | None, api("marketStatus", text)] = None
    bid: Annotated[float | None, api("bid", number)] = None
    offer: Annotated[float | None, api("offer", number)] = None
    high: Annotated[float | None, api("high", number)] = None
    low: Annotated[float | None, api("low", number)] = None
    net_change: Annotated[float | None, api("netChange", number)] = None
    percentage_change: Annotated[float | None, api("percentageChange", number)] = None
    update_time: Annotated[datetime | None, api("updateTime", local_time)] = None
    update_time_utc: Annotated[datetime | None, api("updateTimeUTC", utc_time)] = None
    delay_time: Annotated[int | None, api("delayTime", integer)] = None
    streaming_prices_available: Annotated[bool | None, api("streamingPricesAvailable", flag)] = None
    scaling_factor: Annotated[float | None, api("scalingFactor", number)] = None
    market_modes: Annotated[tuple[str, ...] | None, api("marketModes", text_list)] = None
    pip_position: Annotated[int | None, api("pipPosition", integer)] = None
    tick_size: Annotated[float | None, api("tickSize", number)] = None


@dataclass(frozen=True, kw_only=True)
class NavigationPage(ApiRecord):
    """``GET /marketnavigation/{nodeId}``: a branch's child nodes, or a leaf's markets."""

    nodes: Annotated[list[NavigationNode] | None, api("nodes", nested_list(NavigationNode), strict=True)] = (
        None
    )
    markets: Annotated[
        list[MarketSummary] | None, api("markets", nested_list(MarketSummary), strict=True)
    ] = None


@dataclass(frozen=True, kw_only=True)
class OvernightFee(ApiRecord):
    long_rate: Annotated[float | None, api("longRate", number)] = None
    short_rate: Annotated[float | None, api("shortRate", number)] = None
    swap_charge_at: Annotated[datetime | None, api("swapChargeTimestamp", epoch_ms)] = None
    # Minutes between swap charges (REFERENCE.md section 6 example: 1440).
    swap_charge_interval: Annotated[int | None, api("swapChargeInterval", integer)] = None


@dataclass(frozen=True, kw_only=True)
class Instrument(ApiRecord):
    epic: Annotated[str, api("epic", text)]
    symbol: Annotated[str | None, api("symbol", text)] = None
    name: Annotated[str | None, api("name", text)] = None
    type: Annotated[str | None, api("type", text)] = None
    expiry: Annotated[str | None, api("expiry", text)] = None
    lot_size: Annotated[float | None, api("lotSize", number)] = None
    currency: Annotated[str | None, api("currency", text)] = None
    margin_factor: Annotated[float | None, api("marginFactor", number)] = None
    margin_factor_unit: Annotated[str | None, api("marginFactorUnit", text)] = None
    guaranteed_stop_allowed: Annotated[bool | None, api("guaranteedStopAllowed", flag)] = None
    streaming_prices_available: Annotated[bool | None, api("streamingPricesAvailable", flag)] = None
    country: Annotated[str | None, api("country", text)] = None
    opening_hours: Annotated[Mapping[str, Any] | None, api("openingHours", mapping)] = None
    overnight_fee: Annotated[OvernightFee | None, api("overnightFee", nested(OvernightFee))] = None


@dataclass(frozen=True, kw_only=True)
class DealingRule(ApiRecord):
    unit: Annotated[str | None, api("unit", text)] = None
    value: Annotated[float | None, api("value", number)] = None


@dataclass(frozen=True, kw_only=True)
class DealingRules(ApiRecord):
    min_step_distance: Annotated[DealingRule | None, api("minStepDistance", nested(DealingRule))] = None
    min_deal_size: Annotated[DealingRule | None, api("minDealSize", nested(DealingRule))] = None
    max_deal_size: Annotated[DealingRule | None, api("maxDealSize", nested(DealingRule))] = None
    min_size_increment: Annotated[DealingRule | None, api("minSizeIncrement", nested(DealingRule))] = None
    min_guaranteed_stop_distance: Annotated[
        DealingRule | None, api("minGuaranteedStopDistance", nested(DealingRule))
    ] = None
    min_stop_or_profit_distance: Annotated[
        DealingRule | None, api("minStopOrProfitDistance", nested(DealingRule))
    ] = None
    max_stop_or_profit_distance: Annotated[
        DealingRule | None, api("maxStopOrProfitDistance", nested(DealingRule))
    ] = None
    market_order_preference: Annotated[str | None, api("marketOrderPreference", text)] = None
    trailing_stops_preference: Annotated[str | None, api("trailingStopsPreference", text)] = None


R = TypeVar("R", bound=ApiRecord)


def _or_s1_names(record_type: type[R], s1_names: Mapping[str, str]) -> Callable[[Any, ParseContext], R]:
    """Like ``nested(record_type)``, but each key of ``s1_names`` that is absent (or null) is read from its S1
    name instead: the official collection's market details still spell them the 2022 way (REFERENCE.md
    section 6, "Older S1 shape"). The S2 name wins when both are sent; ``raw`` stays the object as sent."""

    def parser(value: Any, context: ParseContext) -> R:
        if not isinstance(value, dict):
            raise WrongType
        parse = record_parser(record_type)
        older = {s2: value[s1] for s2, s1 in s1_names.items() if value.get(s2) is None and s1 in value}
        if not older:
            return parse(value, context)
        record = parse(value | older, context)
        read = {s1_names[s2] for s2 in older}
        extra = {name: item for name, item in record.extra.items() if name not in read}
        return dataclasses.replace(record, raw=value, extra=extra)

    return parser


@dataclass(frozen=True, kw_only=True)
class MarketSnapshot(ApiRecord):
    market_status: Annotated[str | None, api("marketStatus", text)] = None
    net_change: Annotated[float | None, api("netChange", number)] = None
    percentage_change: Annotated[float | None, api("percentageChange", number)] = None
    # No UTC twin here; read as local time like updateTime elsewhere (REFERENCE.md section 11).
    update_time: Annotated[datetime | None, api("updateTime", local_time)] = None
    delay_time: Annotated[int | None, api("delayTime", integer)] = None
    bid: Annotated[float | None, api("bid", number)] = None
    offer: Annotated[float | None, api("offer", number)] = None
    high: Annotated[float | None, api("high", number)] = None
    low: Annotated[float | None, api("low", number)] = None
    decimal_places_factor: Annotated[int | None, api("decimalPlacesFactor", integer)] = None
    scaling_factor: Annotated[int | None, api("scalingFactor", integer)] = None
    market_modes: Annotated[tuple[str, ...] | None, api("marketModes", text_list)] = None


# REFERENCE.md section 6: S1's controlled-risk and stop-or-limit names became S2's guaranteed-stop and
# stop-or-profit names (the conformance test's S2_DIFFERENCES pins the same pairs against the collection).
_INSTRUMENT = _or_s1_names(Instrument, {"guaranteedStopAllowed": "controlledRiskAllowed"})
_DEALING_RULES = _or_s1_names(
    DealingRules,
    {
        "minGuaranteedStopDistance": "minControlledRiskStopDistance",
        "minStopOrProfitDistance": "minNormalStopOrLimitDistance",
        "maxStopOrProfitDistance": "maxStopOrLimitDistance",
    },
)


@dataclass(frozen=True, kw_only=True)
class MarketDetails(ApiRecord):
    """``GET /markets/{epic}`` and each item of ``GET /markets?epics=``."""

    instrument: Annotated[Instrument, api("instrument", _INSTRUMENT)]
    dealing_rules: Annotated[DealingRules | None, api("dealingRules", _DEALING_RULES)] = None
    snapshot: Annotated[MarketSnapshot | None, api("snapshot", nested(MarketSnapshot))] = None

    @property
    def epic(self) -> str:
        return self.instrument.epic


@dataclass(frozen=True, kw_only=True)
class Watchlist(ApiRecord):
    watchlist_id: Annotated[str, api("id", text)]
    name: Annotated[str | None, api("name", text)] = None
    editable: Annotated[bool | None, api("editable", flag)] = None
    deleteable: Annotated[bool | None, api("deleteable", flag)] = None
    default_system_watchlist: Annotated[bool | None, api("defaultSystemWatchlist", flag)] = None
