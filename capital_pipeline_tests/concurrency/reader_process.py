"""A reader in its own process, as a notebook kernel or a dashboard is, checking every snapshot it sees.

``python -m capital_pipeline_tests.concurrency.reader_process URL SCHEMA``: DuckDB is read through its reader
copy (``open_reader``), one connection opened first and held to the end, others opened again and again;
PostgreSQL through ``Warehouse.query``. Prints the newest snapshot the first connection sees and ``ready``,
then checks until a line arrives on stdin: each succeeded snapshot's rows per table must equal the counts its
``snapshots`` row records (a torn or partial snapshot would not). Ends by printing one JSON line: what the
held connection and a fresh one see, how many checks ran, and every inconsistency or error met.
"""

from __future__ import annotations

import json
import select
import sys
from collections.abc import Callable
from typing import Any

from capital_pipeline.warehouse import DATA_TABLES, Warehouse, open_reader, reader_copy_path

Read = Callable[[str], list[tuple[Any, ...]]]
LATEST = "SELECT snapshot_id FROM latest_snapshots"
ROWS = " UNION ALL ".join(
    f"SELECT '{table.name}' AS table_name, snapshot_id, COUNT(*) AS row_count "
    f"FROM {table.name} GROUP BY snapshot_id"
    for table in DATA_TABLES
)
# One statement, so one consistent view on PostgreSQL too (two queries could straddle a commit).
CHECK = (
    "SELECT s.snapshot_id, CAST(s.row_counts AS TEXT), r.table_name, r.row_count "
    f"FROM snapshots s LEFT JOIN ({ROWS}) r ON r.snapshot_id = s.snapshot_id WHERE s.status = 'succeeded'"
)


def reader(url: str, schema: str) -> Read:
    """A fresh way to read: a new reader-copy connection (DuckDB), or short queries (PostgreSQL)."""
    if url.startswith("postgresql"):
        warehouse = Warehouse(url, schema=schema)
        return lambda sql: list(warehouse.query(sql).itertuples(index=False, name=None))
    connection = open_reader(url, schema=schema)
    return lambda sql: connection.execute(sql).fetchall()


def inconsistencies(read: Read) -> list[str]:
    """Snapshots whose rows differ from the counts recorded with them."""
    recorded: dict[str, dict[str, int]] = {}
    found: dict[tuple[str, str], int] = {}
    for snapshot_id, counts, table, rows in read(CHECK):
        recorded[snapshot_id] = json.loads(counts)
        if table is not None:
            found[(snapshot_id, table)] = int(rows)
    return [
        f"{snapshot_id}.{table}: {found.get((snapshot_id, table), 0)} rows, {count} recorded"
        for snapshot_id, counts in recorded.items()
        for table, count in counts.items()
        if found.get((snapshot_id, table), 0) != count
    ]


def newest(read: Read) -> str | None:
    rows = read(LATEST)
    return str(rows[0][0]) if rows else None


def main(url: str, schema: str) -> None:
    held = reader(url, schema)
    first = newest(held)
    print(first, "ready", flush=True)
    checks, problems = 0, []
    while not select.select([sys.stdin], [], [], 0.02)[0]:
        try:
            problems += inconsistencies(reader(url, schema)) + inconsistencies(held)
        except Exception as error:  # any failure to read is what this process reports
            problems.append(f"{type(error).__name__}: {error}")
        checks += 1
    result = {"held_first": first, "held_last": newest(held), "fresh": newest(reader(url, schema))}
    if not url.startswith("postgresql"):
        result["reader_copy"] = str(reader_copy_path(url))
    print(json.dumps({**result, "checks": checks, "problems": problems}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
