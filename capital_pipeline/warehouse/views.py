"""Views over the snapshots: the latest succeeded snapshot of each table, and change history between them.

The SQL is the same on DuckDB and PostgreSQL; view bodies name tables by schema only (see ``Namespace``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from .declarations import Table
from .dialects import Namespace
from .tables import TABLES

__all__ = ["VIEWS", "View", "newest_succeeded_sql", "view_statements"]


@dataclass(frozen=True)
class View:
    """A view: its name, what it shows, and its ``SELECT`` for a namespace."""

    name: str
    description: str
    select: Callable[[Namespace], str]


def newest_succeeded_sql(ns: Namespace, *, other_than: bool = False) -> str:
    """``SELECT snapshot_id`` of the newest succeeded snapshot (``other_than``: not ``:other_than``)."""
    excluded = " AND snapshot_id <> :other_than" if other_than else ""
    return (
        f"SELECT snapshot_id FROM {ns.qualify('snapshots')} WHERE status = 'succeeded'{excluded} "
        "ORDER BY snapshot_at DESC, snapshot_id DESC LIMIT 1"
    )


def _latest(table: Table, ns: Namespace) -> str:
    return f"SELECT * FROM {ns.qualify(table.name)} WHERE snapshot_id = ({newest_succeeded_sql(ns)})"


def _consecutive_snapshots(ns: Namespace) -> str:
    # Each succeeded snapshot paired with the succeeded one before it; the first has no pair, so no changes.
    return f"""succeeded AS (
    SELECT snapshot_id, snapshot_at,
           LAG(snapshot_id) OVER (ORDER BY snapshot_at, snapshot_id) AS previous_snapshot_id
    FROM {ns.qualify("snapshots")} WHERE status = 'succeeded'
), pairs AS (
    SELECT snapshot_id, snapshot_at, previous_snapshot_id FROM succeeded
    WHERE previous_snapshot_id IS NOT NULL
)"""


def _paired_rows(name: str, table: str, columns: str, side: str, ns: Namespace) -> str:
    return f"""{name} AS (
    SELECT p.snapshot_id, p.snapshot_at, p.previous_snapshot_id, {columns}
    FROM pairs p JOIN {ns.qualify(table)} t ON t.snapshot_id = p.{side}
)"""


def _number_text(expression: str) -> str:
    # Whole numbers print without ".0" so both databases render margins alike (DuckDB casts 10.0 to '10.0').
    return (
        f"CASE WHEN {expression} = FLOOR({expression}) AND ABS({expression}) < 1e15 "
        f"THEN CAST(CAST({expression} AS BIGINT) AS TEXT) ELSE CAST({expression} AS TEXT) END"
    )


def _margin_text(side: str) -> str:
    return f"NULLIF(CONCAT_WS(' ', {_number_text(f'{side}.margin_factor')}, {side}.margin_factor_unit), '')"


def _market_changes(ns: Namespace) -> str:
    # Dealing rules compare as JSON text, since PostgreSQL's json type has no equality; dicts serialize in
    # their own key order, so rules parsed from the same API shape serialize alike.
    columns = (
        "t.epic, t.instrument_name, t.margin_factor, t.margin_factor_unit, "
        "CAST(t.dealing_rules AS TEXT) AS dealing_rules"
    )
    both = "c.epic IS NOT NULL AND v.epic IS NOT NULL"
    head = "snapshot_id, snapshot_at, previous_snapshot_id, epic"
    return f"""WITH {_consecutive_snapshots(ns)},
{_paired_rows("current_rows", "markets", columns, "snapshot_id", ns)},
{_paired_rows("previous_rows", "markets", columns, "previous_snapshot_id", ns)},
compared AS (
    SELECT COALESCE(c.snapshot_id, v.snapshot_id) AS snapshot_id,
           COALESCE(c.snapshot_at, v.snapshot_at) AS snapshot_at,
           COALESCE(c.previous_snapshot_id, v.previous_snapshot_id) AS previous_snapshot_id,
           COALESCE(c.epic, v.epic) AS epic,
           CASE WHEN v.epic IS NULL THEN 'listed' WHEN c.epic IS NULL THEN 'delisted' END AS listing,
           {both} AND v.instrument_name IS DISTINCT FROM c.instrument_name AS renamed,
           {both} AND (v.margin_factor IS DISTINCT FROM c.margin_factor
                       OR v.margin_factor_unit IS DISTINCT FROM c.margin_factor_unit) AS margin_changed,
           {both} AND v.dealing_rules IS DISTINCT FROM c.dealing_rules AS dealing_rules_changed,
           v.instrument_name AS old_name, c.instrument_name AS new_name,
           {_margin_text("v")} AS old_margin, {_margin_text("c")} AS new_margin,
           v.dealing_rules AS old_rules, c.dealing_rules AS new_rules
    FROM current_rows c
    FULL OUTER JOIN previous_rows v ON v.snapshot_id = c.snapshot_id AND v.epic = c.epic
)
SELECT {head}, listing AS change, old_name AS old_value, new_name AS new_value
FROM compared WHERE listing IS NOT NULL
UNION ALL
SELECT {head}, 'renamed', old_name, new_name FROM compared WHERE renamed
UNION ALL
SELECT {head}, 'margin_changed', old_margin, new_margin FROM compared WHERE margin_changed
UNION ALL
SELECT {head}, 'dealing_rules_changed', old_rules, new_rules FROM compared WHERE dealing_rules_changed"""


def _watchlist_changes(ns: Namespace) -> str:
    columns = "t.watchlist_id, t.epic"
    return f"""WITH {_consecutive_snapshots(ns)},
{_paired_rows("current_rows", "watchlist_markets", columns, "snapshot_id", ns)},
{_paired_rows("previous_rows", "watchlist_markets", columns, "previous_snapshot_id", ns)},
compared AS (
    SELECT COALESCE(c.snapshot_id, v.snapshot_id) AS snapshot_id,
           COALESCE(c.snapshot_at, v.snapshot_at) AS snapshot_at,
           COALESCE(c.previous_snapshot_id, v.previous_snapshot_id) AS previous_snapshot_id,
           COALESCE(c.watchlist_id, v.watchlist_id) AS watchlist_id,
           COALESCE(c.epic, v.epic) AS epic,
           CASE WHEN v.epic IS NULL THEN 'added' WHEN c.epic IS NULL THEN 'removed' END AS change
    FROM current_rows c
    FULL OUTER JOIN previous_rows v
      ON v.snapshot_id = c.snapshot_id AND v.watchlist_id = c.watchlist_id AND v.epic = c.epic
)
SELECT x.snapshot_id, x.snapshot_at, x.watchlist_id,
       COALESCE(now_list.name, before_list.name) AS watchlist_name, x.epic, x.change
