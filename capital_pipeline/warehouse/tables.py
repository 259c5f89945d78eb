"""Every warehouse table, declared once: DDL, Dagster column schemas and the catalogue derive from here.

Field meanings follow shared/capital-api/REFERENCE.md section 6 (the API's field named in each description).
"""

from __future__ import annotations

from .declarations import SNAPSHOT_AT, SNAPSHOT_ID, Column, LogicalType, Table

__all__ = ["DATA_TABLES", "SNAPSHOTS", "TABLES", "table_named"]

TEXT, INTEGER, FLOAT = LogicalType.TEXT, LogicalType.INTEGER, LogicalType.FLOAT
BOOLEAN, TIMESTAMP, JSON = LogicalType.BOOLEAN, LogicalType.TIMESTAMP, LogicalType.JSON

RAW = Column("raw", JSON, "The object exactly as the API sent it.", nullable=False)


def _snapshot_table(name: str, grain: str, description: str, *columns: Column) -> Table:
    return Table(name, grain, description, (SNAPSHOT_ID, SNAPSHOT_AT, *columns))


def _dealing_rule(name: str, api_name: str) -> tuple[Column, Column]:
    # Each dealing rule is a {unit, value} pair in the API (REFERENCE section 6, GET /markets/{epic}).
    return (
        Column(name, FLOAT, f"`dealingRules.{api_name}.value`, in the unit of `{name}_unit`."),
        Column(f"{name}_unit", TEXT, f"`dealingRules.{api_name}.unit`: POINTS, PERCENTAGE or AMOUNT."),
    )


ACCOUNTS = _snapshot_table(
    "accounts",
    "one row per account per snapshot",
    "The login's trading accounts and their balances (`GET /accounts`).",
    Column("account_id", TEXT, "`accountId`, a 17-18 digit numeric string.", key=True, nullable=False),
    Column("account_name", TEXT, "`accountName`."),
    Column("account_type", TEXT, "`accountType`: CFD, PHYSICAL or SPREADBET."),
    Column("status", TEXT, "`status`: ENABLED, DISABLED or SUSPENDED_FROM_DEALING."),
    Column("preferred", BOOLEAN, "`preferred`: the account a new session starts on."),
    Column("currency", TEXT, "`currency`, ISO code of the account currency."),
    Column("symbol", TEXT, "`symbol`, the currency sign."),
    Column("balance", FLOAT, "`balance.balance`, in the account currency."),
    Column("deposit", FLOAT, "`balance.deposit`, in the account currency."),
    Column("profit_loss", FLOAT, "`balance.profitLoss`, in the account currency."),
    Column("available", FLOAT, "`balance.available`, in the account currency."),
    RAW,
)

ACCOUNT_PREFERENCES = _snapshot_table(
    "account_preferences",
    "one row per account per snapshot",
    "Hedging mode and leverages of each account (`GET /accounts/preferences`).",
    Column("account_id", TEXT, "The account the preferences were read on.", key=True, nullable=False),
    Column("hedging_mode", BOOLEAN, "`hedgingMode`."),
    Column("leverages", JSON, "`leverages`: per instrument type, {current, available}."),
    RAW,
)

NAVIGATION_NODES = _snapshot_table(
    "navigation_nodes",
    "one row per navigation node per snapshot",
    "The market navigation tree (`GET /marketnavigation` and `/marketnavigation/{nodeId}`).",
    Column("node_id", TEXT, "`id` of the node.", key=True, nullable=False),
    Column("name", TEXT, "`name` of the node."),
    Column("parent_id", TEXT, "`id` of the parent node; null for top-level nodes."),
    Column("depth", INTEGER, "1 for top-level nodes, parent's depth + 1 below.", nullable=False),
    Column("path", TEXT, "Names from the top level down to this node, joined with ' / '.", nullable=False),
    Column("is_leaf", BOOLEAN, "True when the node lists markets rather than child nodes.", nullable=False),
    Column("market_count", INTEGER, "Number of markets the node returned."),
    Column("truncated", BOOLEAN, "True when the node returned exactly `limit` markets, so may hold more."),
    RAW,
)

NAVIGATION_MARKETS = _snapshot_table(
    "navigation_markets",
    "one row per navigation node and epic per snapshot",
    "Which markets each leaf node lists; the same epic can sit under several nodes.",
    Column("node_id", TEXT, "The leaf node listing the market.", key=True, nullable=False),
    Column("epic", TEXT, "`epic` of the market (case-sensitive).", key=True, nullable=False),
    Column("position", INTEGER, "Place in the node's market list as returned, from 0.", nullable=False),
)

WATCHLISTS = _snapshot_table(
    "watchlists",
    "one row per watchlist per snapshot",
    "The login's watchlists (`GET /watchlists`).",
    Column("watchlist_id", TEXT, "`id`, a numeric string.", key=True, nullable=False),
    Column("name", TEXT, "`name`, at most 20 characters."),
    Column("editable", BOOLEAN, "`editable`."),
    Column("deleteable", BOOLEAN, "`deleteable` (the API's spelling)."),
    Column("default_system_watchlist", BOOLEAN, "`defaultSystemWatchlist`."),
    Column("market_count", INTEGER, "Number of markets in the watchlist."),
    RAW,
)

WATCHLIST_MARKETS = _snapshot_table(
    "watchlist_markets",
    "one row per watchlist and epic per snapshot",
    "Which markets each watchlist holds (`GET /watchlists/{watchlistId}`).",
    Column("watchlist_id", TEXT, "The watchlist holding the market.", key=True, nullable=False),
    Column("epic", TEXT, "`epic` of the market.", key=True, nullable=False),
    Column("position", INTEGER, "Place in the watchlist as the API returned it, from 0.", nullable=False),
)

