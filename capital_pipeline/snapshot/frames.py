"""Records → one DataFrame per warehouse table, columns exactly as `capital_pipeline.warehouse` declares them.

`snapshot_id`/`snapshot_at` are not here: publishing stamps them. JSON columns are serialized once here
(`raw` keeps each object exactly as the API sent it, so fields the API adds later stay queryable; see
`json_text` for the two things JSON text cannot carry).

Any record the client's parsers accept becomes a row that staging (Parquet) and both warehouses store:
timestamps keep microseconds over `datetime`'s whole range, and a key the API repeated (an epic listed twice
by one node, say) keeps its first row, as the markets table keeps an epic's first details.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from capital_pipeline.capital import MarketDetails, NavigationCrawl
from capital_pipeline.capital.parsing import json_text
from capital_pipeline.capital.records import DealingRule
from capital_pipeline.snapshot.fetch import AccountsPart, WatchlistsPart
from capital_pipeline.warehouse import table_named

__all__ = [
    "account_frames",
    "market_frame",
    "market_frame_of_rows",
    "market_row",
    "navigation_frames",
    "snapshot_epics",
    "watchlist_frames",
]

PATH_SEPARATOR = " / "
DEALING_RULES = (
    "min_step_distance",
    "min_deal_size",
    "max_deal_size",
    "min_size_increment",
    "min_guaranteed_stop_distance",
    "min_stop_or_profit_distance",
    "max_stop_or_profit_distance",
)


# pandas' default nanoseconds end in 2262; the API's timestamps are only bounded by datetime's years 1-9999.
UTC_MICROSECONDS = "datetime64[us, UTC]"


def _json(value: Any) -> str | None:
    return None if value is None else json_text(value)


def _frame(table: str, rows: Iterable[Mapping[str, Any] | tuple[Any, ...]]) -> pd.DataFrame:
    """Rows (mappings by column name, or tuples in the declared order) as a frame with exactly the table's
    declared columns, in order (an empty frame keeps them); the first row of each key."""
    declared = table_named(table).frame_columns
    frame = pd.DataFrame.from_records(list(rows), columns=[column.name for column in declared])
    keys = [column.name for column in declared if column.key]
    repeated = frame.duplicated(subset=keys)
    return frame[~repeated].reset_index(drop=True) if repeated.any() else frame


def account_frames(part: AccountsPart) -> dict[str, pd.DataFrame]:
    """`accounts` and `account_preferences`."""
    accounts = []
    for account in part.accounts:
        balance = account.balance
        accounts.append(
            {
                "account_id": account.account_id,
                "account_name": account.account_name,
                "account_type": account.account_type,
                "status": account.status,
                "preferred": account.preferred,
                "currency": account.currency,
                "symbol": account.symbol,
                "balance": balance.balance if balance else None,
                "deposit": balance.deposit if balance else None,
                "profit_loss": balance.profit_loss if balance else None,
                "available": balance.available if balance else None,
                "raw": _json(account.raw),
            }
        )
    preferences = [
        {
            "account_id": account_id,
            "hedging_mode": prefs.hedging_mode,
            "leverages": _json(prefs.raw.get("leverages")),
            "raw": _json(prefs.raw),
        }
        for account_id, prefs in part.preferences.items()
    ]
    return {
        "accounts": _frame("accounts", accounts),
        "account_preferences": _frame("account_preferences", preferences),
    }


def navigation_frames(crawl: NavigationCrawl) -> dict[str, pd.DataFrame]:
    """`navigation_nodes` and `navigation_markets`."""
    counts: dict[str, int] = {}
    for membership in crawl.memberships:
        counts[membership.node_id] = counts.get(membership.node_id, 0) + 1
    truncated = set(crawl.truncated_node_ids)
    parents = {node.parent_id for node in crawl.nodes if node.parent_id is not None}
    nodes = [
        {
            "node_id": node.node_id,
            "name": node.name,
            "parent_id": node.parent_id,
            "depth": node.depth,
            "path": PATH_SEPARATOR.join(node.path),
            "is_leaf": node.node_id not in parents,
            "market_count": counts.get(node.node_id, 0),
            "truncated": node.node_id in truncated,
            "raw": _json(node.raw),
        }
        for node in crawl.nodes
    ]
    markets = [{"node_id": m.node_id, "epic": m.epic, "position": m.position} for m in crawl.memberships]
    return {
        "navigation_nodes": _frame("navigation_nodes", nodes),
        "navigation_markets": _frame("navigation_markets", markets),
    }


def watchlist_frames(part: WatchlistsPart) -> dict[str, pd.DataFrame]:
    """`watchlists` and `watchlist_markets`."""
    watchlists = [
        {
            "watchlist_id": w.watchlist_id,
            "name": w.name,
            "editable": w.editable,
            "deleteable": w.deleteable,
            "default_system_watchlist": w.default_system_watchlist,
            "market_count": len(part.markets.get(w.watchlist_id, [])),
            "raw": _json(w.raw),
        }
        for w in part.watchlists
    ]
    members = [
        {"watchlist_id": watchlist_id, "epic": market.epic, "position": position}
        for watchlist_id, markets in part.markets.items()
        for position, market in enumerate(markets)
    ]
    return {
        "watchlists": _frame("watchlists", watchlists),
        "watchlist_markets": _frame("watchlist_markets", members),
    }


def snapshot_epics(navigation_markets: pd.DataFrame, watchlist_markets: pd.DataFrame) -> list[str]:
    """Every distinct epic the snapshot must describe: navigation membership, then watchlists, first seen."""
    return list(dict.fromkeys([*navigation_markets["epic"], *watchlist_markets["epic"]]))


_RULE_COLUMNS = tuple((name, f"{name}_unit") for name in DEALING_RULES)
_SNAPSHOT_FIELDS = (
    "market_status", "bid", "offer", "high", "low", "net_change", "percentage_change",
    "update_time", "delay_time", "decimal_places_factor", "scaling_factor",
)  # fmt: skip


def _rule(rule: DealingRule | None) -> tuple[float | None, str | None]:
    return (rule.value, rule.unit) if rule else (None, None)


def _market_row(details: MarketDetails) -> dict[str, Any]:
    instrument, rules, snap = details.instrument, details.dealing_rules, details.snapshot
    fee = instrument.overnight_fee
    row: dict[str, Any] = {
        "epic": instrument.epic,
        "symbol": instrument.symbol,
        "instrument_name": instrument.name,
        "instrument_type": instrument.type,
        "expiry": instrument.expiry,
        "currency": instrument.currency,
        "country": instrument.country,
        "lot_size": instrument.lot_size,
        "margin_factor": instrument.margin_factor,
        "margin_factor_unit": instrument.margin_factor_unit,
        "guaranteed_stop_allowed": instrument.guaranteed_stop_allowed,
        "streaming_prices_available": instrument.streaming_prices_available,
        "opening_hours": _json(instrument.raw.get("openingHours")),
        "overnight_fee_long_rate": fee.long_rate if fee else None,
        "overnight_fee_short_rate": fee.short_rate if fee else None,
        "overnight_fee_swap_charge_at": fee.swap_charge_at if fee else None,
        "overnight_fee_swap_charge_interval": fee.swap_charge_interval if fee else None,
        "market_order_preference": rules.market_order_preference if rules else None,
        "trailing_stops_preference": rules.trailing_stops_preference if rules else None,
        "dealing_rules": _json(details.raw.get("dealingRules")),
        "raw": _json(details.raw),
    }
    for name, unit in _RULE_COLUMNS:
        row[name], row[unit] = _rule(getattr(rules, name) if rules else None)
    for name in _SNAPSHOT_FIELDS:
        row[name] = getattr(snap, name) if snap else None
    row["market_modes"] = _json(list(snap.market_modes)) if snap and snap.market_modes is not None else None
    return row


# The row's values in the table's column order, picked in one C call (a generator cost ~5 us a market).
_IN_COLUMN_ORDER = operator.itemgetter(*(column.name for column in table_named("markets").frame_columns))


def market_row(details: MarketDetails) -> tuple[Any, ...]:
    """One `markets` row as a tuple in the table's column order: what the markets step keeps of each record
    as its batch arrives (a tuple of values is ~6x smaller than the parsed record with its raw JSON tree)."""
    return _IN_COLUMN_ORDER(_market_row(details))  # type: ignore[no-any-return]


def market_frame_of_rows(rows: Iterable[tuple[Any, ...]]) -> pd.DataFrame:
    """`markets` from rows made by ``market_row``: one row per epic."""
    frame = _frame("markets", rows)
    for name in ("overnight_fee_swap_charge_at", "update_time"):
        frame[name] = pd.Series(frame[name].array, dtype=UTC_MICROSECONDS)
    return frame


def market_frame(details: Iterable[MarketDetails]) -> pd.DataFrame:
    """`markets`: one row per epic."""
    return market_frame_of_rows(market_row(item) for item in details)
