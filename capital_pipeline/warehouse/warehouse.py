"""The warehouse: create the schema, publish snapshots atomically, and answer the reads the pipeline needs."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TypeVar

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from .ddl import add_column_sql, comment_statements, schema_statements
from .declarations import Table
from .duckdb_backend import DuckDBBackend
from .errors import WarehouseError, WarehouseMissing
from .frames import Frame, parquet_rows, snapshot_batches, snapshot_rows
from .reader_copy import duckdb_file
from .sessions import Backend, Params, Session
from .snapshot import FAILED, SUCCEEDED, Snapshot, SnapshotRecord
from .sqlalchemy_backend import SQLAlchemyBackend
from .tables import DATA_TABLES, SNAPSHOTS, TABLES, table_named
from .views import newest_succeeded_sql, view_statements

__all__ = ["DEFAULT_LOCK_TIMEOUT", "DEFAULT_URL", "Warehouse"]

log = logging.getLogger(__name__)

DEFAULT_URL = "duckdb:///data/capital_pipeline.duckdb"
# Long enough to wait out another run's publish (seconds), short enough to fail a stuck run visibly.
DEFAULT_LOCK_TIMEOUT = 120.0
_SNAPSHOTS_TABLE_EXISTS = (
    "SELECT 1 FROM information_schema.tables WHERE table_catalog = current_database() "
    f"AND table_schema = :schema AND table_name = '{SNAPSHOTS.name}'"
)
T = TypeVar("T")


# Databases known to lack what the schema and its reads use (schemas as namespaces, information_schema
# with current_database()): refused by name before connecting, rather than failing on the first DDL.
UNSUPPORTED_DATABASES = {
    "sqlite": "it has no schemas or information_schema",
    "mysql": "it has no current_database() and its schemas are databases",
    "mariadb": "it has no current_database() and its schemas are databases",
}


def _open_backend(url: str | os.PathLike[str], lock_timeout: float) -> Backend:
    path = duckdb_file(url)
    if path is not None:
        return DuckDBBackend(path, lock_timeout)
    parsed = sa.make_url(str(url))
    reason = UNSUPPORTED_DATABASES.get(parsed.get_backend_name())
    if reason is not None:
        raise WarehouseError(
            f"{parsed.get_backend_name()} cannot hold the warehouse: {reason}; use DuckDB "
            "(duckdb:///path/file.duckdb) or PostgreSQL (postgresql+psycopg://user@host/db)"
        )
    return SQLAlchemyBackend(parsed, lock_timeout)


def _replace_snapshot_rows(
    session: Session, table: Table, snapshot_id: str, rows: pa.Table | Callable[[], Iterator[pa.Table]]
) -> None:
    """Delete the snapshot's rows of ``table``, then insert ``rows``: a table, or batches read in turn."""
    target = session.namespace.qualify(table.name)
    session.execute(f"DELETE FROM {target} WHERE snapshot_id = :snapshot_id", {"snapshot_id": snapshot_id})
    if isinstance(rows, pa.Table):
        session.insert(table, rows)
        return
    session.bound_memory()
    for batch in rows():
        session.insert(table, batch)


