"""The snapshot's assets: one per warehouse table, built by four API steps and published by ``snapshots``.

Each API step fetches its part through the run's shared session and checks it in the same step. Nothing is
written to the warehouse until ``snapshots`` publishes every table of the snapshot in one transaction, so
a run that fails anywhere leaves no partial snapshot in any table or view.

(No ``from __future__ import annotations`` here: Dagster reads the annotations of asset functions.)
"""

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    AssetIn,
    AssetOut,
    AssetSpec,
    MetadataValue,
    Output,
    asset,
    multi_asset,
)

from capital_pipeline.defs import checks
from capital_pipeline.defs.metadata import table_metadata, table_schema
from capital_pipeline.defs.resources import CapitalApiResource, WarehouseResource
from capital_pipeline.defs.run_scope import (
    call_api,
    close_run_session,
    progress_logger,
    run_identity,
    run_request_count,
)
from capital_pipeline.defs.staging import StagedFile, staging_directory
from capital_pipeline.snapshot import (
    account_frames,
    fetch_accounts,
    fetch_navigation,
    fetch_watchlists,
    navigation_frames,
    snapshot_epics,
    watchlist_frames,
)
from capital_pipeline.snapshot.market_rows import fetch_market_rows
from capital_pipeline.warehouse import Snapshot, table_named

__all__ = [
    "GROUP",
    "capital_accounts",
    "capital_navigation",
    "capital_watchlists",
    "markets",
    "snapshots",
]

GROUP = "capital"
KINDS = {"python", "pandas", "sql"}
# Every API step shares one request budget per API key (paced by the client, not by Dagster): the pool has no
# limit unless someone sets one in the UI; it names the steps that reach the API.
API_POOL = "capital_api"
# DuckDB allows one writing process per file: publishing steps of overlapping runs take turns.
WAREHOUSE_POOL = "capital_warehouse"
# The API steps of one run share its one session, which the accounts step switches between accounts; whether a
# switch moves the whole session is unconfirmed (REFERENCE.md section 10), so under the multiprocess executor
# they run one at a time (executor.py limits this tag). In-process, steps run one at a time anyway.
API_SESSION_TAG = "capital_pipeline/api_session"
API_STEP_TAGS = {API_SESSION_TAG: "run"}


def table_spec(table: str, deps: tuple[str, ...] = ()) -> AssetSpec:
    """The asset of warehouse table ``table``, described from its one declaration."""
    declared = table_named(table)
    description = (
        f"{declared.description}\n\nGrain: {declared.grain}. Keys: {', '.join(declared.keys)}. "
        f"Write mode: {declared.write_mode.value}; written together with every other table of the "
        "snapshot when `snapshots` publishes it."
    )
    return AssetSpec(
        table,
        group_name=GROUP,
        kinds=KINDS,
        deps=deps,
        description=description,
        metadata={"dagster/column_schema": table_schema(table), "dagster/table_name": f"capital.{table}"},
    )


def table_outs(*tables: str) -> dict[str, AssetOut]:
    """Outputs for a step building several tables; their frames travel to ``snapshots`` by IO manager."""
    return {table: AssetOut.from_spec(table_spec(table), dagster_type=pd.DataFrame) for table in tables}


def _checked_outputs(frames: dict[str, pd.DataFrame], **extra: object) -> Iterator[Output | AssetCheckResult]:
    """Each frame as its table's output with metadata, then each table's unique-keys check."""
    for table, frame in frames.items():
        yield Output(frame, output_name=table, metadata=table_metadata(table, frame, **extra))
    for table, frame in frames.items():
        yield checks.unique_keys_check(table, frame)


@multi_asset(
    outs=table_outs("accounts", "account_preferences"),
    check_specs=checks.unique_keys_check_specs("accounts", "account_preferences"),
    pool=API_POOL,
    op_tags=API_STEP_TAGS,
)
def capital_accounts(context: AssetExecutionContext, capital: CapitalApiResource):
    """Every account of the login and each account's preferences (switching accounts as needed)."""
    yield from _checked_outputs(account_frames(call_api(context, capital, "accounts", fetch_accounts)))


@multi_asset(
    outs=table_outs("navigation_nodes", "navigation_markets"),
    check_specs=[
        *checks.unique_keys_check_specs("navigation_nodes", "navigation_markets"),
        checks.membership_check_spec("navigation_markets", "node_id", "navigation_nodes", "nodes_known"),
        checks.drop_check_spec("navigation_nodes"),
        checks.truncation_check_spec(),
    ],
    pool=API_POOL,
    op_tags=API_STEP_TAGS,
)
def capital_navigation(
    context: AssetExecutionContext, capital: CapitalApiResource, warehouse: WarehouseResource
):
    """The whole navigation tree, crawled concurrently within the API's pace."""
    # The drop check's comparison is read before the crawl: a warehouse that cannot be read fails the step
    # before it sends a request, not after minutes of them.
    snapshot_id = run_identity(context).snapshot_id
    previous = warehouse.warehouse().previous_counts("navigation_nodes", before_snapshot_id=snapshot_id)
    progress = progress_logger(context)
    crawl = call_api(context, capital, "navigation", lambda client: fetch_navigation(client, progress))
    if crawl.refused_limits:
        # The documented maximum is 500, but one client saw it refused (REFERENCE.md section 6): say so once.
        refused = ", ".join(str(limit) for limit in crawl.refused_limits)
        context.log.warning(
            f"the API refused navigation limit {refused} (error.invalid.limit); nodes were fetched with "
            f"limit {crawl.limit}, so a leaf listing {crawl.limit} markets may hold more (see the "
            "no_truncated_nodes check)"
        )
    frames = navigation_frames(crawl)
    yield from _checked_outputs(
        frames, truncated_nodes=len(crawl.truncated_node_ids), navigation_limit=crawl.limit
    )
    nodes, members = frames["navigation_nodes"], frames["navigation_markets"]
    yield checks.membership_check(
        "navigation_markets", "node_id", members["node_id"], nodes["node_id"], "nodes_known"
    )
    yield checks.drop_check(
        "navigation_nodes", len(nodes), previous, accepted=checks.accepts_drop(context.run.tags)
    )
    yield checks.truncation_check(nodes)


