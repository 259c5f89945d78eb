"""The warehouse: every table declared once; DDL, bulk loads, views and reads for DuckDB and PostgreSQL.

Knows nothing about HTTP or Dagster: it receives one pandas DataFrame or Arrow table per table per
snapshot. People read a DuckDB warehouse through ``open_reader`` (its reader copy), which never blocks a run.
"""

from .catalogue import column_schema, render_catalogue
from .declarations import Column, LogicalType, Table, WriteMode
from .errors import WarehouseError, WarehouseLocked, WarehouseMissing
from .frames import arrow_schema
from .reader_copy import duckdb_file, open_reader, reader_copy_path
from .snapshot import Snapshot, SnapshotRecord
from .tables import DATA_TABLES, SNAPSHOTS, TABLES, table_named
from .views import VIEWS
from .warehouse import DEFAULT_LOCK_TIMEOUT, DEFAULT_URL, Warehouse

__all__ = [
    "DATA_TABLES",
    "DEFAULT_LOCK_TIMEOUT",
    "DEFAULT_URL",
    "SNAPSHOTS",
    "TABLES",
    "VIEWS",
    "Column",
    "LogicalType",
    "Snapshot",
    "SnapshotRecord",
    "Table",
    "Warehouse",
    "WarehouseError",
    "WarehouseLocked",
    "WarehouseMissing",
    "WriteMode",
    "arrow_schema",
    "column_schema",
    "duckdb_file",
    "open_reader",
    "reader_copy_path",
    "render_catalogue",
    "table_named",
]