MARKETS = _snapshot_table(
    "markets",
    "one row per epic per snapshot",
    "Market details: instrument, dealing rules and price snapshot (`GET /markets?epics=`).",
    Column("epic", TEXT, "`instrument.epic` (case-sensitive).", key=True, nullable=False),
    Column("symbol", TEXT, "`instrument.symbol`."),
    Column("instrument_name", TEXT, "`instrument.name`."),
    Column("instrument_type", TEXT, "`instrument.type`, e.g. SHARES, CURRENCIES, COMMODITIES."),
    Column("expiry", TEXT, "`instrument.expiry`; '-' for undated markets."),
    Column("currency", TEXT, "`instrument.currency`."),
    Column("country", TEXT, "`instrument.country`."),
    Column("lot_size", FLOAT, "`instrument.lotSize`."),
    Column("margin_factor", FLOAT, "`instrument.marginFactor`, in the unit of `margin_factor_unit`."),
    Column("margin_factor_unit", TEXT, "`instrument.marginFactorUnit`, e.g. PERCENTAGE."),
    Column("guaranteed_stop_allowed", BOOLEAN, "`instrument.guaranteedStopAllowed`."),
    Column("streaming_prices_available", BOOLEAN, "`instrument.streamingPricesAvailable`."),
    Column(
        "opening_hours", JSON, "`instrument.openingHours`: per weekday 'HH:MM - HH:MM' ranges, and `zone`."
    ),
    Column("overnight_fee_long_rate", FLOAT, "`instrument.overnightFee.longRate`."),
    Column("overnight_fee_short_rate", FLOAT, "`instrument.overnightFee.shortRate`."),
    Column("overnight_fee_swap_charge_at", TIMESTAMP, "`instrument.overnightFee.swapChargeTimestamp`."),
    Column("overnight_fee_swap_charge_interval", INTEGER, "`overnightFee.swapChargeInterval`, minutes."),
    *_dealing_rule("min_step_distance", "minStepDistance"),
    *_dealing_rule("min_deal_size", "minDealSize"),
    *_dealing_rule("max_deal_size", "maxDealSize"),
    *_dealing_rule("min_size_increment", "minSizeIncrement"),
    *_dealing_rule("min_guaranteed_stop_distance", "minGuaranteedStopDistance"),
    *_dealing_rule("min_stop_or_profit_distance", "minStopOrProfitDistance"),
    *_dealing_rule("max_stop_or_profit_distance", "maxStopOrProfitDistance"),
    Column("market_order_preference", TEXT, "`dealingRules.marketOrderPreference`."),
    Column("trailing_stops_preference", TEXT, "`dealingRules.trailingStopsPreference`."),
    Column("dealing_rules", JSON, "`dealingRules`, the whole object, for change detection."),
    Column("market_status", TEXT, "`snapshot.marketStatus`, e.g. TRADEABLE, CLOSED."),
    Column("bid", FLOAT, "`snapshot.bid`."),
    Column("offer", FLOAT, "`snapshot.offer`."),
    Column("high", FLOAT, "`snapshot.high`."),
    Column("low", FLOAT, "`snapshot.low`."),
    Column("net_change", FLOAT, "`snapshot.netChange`."),
    Column("percentage_change", FLOAT, "`snapshot.percentageChange`."),
    Column("update_time", TIMESTAMP, "`snapshot.updateTime`, stored as UTC."),
    Column("delay_time", INTEGER, "`snapshot.delayTime`."),
    Column("decimal_places_factor", INTEGER, "`snapshot.decimalPlacesFactor`."),
    Column("scaling_factor", INTEGER, "`snapshot.scalingFactor`."),
    Column("market_modes", JSON, '`snapshot.marketModes`, a list such as ["REGULAR"].'),
    RAW,
)

SNAPSHOTS = _snapshot_table(
    "snapshots",
    "one row per snapshot",
    "Every snapshot attempt; views read only those with status 'succeeded'.",
    Column(
        "environment",
        TEXT,
        "The Capital.com environment read: 'demo' or 'live', or the base URL that replaced them "
        "(CAPITAL_BASE_URL: a simulator, say).",
        nullable=False,
    ),
    Column("run_id", TEXT, "The orchestrator run that took the snapshot."),
    Column("started_at", TIMESTAMP, "When the snapshot run started (UTC).", nullable=False),
    Column("finished_at", TIMESTAMP, "When the snapshot was published or failed (UTC)."),
    Column("status", TEXT, "'succeeded' or 'failed'.", nullable=False),
    Column("request_count", INTEGER, "HTTP requests the snapshot made."),
    Column("row_counts", JSON, 'Rows written per table, e.g. {"markets": 3412}; null when failed.'),
    Column("error", TEXT, "Why the snapshot failed; null on success."),
)

DATA_TABLES: tuple[Table, ...] = (
    ACCOUNTS,
    ACCOUNT_PREFERENCES,
    NAVIGATION_NODES,
    NAVIGATION_MARKETS,
    WATCHLISTS,
    WATCHLIST_MARKETS,
    MARKETS,
)
TABLES: tuple[Table, ...] = (*DATA_TABLES, SNAPSHOTS)


def table_named(name: str) -> Table:
    """The declared table called ``name``; a ``KeyError`` lists the declared names otherwise."""
    for table in TABLES:
        if table.name == name:
            return table
    raise KeyError(f"no warehouse table {name!r}; declared: {', '.join(t.name for t in TABLES)}")
