"""Rows per second into the warehouse, 1M-row markets-shaped frame (targets: DuckDB 1M/s, PostgreSQL 200k/s).

Each figure is one publish_snapshot of the frame (plus empty frames for the other tables), measured once,
each frame its own snapshot; a "re-publish" also deletes that snapshot's 1M rows first. A publish figure
covers everything up to data durable on disk: checks, conversion to Arrow, connecting, the delete, the
bulk write, the commit and (DuckDB) the checkpoint when its connection closes.
- "object" frames hold Python objects per cell, as a DataFrame built from API records does; converting
  them to Arrow costs about 100 ns per text cell whoever does it, so the conversion is also shown alone;
- "Arrow-backed" frames (``dtype_backend="pyarrow"``) convert nearly for free: the figure is the database's;
- the narrow frames tell the cost per row from the cost per byte: one without ``raw``'s content (``'{}'``),
  one with '{}' in every JSON column (``raw`` is otherwise about 430 bytes, a row about 1.1 kB);
- the frames list epics in key order, PostgreSQL's cheapest case for its primary key, so PostgreSQL also
  loads the Arrow-backed frame shuffled, as rows in API order would come;
- pandas ``to_sql`` is the ordinary way, the baseline of the last column. It cannot reach DuckDB through
  SQLAlchemy here without duckdb-engine (FIELD-NOTES), so it is handed DuckDB's own DB-API connection, which
  pandas drives like sqlite3 (one ``executemany``, row by row), on a smaller sample.
CPU is this process's (user + system): all of DuckDB's work, but only the client's side of PostgreSQL.
The machine is shared, so the load average is printed before and after: wall times stretch with it.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import sqlalchemy as sa

from capital_pipeline.warehouse import DATA_TABLES, LogicalType, Snapshot, Warehouse, table_named
from capital_pipeline.warehouse.dialects import DUCKDB
from capital_pipeline.warehouse.frames import snapshot_rows
from capital_pipeline_tests.conftest import postgres_url_from_env

ROWS = 1_000_000
TO_SQL_ROWS = {"duckdb": 5_000, "postgresql": 100_000}
TO_SQL = "pandas to_sql"
TAKEN = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
RULES = {
    "minDealSize": {"unit": "POINTS", "value": 1},
    "maxDealSize": {"unit": "POINTS", "value": 100000},
    "minStepDistance": {"unit": "POINTS", "value": 0.001},
    "marketOrderPreference": "AVAILABLE_DEFAULT_ON",
}
HOURS = {"mon": ["00:00 - 21:59", "23:05 - 00:00"], "sat": [], "zone": "UTC"}
JSON_TEXT = {
    "opening_hours": json.dumps(HOURS),
    "dealing_rules": json.dumps(RULES),
    "market_modes": '["REGULAR"]',
}


def _raw(epic: str, bid: float) -> str:
    instrument = {"epic": epic, "name": f"Market {epic}", "type": "SHARES", "openingHours": HOURS}
    return json.dumps({"instrument": instrument, "dealingRules": RULES, "snapshot": {"bid": bid}})


def markets_frame(rows: int) -> pd.DataFrame:
    """A markets frame of object columns, values drawn per declared type."""
    rng = np.random.default_rng(7)
    epics = [f"EPIC{i:07d}" for i in range(rows)]
    bids = rng.uniform(0.5, 5000, rows).round(3)
    words = np.array(["SHARES", "CURRENCIES", "POINTS", "PERCENTAGE", "TRADEABLE"], dtype=object)
    by_type: dict[LogicalType, Callable[[], object]] = {
        LogicalType.TEXT: lambda: words[rng.integers(0, len(words), rows)],
        LogicalType.FLOAT: lambda: rng.uniform(-100, 100, rows),
        LogicalType.INTEGER: lambda: rng.integers(0, 1440, rows),
        LogicalType.BOOLEAN: lambda: rng.integers(0, 2, rows).astype(bool),
        LogicalType.TIMESTAMP: lambda: (
            pd.Timestamp(TAKEN) - pd.to_timedelta(rng.integers(0, 86_400, rows), "s")
        ),
    }
    data: dict[str, object] = {}
    for column in table_named("markets").frame_columns:
        if column.name == "epic":
            data["epic"] = epics
        elif column.name == "raw":
            data["raw"] = [_raw(epic, bid) for epic, bid in zip(epics, bids, strict=True)]
        elif column.type is LogicalType.JSON:
            data[column.name] = [JSON_TEXT[column.name]] * rows
        else:
            data[column.name] = by_type[column.type]()
    return pd.DataFrame(data)


@dataclass(frozen=True)
class Timing:
    """Wall and this process's CPU seconds of one measured action."""

    wall: float
    cpu: float


def _timed(action: Callable[[], object]) -> Timing:
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return Timing(time.perf_counter() - wall, time.process_time() - cpu)


Figure = tuple[str, int, Timing]


def _publish(warehouse: Warehouse, markets: pd.DataFrame, snapshot_id: str) -> Timing:
    empty = {t.name: pd.DataFrame(columns=[c.name for c in t.frame_columns]) for t in DATA_TABLES}
    snapshot = Snapshot(snapshot_id, TAKEN, "demo", TAKEN)
    return _timed(lambda: warehouse.publish_snapshot(snapshot, {**empty, "markets": markets}))


