"""DuckDB through its native API: short connections, lock retry with backoff, Arrow bulk inserts.

DuckDB allows one writing process per file, and (measured with duckdb 2.0) a read-only connection in one
process also blocks a writer in another, while read-only connections coexist. Inside one process DuckDB
refuses a read-only and a read-write connection to the same file at once, so this module serializes its own
connections per file. Every commit refreshes the reader copy (``reader_copy.py``) that people read instead.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from .declarations import Table
from .dialects import DUCKDB, Namespace
from .errors import WarehouseError, WarehouseLocked, WarehouseMissing
from .reader_copy import reader_copy_path, refresh_reader_copy
from .sessions import Params

__all__ = ["DuckDBBackend", "DuckDBSession"]

_LOCK_CONFLICT = "Could not set lock on file"
# SQLAlchemy's own pattern for ``:name`` binds, so both backends read parameters alike.
_NAMED_PARAM = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")
_SCHEMA_EXISTS = (
    "SELECT 1 FROM information_schema.schemata "
    "WHERE catalog_name = current_database() AND schema_name = :schema"
)
# DuckDB's buffer manager may take 80% of the machine's memory for the rows a publish inserts. When rows are
# streamed in (a Parquet file read batch by batch) the session keeps it to this instead, spilling to the
# file's temp directory: at x30 (95,000 markets, 213 MiB in Arrow) a publish's peak was +730 MiB without a
# limit, +450 with 256 MB, +340 with 128 MB. Not for tables already in memory: any limit made a 1M-row
# Arrow publish take 11.5 s instead of 6.4-7.9 s (measured with duckdb 2.0).
STREAMING_MEMORY_LIMIT = "128MB"
_FILE_LOCKS: dict[Path, threading.Lock] = {}
_FILE_LOCKS_GUARD = threading.Lock()


def _file_lock(path: Path) -> threading.Lock:
    with _FILE_LOCKS_GUARD:
        return _FILE_LOCKS.setdefault(path, threading.Lock())


def _locked_error(path: Path, timeout: float, holder: str) -> WarehouseLocked:
    pid = re.search(r"PID (\d+)", holder)
    held_by = f"process {pid.group(1)}" if pid else "another connection"
    return WarehouseLocked(
        f"DuckDB file {path} stayed locked by {held_by} for {timeout:g} s. DuckDB allows one writing process "
        "per file and open readers block writers: close other connections to it (notebooks, the duckdb CLI, "
        f"other runs) or raise lock_timeout. To read while runs write, open the reader copy "
        f"{reader_copy_path(path)} instead (capital_pipeline.warehouse.open_reader)."
    )


def _make_folder(path: Path) -> None:
    """The warehouse file's folder, created as needed; a path that cannot hold one is a WarehouseError."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as error:
        raise WarehouseError(
            f"cannot create the folder of the DuckDB file {path}: {error.filename} is a file, not a folder"
        ) from None
    except OSError as error:  # no permission, a read-only file system, ...
        reason = error.strerror or type(error).__name__
        raise WarehouseError(
            f"cannot create the folder of the DuckDB file {path}: {reason} ({error.filename})"
        ) from None


def _connect(path: Path, read_only: bool, deadline: float, timeout: float) -> duckdb.DuckDBPyConnection:
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as error:
            if _LOCK_CONFLICT not in str(error):
                raise WarehouseError(f"cannot open DuckDB file {path}: {error}") from None
            if time.monotonic() + delay > deadline:
                raise _locked_error(path, timeout, str(error)) from None
        # Jitter keeps several waiting writers from retrying in lockstep.
        time.sleep(delay * random.uniform(0.5, 1.5))
        delay = min(delay * 2, 2.0)