FROM compared x
LEFT JOIN {ns.qualify("watchlists")} now_list
  ON now_list.snapshot_id = x.snapshot_id AND now_list.watchlist_id = x.watchlist_id
LEFT JOIN {ns.qualify("watchlists")} before_list
  ON before_list.snapshot_id = x.previous_snapshot_id AND before_list.watchlist_id = x.watchlist_id
WHERE x.change IS NOT NULL"""


VIEWS: tuple[View, ...] = (
    *(
        View(f"latest_{t.name}", f"`{t.name}` rows of the newest succeeded snapshot.", partial(_latest, t))
        for t in TABLES
    ),
    View(
        "market_changes",
        "Per succeeded snapshot, how `markets` differ from the previous succeeded snapshot: "
        "snapshot_id, snapshot_at, previous_snapshot_id, epic, change (listed, delisted, renamed, "
        "margin_changed, dealing_rules_changed), old_value, new_value. A delisted market is only delisted.",
        _market_changes,
    ),
    View(
        "watchlist_changes",
        "Per succeeded snapshot, epics added to or removed from each watchlist since the previous succeeded "
        "snapshot: snapshot_id, snapshot_at, watchlist_id, watchlist_name, epic, change (added, removed).",
        _watchlist_changes,
    ),
)


def view_statements(namespace: Namespace) -> list[str]:
    """``CREATE OR REPLACE VIEW`` for every view; bodies use schema-qualified names only."""
    body_namespace = namespace.without_catalog()
    return [
        f"CREATE OR REPLACE VIEW {namespace.qualify(v.name)} AS\n{v.select(body_namespace)}" for v in VIEWS
    ]