def _to_sql_duckdb(path: Path, sample: pd.DataFrame) -> Timing:
    connection = duckdb.connect(str(path))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "pandas only supports SQLAlchemy connectable ..."
            return _timed(lambda: sample.to_sql("to_sql_markets", connection, index=False))
    finally:
        connection.close()


def _to_sql_postgres(url: str, schema: str, sample: pd.DataFrame) -> Timing:
    engine = sa.create_engine(url)
    try:
        return _timed(lambda: sample.to_sql("to_sql_markets", engine, schema=schema, index=False))
    finally:
        engine.dispose()


def _postgres_reachable(url: str) -> bool:
    engine = sa.create_engine(url)
    try:
        with engine.connect():
            return True
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


def _drop_schema(url: str, schema: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        engine.dispose()


def _backend_figures(warehouse: Warehouse, frames: dict[str, pd.DataFrame]) -> list[Figure]:
    figures = [
        (f"publish ({kind} frame)", ROWS, _publish(warehouse, frame, kind)) for kind, frame in frames.items()
    ]
    again = "Arrow-backed"
    figures.append(
        (f"re-publish ({again} frame): delete 1M + insert", ROWS, _publish(warehouse, frames[again], again))
    )
    return figures


def _duckdb(frames: dict[str, pd.DataFrame], sample: pd.DataFrame) -> list[Figure]:
    with tempfile.TemporaryDirectory() as directory:
        warehouse = Warehouse(Path(directory) / "bench.duckdb", schema="bench")
        warehouse.ensure_schema()
        figures = _backend_figures(warehouse, frames)
        to_sql = _to_sql_duckdb(Path(directory) / "to_sql.duckdb", sample.head(TO_SQL_ROWS["duckdb"]))
    return [(f"DuckDB {path}", rows, timing) for path, rows, timing in figures] + [
        (f"DuckDB {TO_SQL} (DB-API executemany)", TO_SQL_ROWS["duckdb"], to_sql)
    ]


def _postgres(url: str, frames: dict[str, pd.DataFrame], sample: pd.DataFrame) -> list[Figure]:
    schema = f"bench_{os.getpid()}"
    warehouse = Warehouse(url, schema=schema)
    warehouse.ensure_schema()
    try:
        figures = _backend_figures(warehouse, frames)
        to_sql = _to_sql_postgres(url, schema, sample.head(TO_SQL_ROWS["postgresql"]))
    finally:
        _drop_schema(url, schema)
    return [(f"PostgreSQL {path}", rows, timing) for path, rows, timing in figures] + [
        (f"PostgreSQL {TO_SQL} (SQLAlchemy, default method)", TO_SQL_ROWS["postgresql"], to_sql)
    ]


def _frames(objects: pd.DataFrame) -> dict[str, pd.DataFrame]:
    arrow = objects.convert_dtypes(dtype_backend="pyarrow")
    no_raw = arrow.assign(raw="{}")
    narrow = arrow.assign(**{name: "{}" for name in (*JSON_TEXT, "raw")})
    return {
        "object": objects,
        "Arrow-backed": arrow,
        f"Arrow-backed, raw '{{}}', {_row_bytes(no_raw)} B/row": no_raw,
        f"Arrow-backed, JSON columns '{{}}', {_row_bytes(narrow)} B/row": narrow,
    }


def _row_bytes(frame: pd.DataFrame) -> int:
    return round(snapshot_rows(table_named("markets"), frame, "bench", TAKEN, DUCKDB).nbytes / len(frame))


def _print_table(figures: list[Figure]) -> None:
    baselines = {path.split()[0]: rows / timing.wall for path, rows, timing in figures if TO_SQL in path}
    print("| path | rows | wall s | CPU s | rows/s | x to_sql |\n|---|---:|---:|---:|---:|---:|")
    for path, rows, timing in figures:
        rate = rows / timing.wall
        baseline = baselines.get(path.split()[0])
        ratio = f"{rate / baseline:,.0f}" if baseline else ""
        print(f"| {path} | {rows:,} | {timing.wall:.2f} | {timing.cpu:.2f} | {rate:,.0f} | {ratio} |")


def _load() -> str:
    return (
        " / ".join(f"{value:.1f}" for value in os.getloadavg()) + f" (1/5/15 min) on {os.cpu_count()} cores"
    )


def main() -> None:
    before = _load()
    objects = markets_frame(ROWS)
    frames = _frames(objects)
    markets = table_named("markets")
    figures: list[Figure] = [
        (
            f"frame to Arrow, checks included ({kind} frame)",
            ROWS,
            _timed(lambda frame=frame: snapshot_rows(markets, frame, "bench", TAKEN, DUCKDB)),
        )
        for kind, frame in list(frames.items())[:2]
    ]
    figures += _duckdb(frames, objects)
    url = postgres_url_from_env()
    if _postgres_reachable(url):
        # The frame's epics are in key order, the primary key's cheapest case; API order is not.
        shuffled = frames["Arrow-backed"].sample(frac=1.0, random_state=7, ignore_index=True)
        figures += _postgres(url, {**frames, "Arrow-backed, rows in random key order": shuffled}, objects)
    else:
        print(f"PostgreSQL not reachable at {url}: its rows are left out")
    _print_table(figures)
    print(f"\nload average before: {before}; after: {_load()}")


if __name__ == "__main__":
    main()
