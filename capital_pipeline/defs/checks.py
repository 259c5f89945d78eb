"""Asset checks, evaluated inside the step that builds the frames (no extra step, no reload of the data).

Each returns an ``AssetCheckResult`` for one ``AssetCheckSpec`` declared on the step's assets. The drop
check is blocking: when it fails, ``snapshots`` (the step that publishes) does not run, so a snapshot that
lost over 20% of its markets or nodes never reaches the warehouse.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd
import pyarrow as pa
from dagster import (
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetIn,
    asset_check,
)

from capital_pipeline.warehouse import table_named

__all__ = [
    "ACCEPT_DROP_TAG",
    "DROP_TOLERANCE",
    "accepts_drop",
    "drop_check",
    "drop_check_spec",
    "membership_check",
    "membership_check_spec",
    "navigation_epics_have_markets",
    "truncation_check",
    "truncation_check_spec",
    "unique_keys_check",
    "unique_keys_check_specs",
    "watchlist_epics_have_markets",
]

# A real universe moves by a few listings a day; losing a fifth of it means a broken read, not the market.
DROP_TOLERANCE = 0.20
# A drop that is real (a smaller login, a market closed for good) is accepted by one run carrying this tag set
# to "true": once that snapshot is published, later ones compare with it.
ACCEPT_DROP_TAG = "capital/accept_drop"
_ACCEPT_DROP_ADVICE = (
    f'If the drop is real, run once with the run tag {ACCEPT_DROP_TAG}="true" (`capital-pipeline snapshot '
    "--accept-drop`, or add the tag in the Launchpad); later snapshots then compare with that one."
)
_EXAMPLES = 5


def _own_keys(table: str) -> list[str]:
    return [key for key in table_named(table).keys if key != "snapshot_id"]


def unique_keys_check_specs(*tables: str) -> list[AssetCheckSpec]:
    return [
        AssetCheckSpec(
            "unique_keys",
            asset=table,
            description=f"({', '.join(_own_keys(table))}) is unique in the snapshot.",
        )
        for table in tables
    ]


def unique_keys_check(table: str, frame: pd.DataFrame | pa.Table) -> AssetCheckResult:
    keys = _own_keys(table)
    if isinstance(frame, pa.Table):  # only the key columns come to pandas
        frame = frame.select(keys).to_pandas()
    repeated = frame[frame.duplicated(subset=keys, keep=False)]
    examples = repeated[keys].drop_duplicates().head(_EXAMPLES).to_dict("records")
    return AssetCheckResult(
        check_name="unique_keys",
        asset_key=table,
        passed=repeated.empty,
        metadata={"repeated_rows": len(repeated), "examples": str(examples)},
    )


def membership_check_spec(table: str, column: str, parent: str, name: str) -> AssetCheckSpec:
    return AssetCheckSpec(
        name,
        asset=table,
        description=f"Every `{table}.{column}` has a row in `{parent}` for the same snapshot.",
    )


def membership_check(
    table: str, column: str, values: pd.Series, known: Iterable[str], name: str
) -> AssetCheckResult:
    missing = sorted(set(values) - set(known))
    return AssetCheckResult(
        check_name=name,
        asset_key=table,
        passed=not missing,
        metadata={"missing": len(missing), "examples": ", ".join(missing[:_EXAMPLES])},
    )


def drop_check_spec(table: str) -> AssetCheckSpec:
    return AssetCheckSpec(
        "no_sudden_drop",
        asset=table,
        blocking=True,
        description=f"At most {DROP_TOLERANCE:.0%} fewer rows than the previous successful snapshot; "
        f"blocks publishing otherwise. {_ACCEPT_DROP_ADVICE}",
    )


def accepts_drop(run_tags: Mapping[str, str]) -> bool:
    """Whether the run carries ``ACCEPT_DROP_TAG`` set to true."""
    return run_tags.get(ACCEPT_DROP_TAG, "").strip().lower() in ("true", "1", "yes")


def drop_check(table: str, rows: int, previous: int | None, *, accepted: bool = False) -> AssetCheckResult:
    """``rows`` against ``previous``, the table's rows in the previous snapshot
    (``Warehouse.previous_counts``, read before the step's crawl; None before the first snapshot: passes).
    ``accepted`` (the run's ``ACCEPT_DROP_TAG``) lets a drop through, and says so."""
    floor = None if previous is None else previous * (1 - DROP_TOLERANCE)
    dropped = floor is not None and rows < floor
    metadata: dict[str, object] = {
        "rows": rows,
        "previous_rows": previous if previous is not None else "none yet",
    }
    if dropped:
        lost = f"{table} has {rows} rows against {previous} in the previous snapshot"
        if accepted:
            metadata["accepted_by_tag"] = ACCEPT_DROP_TAG
            description = f"{lost}: accepted by the run tag {ACCEPT_DROP_TAG}."
        else:
            description = f"{lost}, more than {DROP_TOLERANCE:.0%} fewer. {_ACCEPT_DROP_ADVICE}"
    else:
        description = None
    return AssetCheckResult(
        check_name="no_sudden_drop",
        asset_key=table,
        passed=not dropped or accepted,
        metadata=metadata,
        description=description,
    )


def truncation_check_spec() -> AssetCheckSpec:
    return AssetCheckSpec(
        "no_truncated_nodes",
        asset="navigation_nodes",
        description="Warns when a node returned exactly the API's `limit` of markets and so may hold more.",
    )


def truncation_check(nodes: pd.DataFrame) -> AssetCheckResult:
    truncated = nodes.loc[nodes["truncated"], "node_id"].tolist()
    return AssetCheckResult(
        check_name="no_truncated_nodes",
        asset_key="navigation_nodes",
        passed=not truncated,
        severity=AssetCheckSeverity.WARN,
        metadata={"truncated_nodes": len(truncated), "examples": ", ".join(truncated[:_EXAMPLES])},
    )


def _epics_have_markets(table: str) -> AssetChecksDefinition:
    @asset_check(
        name="epics_have_markets",
        asset=table,
        # Only the epic column of markets: staging reads just that, not every market's details.
        additional_ins={"markets": AssetIn("markets", metadata={"columns": ["epic"]})},
        description=f"Every `{table}.epic` has a row in `markets` for the same snapshot.",
    )
    def check(members: pd.DataFrame, markets: pd.DataFrame) -> AssetCheckResult:
        return membership_check(table, "epic", members["epic"], markets["epic"], "epics_have_markets")

    return check


# Separate checks (not in-step): they read two assets' frames, and a step may only check its own assets.
navigation_epics_have_markets = _epics_have_markets("navigation_markets")
watchlist_epics_have_markets = _epics_have_markets("watchlist_markets")