class DuckDBSession:
    """A connection to the warehouse file; statements and inserts name tables by catalog and schema."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, namespace: Namespace) -> None:
        self._connection = connection
        self.namespace = namespace

    def _run(self, sql: str, params: Params | None) -> duckdb.DuckDBPyConnection:
        try:
            if params:
                return self._connection.execute(_NAMED_PARAM.sub(r"$\1", sql), dict(params))
            return self._connection.execute(sql)
        except duckdb.Error as error:
            raise WarehouseError(f"DuckDB: {error}") from error

    def execute(self, sql: str, params: Params | None = None) -> None:
        """Run a statement that returns nothing."""
        self._run(sql, params)

    def rows(self, sql: str, params: Params | None = None) -> list[tuple[Any, ...]]:
        """Run a query and return its rows."""
        return self._run(sql, params).fetchall()

    def frame(self, sql: str, params: Params | None = None) -> pd.DataFrame:
        """Run a query and return its result as a DataFrame."""
        return self._run(sql, params).df()

    def bound_memory(self) -> None:
        """Cap DuckDB's buffers for the rest of this connection (``STREAMING_MEMORY_LIMIT``)."""
        self._run(f"SET memory_limit = '{STREAMING_MEMORY_LIMIT}'", None)

    def insert(self, table: Table, rows: pa.Table) -> None:
        """One ``INSERT ... BY NAME`` reading the Arrow table in place (no per-row work).

        Through a relation, not ``register``: a registered table stays referenced until the transaction
        ends even after ``unregister`` (measured with duckdb 2.0), so a publish inserting batch after batch
        held every batch (+264 MiB of Arrow at x30) until its commit.
        """
        target = self.namespace.qualify(table.name)
        try:
            self._connection.from_arrow(rows).query(
                "incoming_rows", f"INSERT INTO {target} BY NAME SELECT * FROM incoming_rows"
            )
        except duckdb.Error as error:
            raise WarehouseError(f"{table.name}: DuckDB: {error}") from error


class DuckDBBackend:
    """A DuckDB file, opened for each unit of work and closed right after."""

    dialect = DUCKDB

    def __init__(self, path: Path, lock_timeout: float) -> None:
        self.path = path.absolute()
        self.lock_timeout = lock_timeout

    def describe(self) -> str:
        """The file's path."""
        return str(self.path)

    @contextmanager
    def session(self, schema: str, *, write: bool) -> Iterator[DuckDBSession]:
        """A connection (read-only unless ``write``) that waits up to ``lock_timeout`` for the file."""
        if not write and not self.path.exists():
            raise WarehouseMissing(f"no warehouse at {self.path} yet: run ensure_schema() or publish first")
        deadline = time.monotonic() + self.lock_timeout
        in_process = _file_lock(self.path)
        if not in_process.acquire(timeout=self.lock_timeout):
            raise _locked_error(self.path, self.lock_timeout, "this process")
        try:
            if write:
                _make_folder(self.path)
            connection = _connect(self.path, not write, deadline, self.lock_timeout)
            try:
                yield from self._open_session(connection, schema, write)
                if write:
                    refresh_reader_copy(connection, self.path)
            finally:
                connection.close()
        finally:
            in_process.release()

    @staticmethod
    def _open_session(
        connection: duckdb.DuckDBPyConnection, schema: str, write: bool
    ) -> Iterator[DuckDBSession]:
        # Timestamps come back in UTC whatever the machine's zone; ICU is loaded only after connecting.
        connection.execute("SET TimeZone = 'UTC'")
        catalog = connection.execute("SELECT current_database()").fetchone()
        session = DuckDBSession(connection, Namespace(DUCKDB, schema, str(catalog[0]) if catalog else None))
        if not write:
            # Unqualified names in a reader's SQL mean the warehouse schema, once it exists.
            if session.rows(_SCHEMA_EXISTS, {"schema": schema}):
                connection.execute(f"USE {session.namespace.qualify()}")
            yield session
            return
        connection.begin()
        try:
            yield session
        except BaseException:
            connection.rollback()
            raise
        try:
            connection.commit()
        except duckdb.Error as error:
            raise WarehouseError(f"DuckDB commit failed, nothing was written: {error}") from error