@multi_asset(
    outs=table_outs("watchlists", "watchlist_markets"),
    check_specs=checks.unique_keys_check_specs("watchlists", "watchlist_markets"),
    pool=API_POOL,
    op_tags=API_STEP_TAGS,
)
def capital_watchlists(context: AssetExecutionContext, capital: CapitalApiResource):
    """Every watchlist and its markets."""
    yield from _checked_outputs(watchlist_frames(call_api(context, capital, "watchlists", fetch_watchlists)))


@asset(
    name="markets",
    group_name=GROUP,
    kinds=KINDS,
    description=table_spec("markets").description,
    metadata={"dagster/column_schema": table_schema("markets"), "dagster/table_name": "capital.markets"},
    # Only the epics of the members: staging reads just that column.
    ins={
        "navigation_markets": AssetIn(metadata={"columns": ["epic"]}),
        "watchlist_markets": AssetIn(metadata={"columns": ["epic"]}),
    },
    check_specs=[*checks.unique_keys_check_specs("markets"), checks.drop_check_spec("markets")],
    pool=API_POOL,
    op_tags=API_STEP_TAGS,
)
def markets(
    context: AssetExecutionContext,
    capital: CapitalApiResource,
    warehouse: WarehouseResource,
    navigation_markets: pd.DataFrame,
    watchlist_markets: pd.DataFrame,
):
    """Details of every epic listed in navigation or a watchlist, fetched 50 per request."""
    epics = snapshot_epics(navigation_markets, watchlist_markets)
    # Read before the crawl, as in capital_navigation.
    snapshot_id = run_identity(context).snapshot_id
    previous = warehouse.warehouse().previous_counts("markets", before_snapshot_id=snapshot_id)
    progress = progress_logger(context)
    # Rows go to the run's staging directory as their batches arrive: at x30 the whole table in memory, even
    # in Arrow, would not fit the memory target next to the rest of the run.
    staging = staging_directory(context.instance.storage_directory(), context.run.run_id)
    staging.mkdir(parents=True, exist_ok=True)
    path = staging / "markets.partial.parquet"
    part = call_api(
        context, capital, "markets", lambda client: fetch_market_rows(client, epics, path, progress)
    )
    staged = part.staged
    metadata = table_metadata("markets", staged.head, rows=staged.rows, missing_epics=len(part.missing))
    yield Output(StagedFile(staged.path, staged.rows), metadata=metadata)
    yield checks.unique_keys_check("markets", pd.DataFrame({"epic": staged.epics}))
    yield checks.drop_check("markets", staged.rows, previous, accepted=checks.accepts_drop(context.run.tags))


@asset(
    name="snapshots",
    group_name=GROUP,
    kinds=KINDS,
    description=(
        f"{table_named('snapshots').description}\n\nLogs the run's API session out (the last request this "
        "row counts), then publishes the run's snapshot: every table's rows and this row in one transaction "
        "(replacing an earlier publish of the same snapshot). Grain: one row per snapshot."
    ),
    metadata={"dagster/column_schema": table_schema("snapshots"), "dagster/table_name": "capital.snapshots"},
    pool=WAREHOUSE_POOL,
)
def snapshots(
    context: AssetExecutionContext,
    capital: CapitalApiResource,
    warehouse: WarehouseResource,
    accounts: pa.Table,
    account_preferences: pa.Table,
    navigation_nodes: pa.Table,
    navigation_markets: pa.Table,
    watchlists: pa.Table,
    watchlist_markets: pa.Table,
    markets: Path,
):
    """Publish the snapshot atomically and end the run's API session.

    The tables arrive as Arrow (staging reads them so), which the warehouse loads without a pandas copy; the
    markets as their staged Parquet file, which the warehouse reads batch by batch (at x30 the table alone is
    213 MiB in Arrow)."""
    frames = {
        "accounts": accounts,
        "account_preferences": account_preferences,
        "navigation_nodes": navigation_nodes,
        "navigation_markets": navigation_markets,
        "watchlists": watchlists,
        "watchlist_markets": watchlist_markets,
        "markets": markets,
    }
    identity = run_identity(context)
    requests = run_request_count(context.run.run_id)
    requests += close_run_session(context.run.run_id, capital, context.log.warning)
    record = Snapshot(
        snapshot_id=identity.snapshot_id,
        snapshot_at=identity.snapshot_at,
        environment=capital.target(),
        started_at=identity.started_at,
        run_id=context.run.run_id,
        request_count=requests,
    )
    store = warehouse.warehouse()
    store.ensure_schema()
    counts = store.publish_snapshot(record, frames)
    context.log.info(f"published snapshot {identity.snapshot_id}: {counts}")
    return Output(
        None,
        metadata={
            "dagster/row_count": 1,
            "snapshot_id": identity.snapshot_id,
            "rows": MetadataValue.json(counts),
            "api_requests": requests,
        },
    )
