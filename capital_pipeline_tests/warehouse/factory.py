"""Hand-built snapshot frames shaped like REFERENCE.md section 6 responses, small enough to reason about."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pyarrow as pa

from capital_pipeline.warehouse import DATA_TABLES, LogicalType, Snapshot, table_named

DAY_ONE = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)

DEALING_RULES: dict[str, Any] = {
    "minStepDistance": {"unit": "POINTS", "value": 0.001},
    "minDealSize": {"unit": "POINTS", "value": 1},
    "maxDealSize": {"unit": "POINTS", "value": 100000},
    "minSizeIncrement": {"unit": "POINTS", "value": 0.1},
    "minGuaranteedStopDistance": {"unit": "PERCENTAGE", "value": 1},
    "minStopOrProfitDistance": {"unit": "PERCENTAGE", "value": 0.01},
    "maxStopOrProfitDistance": {"unit": "PERCENTAGE", "value": 60},
    "marketOrderPreference": "AVAILABLE_DEFAULT_ON",
    "trailingStopsPreference": "NOT_AVAILABLE",
}


def snapshot(day: int, snapshot_id: str | None = None) -> Snapshot:
    """The snapshot taken on ``day`` (1 = the first), ids ``s1``, ``s2``, ... unless given."""
    taken = DAY_ONE + timedelta(days=day - 1)
    return Snapshot(
        snapshot_id=snapshot_id or f"s{day}",
        snapshot_at=taken,
        environment="demo",
        started_at=taken - timedelta(minutes=3),
        run_id=f"run-{day}",
        finished_at=taken + timedelta(minutes=1),
        request_count=120 + day,
    )


def market(
    epic: str,
    name: str | None = None,
    margin: float = 10.0,
    margin_unit: str = "PERCENTAGE",
    dealing_rules: Mapping[str, Any] | None = None,
    raw: Any = None,
) -> dict[str, Any]:
    """One ``markets`` row; the raw object is built from the same values unless given."""
    rules = dict(dealing_rules if dealing_rules is not None else DEALING_RULES)
    instrument = {
        "epic": epic,
        "name": epic.title() if name is None else name,
        "marginFactor": margin,
        "type": "COMMODITIES",
    }
    row: dict[str, Any] = {
        "epic": epic,
        "symbol": epic.title(),
        "instrument_name": epic.title() if name is None else name,
        "instrument_type": "COMMODITIES",
        "expiry": "-",
        "currency": "USD",
        "country": "United States of America",
        "lot_size": 1.0,
        "margin_factor": margin,
        "margin_factor_unit": margin_unit,
        "guaranteed_stop_allowed": True,
        "streaming_prices_available": True,
        "opening_hours": {"mon": ["00:00 - 21:59", "23:05 - 00:00"], "sat": [], "zone": "UTC"},
        "overnight_fee_long_rate": -0.0199715,
        "overnight_fee_short_rate": 0.0117515,
        "overnight_fee_swap_charge_at": pd.Timestamp(1707948000000, unit="ms", tz="UTC"),
        "overnight_fee_swap_charge_interval": 1440,
        "market_order_preference": rules.get("marketOrderPreference"),
        "trailing_stops_preference": rules.get("trailingStopsPreference"),
        "dealing_rules": rules,
        "market_status": "TRADEABLE",
        "bid": 22.041,
        "offer": 22.061,
        "high": 22.098,
        "low": 21.926,
        "net_change": -0.627,
        "percentage_change": -0.27,
        "update_time": pd.Timestamp("2026-11-02T05:59:00.955", tz="UTC"),
        "delay_time": 0,
        "decimal_places_factor": 3,
        "scaling_factor": 1,
        "market_modes": ["REGULAR"],
        "raw": raw if raw is not None else {"instrument": instrument, "dealingRules": rules},
    }
    for rule in (
        "minStepDistance",
        "minDealSize",
        "maxDealSize",
        "minSizeIncrement",
        "minGuaranteedStopDistance",
        "minStopOrProfitDistance",
        "maxStopOrProfitDistance",
    ):
        column = "".join(f"_{c.lower()}" if c.isupper() else c for c in rule)
        row[column] = rules.get(rule, {}).get("value")
        row[f"{column}_unit"] = rules.get(rule, {}).get("unit")
    return row


def frames(
    markets: Iterable[dict[str, Any]] = (),
    watchlists: Mapping[str, tuple[str, list[str]]] | None = None,
) -> dict[str, pd.DataFrame]:
    """Every table's frame: one account, a two-level navigation tree over ``markets``, and ``watchlists``."""
    market_rows = list(markets)
    epics = [row["epic"] for row in market_rows]
    lists = watchlists or {}
    rows: dict[str, list[dict[str, Any]]] = {
        "accounts": [_account()],
        "account_preferences": [_preferences()],
        "navigation_nodes": _nodes(len(epics)),
        "navigation_markets": [
            {"node_id": "n.metals", "epic": e, "position": i} for i, e in enumerate(epics)
        ],
        "watchlists": [_watchlist(wid, name, len(members)) for wid, (name, members) in lists.items()],
        "watchlist_markets": [
            {"watchlist_id": wid, "epic": epic, "position": i}
            for wid, (_, members) in lists.items()
            for i, epic in enumerate(members)
        ],
        "markets": market_rows,
    }
    return {t.name: as_frame(t.name, rows[t.name]) for t in DATA_TABLES}