class Warehouse:
    """Snapshots of a Capital.com login's reference data in DuckDB (native) or PostgreSQL (SQLAlchemy).

    ``url`` is ``duckdb:///path/file.duckdb``, a bare file path (DuckDB), or a SQLAlchemy URL of a database
    with schemas and ``information_schema`` (PostgreSQL; SQLite and MySQL are refused). Nothing
    connects until a method needs to; every method opens a short-lived connection and closes it.
    """

    def __init__(
        self,
        url: str | os.PathLike[str] = DEFAULT_URL,
        *,
        schema: str = "capital",
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> None:
        self.schema = schema
        self._backend = _open_backend(url, lock_timeout)

    @classmethod
    def from_url(
        cls,
        url: str | os.PathLike[str],
        *,
        schema: str = "capital",
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> Warehouse:
        """The warehouse at ``url`` (see the class docstring for the forms a URL takes)."""
        return cls(url, schema=schema, lock_timeout=lock_timeout)

    def __repr__(self) -> str:
        return f"Warehouse({self._backend.describe()!r}, schema={self.schema!r})"

    def ensure_schema(self) -> None:
        """Create the schema, tables (adding newly declared columns) and views; safe to run any time."""
        with self._backend.session(self.schema, write=True) as session:
            namespace = session.namespace
            if namespace.dialect.ddl_lock_sql:
                session.execute(namespace.dialect.ddl_lock_sql, {"schema": self.schema})
            for statement in schema_statements(TABLES, namespace):
                session.execute(statement)
            existing = set(
                session.rows(
                    "SELECT table_name, column_name FROM information_schema.columns "
                    "WHERE table_catalog = current_database() AND table_schema = :schema",
                    {"schema": self.schema},
                )
            )
            for table in TABLES:
                for column in table.columns:
                    if (table.name, column.name) not in existing:
                        session.execute(add_column_sql(table, column, namespace))
            for statement in comment_statements(TABLES, namespace) + view_statements(namespace):
                session.execute(statement)

    def publish_snapshot(self, snapshot: Snapshot, frames: Mapping[str, Frame]) -> dict[str, int]:
        """Write every table of ``snapshot`` and its ``snapshots`` row in one transaction; return row counts.

        ``frames`` maps each data table's name to its rows (without ``snapshot_id``/``snapshot_at``, which
        are stamped here): a pandas DataFrame, a ``pyarrow.Table`` or the ``Path`` of a Parquet file holding
        such a table, mixed freely. Columns are matched by name and cast to the declared types; in Arrow,
        JSON columns are strings holding JSON text, stored verbatim, and timestamps are timezone-aware.
        Frames are checked first, so a bad frame writes nothing; a Parquet file is read, checked and written
        batch by batch (never held whole), and a bad batch or a key repeated across batches rolls the
        transaction back. Re-publishing a snapshot replaces its rows; any failure rolls the whole snapshot
        back and leaves earlier snapshots intact.
        """
        declared = {table.name for table in DATA_TABLES}
        if set(frames) != declared:
            raise WarehouseError(
                f"publish needs one frame per table: missing {sorted(declared - set(frames))}, "
                f"unknown {sorted(set(frames) - declared)}"
            )
        dialect = self._backend.dialect
        stamp = (snapshot.snapshot_id, snapshot.snapshot_at, dialect)
        rows: dict[Table, pa.Table | Callable[[], Iterator[pa.Table]]] = {}
        counts: dict[str, int] = {}
        for table in DATA_TABLES:
            frame = frames[table.name]
            if isinstance(frame, Path):
                counts[table.name] = parquet_rows(frame)
                rows[table] = functools.partial(snapshot_batches, table, frame, *stamp)
            else:
                converted = snapshot_rows(table, frame, *stamp)
                counts[table.name], rows[table] = converted.num_rows, converted
        rows[SNAPSHOTS] = snapshot_rows(SNAPSHOTS, snapshot.row(SUCCEEDED, counts, None), *stamp)
        with self._backend.session(self.schema, write=True) as session:
            for table, table_rows in rows.items():
                _replace_snapshot_rows(session, table, snapshot.snapshot_id, table_rows)
        log.info("published snapshot %s to %s: %s", snapshot.snapshot_id, self._backend.describe(), counts)
        return counts

    def record_failed_snapshot(self, snapshot: Snapshot, error: str) -> bool:
        """Record that ``snapshot`` failed with ``error`` (a ``snapshots`` row only; no table rows).

        A snapshot that already succeeded keeps its row (a failed re-run of a schedule tick must not hide the
        data its first run published): then nothing is written and the answer is False.
        """
        stamp = (snapshot.snapshot_id, snapshot.snapshot_at, self._backend.dialect)
        rows = snapshot_rows(SNAPSHOTS, snapshot.row(FAILED, None, error), *stamp)
        with self._backend.session(self.schema, write=True) as session:
            published = session.rows(
                f"SELECT COUNT(*) FROM {session.namespace.qualify(SNAPSHOTS.name)} "
                f"WHERE snapshot_id = :snapshot_id AND status = '{SUCCEEDED}'",
                {"snapshot_id": snapshot.snapshot_id},
            )
            if published[0][0]:
                return False
            _replace_snapshot_rows(session, SNAPSHOTS, snapshot.snapshot_id, rows)
        log.info("recorded failed snapshot %s in %s", snapshot.snapshot_id, self._backend.describe())
        return True

    def _read_published(self, read: Callable[[Session], T]) -> T | None:
        # Reads asked before ensure_schema() ever ran (no file, no schema) answer "nothing yet".
        try:
            with self._backend.session(self.schema, write=False) as session:
                created = session.rows(_SNAPSHOTS_TABLE_EXISTS, {"schema": self.schema})
                return read(session) if created else None
        except WarehouseMissing:
            return None

    def is_initialized(self) -> bool:
        """Whether ``ensure_schema()`` ever ran here (the file and the schema's tables exist)."""
        return self._read_published(lambda _session: True) is not None

    def previous_counts(self, table: str, before_snapshot_id: str | None = None) -> int | None:
        """Rows of ``table`` in the newest succeeded snapshot other than ``before_snapshot_id``, or None
        (also before the first publish, when there is no warehouse yet)."""
        declared = table_named(table)

        def count(session: Session) -> int | None:
            ns = session.namespace
            previous = newest_succeeded_sql(ns, other_than=before_snapshot_id is not None)
            found = session.rows(
                f"SELECT COUNT(t.snapshot_id) FROM ({previous}) p "
                f"LEFT JOIN {ns.qualify(declared.name)} t ON t.snapshot_id = p.snapshot_id "
                "GROUP BY p.snapshot_id",
                {"other_than": before_snapshot_id} if before_snapshot_id is not None else None,
            )
            return int(found[0][0]) if found else None

        return self._read_published(count)

    def latest_snapshot(self) -> SnapshotRecord | None:
        """The newest snapshot with status succeeded, or None before the first one."""
        names = [column.name for column in SNAPSHOTS.columns]

        def newest(session: Session) -> SnapshotRecord | None:
            found = session.rows(
                f"SELECT {', '.join(names)} FROM {session.namespace.qualify('latest_snapshots')}"
            )
            return SnapshotRecord.from_row(dict(zip(names, found[0], strict=True))) if found else None

        return self._read_published(newest)

    def table_counts(self, snapshot_id: str) -> dict[str, int]:
        """Rows per data table for ``snapshot_id`` (zeros for a snapshot that wrote nothing)."""
        with self._backend.session(self.schema, write=False) as session:
            ns = session.namespace
            counts = " UNION ALL ".join(
                f"SELECT '{t.name}', COUNT(*) FROM {ns.qualify(t.name)} WHERE snapshot_id = :snapshot_id"
                for t in DATA_TABLES
            )
            return {name: int(count) for name, count in session.rows(counts, {"snapshot_id": snapshot_id})}

    def query(self, sql: str, params: Params | None = None) -> pd.DataFrame:
        """Run ``sql`` (``:name`` parameters) on a short-lived read-only connection; JSON returns as text."""
        with self._backend.session(self.schema, write=False) as session:
            return session.frame(sql, params)