def as_frame(table: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """``rows`` as a frame with exactly the table's declared columns, in order (also when empty)."""
    columns = [column.name for column in table_named(table).frame_columns]
    return pd.DataFrame(rows, columns=columns)


def as_arrow(table: str, frame: pd.DataFrame) -> pa.Table:
    """``frame`` as the Arrow table a producer would publish: JSON columns hold JSON text, types inferred."""
    json_columns = [c.name for c in table_named(table).frame_columns if c.type is LogicalType.JSON]
    serialized = frame.assign(
        **{
            name: pd.Series([_json_text(value) for value in frame[name]], index=frame.index, dtype=object)
            for name in json_columns
        }
    )
    return pa.Table.from_pandas(serialized, preserve_index=False)


def _json_text(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"))


def as_arrow_frames(published: Mapping[str, pd.DataFrame]) -> dict[str, pa.Table]:
    """Every frame of ``published`` as an Arrow table (``as_arrow``)."""
    return {name: as_arrow(name, frame) for name, frame in published.items()}


def _account() -> dict[str, Any]:
    raw = {
        "accountId": "12345678901234567",
        "accountName": "USD",
        "status": "ENABLED",
        "accountType": "CFD",
        "preferred": True,
        "currency": "USD",
        "symbol": "$",
        "balance": {"balance": 92.89, "deposit": 90.38, "profitLoss": 2.51, "available": 64.66},
    }
    return {
        "account_id": raw["accountId"],
        "account_name": "USD",
        "account_type": "CFD",
        "status": "ENABLED",
        "preferred": True,
        "currency": "USD",
        "symbol": "$",
        "balance": 92.89,
        "deposit": 90.38,
        "profit_loss": 2.51,
        "available": 64.66,
        "raw": raw,
    }


def _preferences() -> dict[str, Any]:
    leverages = {"SHARES": {"current": 2, "available": [1, 2, 3, 5]}}
    return {
        "account_id": "12345678901234567",
        "hedging_mode": False,
        "leverages": leverages,
        "raw": {"hedgingMode": False, "leverages": leverages},
    }


def _nodes(market_count: int) -> list[dict[str, Any]]:
    top = {
        "node_id": "n.commodities",
        "name": "Commodities",
        "parent_id": None,
        "depth": 1,
        "path": "Commodities",
        "is_leaf": False,
        "market_count": None,
        "truncated": None,
        "raw": {"id": "n.commodities", "name": "Commodities"},
    }
    leaf = {
        "node_id": "n.metals",
        "name": "Metals",
        "parent_id": "n.commodities",
        "depth": 2,
        "path": "Commodities / Metals",
        "is_leaf": True,
        "market_count": market_count,
        "truncated": False,
        "raw": {"id": "n.metals", "name": "Metals"},
    }
    return [top, leaf]


def _watchlist(watchlist_id: str, name: str, size: int) -> dict[str, Any]:
    raw = {
        "id": watchlist_id,
        "name": name,
        "editable": True,
        "deleteable": True,
        "defaultSystemWatchlist": False,
    }
    return {
        "watchlist_id": watchlist_id,
        "name": name,
        "editable": True,
        "deleteable": True,
        "default_system_watchlist": False,
        "market_count": size,
        "raw": raw,
    }
