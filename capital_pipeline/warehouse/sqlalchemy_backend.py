"""Any database SQLAlchemy 2.1 Core reaches; PostgreSQL (psycopg 3) loads with binary COPY, tested for real.

Connections are not pooled: each unit of work opens one and closes it, as with DuckDB, so nothing lingers in
forked orchestrator processes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd
import pgpq
import psycopg
import pyarrow as pa
import sqlalchemy as sa
from psycopg.types.string import TextLoader
from sqlalchemy.pool import NullPool

from .declarations import Table
from .dialects import Namespace, sqlalchemy_dialect
from .errors import WarehouseError, WarehouseLocked
from .sessions import Params

__all__ = ["SQLAlchemyBackend", "SQLAlchemySession", "copy_rows", "insert_rows"]

# Rows per encoded chunk handed to COPY: bounded memory whatever the frame's size, and small enough
# (about 9 MB of markets rows) to stay cheap to allocate: pgpq encoded 1M markets rows in 1.0 s of CPU in
# chunks of 8,192 against 1.7 s in chunks of 65,536 (measured).
_COPY_BATCH_ROWS = 8_192
_LOCK_NOT_AVAILABLE = "55P03"


def copy_rows(connection: sa.Connection, table: Table, rows: pa.Table, namespace: Namespace) -> None:
    """Binary COPY of ``rows`` into ``table``, encoded from Arrow in bulk by pgpq (PostgreSQL, psycopg 3)."""
    driver_connection = connection.connection.driver_connection
    if not isinstance(driver_connection, psycopg.Connection):
        raise WarehouseError(f"COPY needs a psycopg 3 connection, got {type(driver_connection).__name__}")
    columns = ", ".join(namespace.dialect.quote(name) for name in rows.column_names)
    encoder = pgpq.ArrowToPostgresBinaryEncoder(rows.schema)
    statement = f"COPY {namespace.qualify(table.name)} ({columns}) FROM STDIN (FORMAT binary)"
    with driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        copy.write(encoder.write_header())
        for batch in rows.to_batches(max_chunksize=_COPY_BATCH_ROWS):
            # psycopg sends large buffers in 128 kB slices; slicing a memoryview copies nothing.
            copy.write(memoryview(encoder.write_batch(batch)))
        copy.write(encoder.finish())


def insert_rows(connection: sa.Connection, table: Table, rows: pa.Table, namespace: Namespace) -> None:
    """Multi-row INSERTs (SQLAlchemy's insertmanyvalues batches), for databases without COPY."""
    target = sa.table(table.name, *(sa.column(name) for name in rows.column_names), schema=namespace.schema)
    if rows.num_rows:
        connection.execute(sa.insert(target), rows.to_pylist())


@contextmanager
def _translated(what: str) -> Iterator[None]:
    try:
        yield
    except (sa.exc.SQLAlchemyError, psycopg.Error) as error:
        original = getattr(error, "orig", error)
        if getattr(original, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
            raise WarehouseLocked(f"{what}: lock_timeout reached waiting for another transaction") from error
        raise WarehouseError(f"{what}: {error}") from error


class SQLAlchemySession:
    """One connection; statements use SQLAlchemy ``text()`` with ``:name`` parameters."""

    def __init__(self, connection: sa.Connection, namespace: Namespace, use_copy: bool) -> None:
        self._connection = connection
        self._use_copy = use_copy
        self.namespace = namespace

    def execute(self, sql: str, params: Params | None = None) -> None:
        """Run a statement that returns nothing."""
        with _translated(self.namespace.dialect.name):
            self._connection.execute(sa.text(sql), dict(params or {}))

    def rows(self, sql: str, params: Params | None = None) -> list[tuple[Any, ...]]:
        """Run a query and return its rows."""
        with _translated(self.namespace.dialect.name):
            return [tuple(row) for row in self._connection.execute(sa.text(sql), dict(params or {}))]

    def frame(self, sql: str, params: Params | None = None) -> pd.DataFrame:
        """Run a query and return its result as a DataFrame."""
        with _translated(self.namespace.dialect.name):
            result = self._connection.execute(sa.text(sql), dict(params or {}))
            return pd.DataFrame.from_records(result.fetchall(), columns=list(result.keys()))

    def bound_memory(self) -> None:
        """Nothing to do: the database server keeps its own memory."""

    def insert(self, table: Table, rows: pa.Table) -> None:
        """COPY on PostgreSQL, batched multi-row INSERTs elsewhere."""
        with _translated(table.name):
            if self._use_copy:
                copy_rows(self._connection, table, rows, self.namespace)
            else:
                insert_rows(self._connection, table, rows, self.namespace)


def _load_json_as_text(dbapi_connection: Any, _record: Any) -> None:
    # JSON columns come back as JSON text, as they do from DuckDB, so callers handle one shape.
    for type_name in ("json", "jsonb"):
        dbapi_connection.adapters.register_loader(type_name, TextLoader)


class SQLAlchemyBackend:
    """A database behind a SQLAlchemy URL."""

    def __init__(self, url: sa.URL, lock_timeout: float) -> None:
        if url.drivername == "postgresql":
            # SQLAlchemy's default PostgreSQL driver is psycopg2; this project ships psycopg 3.
            url = url.set(drivername="postgresql+psycopg")
        self.url = url
        self.lock_timeout = lock_timeout
        self._is_postgresql = url.get_backend_name() == "postgresql"
        self._is_psycopg = self._is_postgresql and url.get_driver_name() == "psycopg"
        connect_args = {"options": "-c TimeZone=UTC"} if self._is_psycopg else {}
        self._engine = sa.create_engine(
            url, poolclass=NullPool, hide_parameters=True, connect_args=connect_args
        )
        if self._is_psycopg:
            sa.event.listen(self._engine, "connect", _load_json_as_text)
        self.dialect = sqlalchemy_dialect(self._engine.dialect)

    def describe(self) -> str:
        """The URL without its password."""
        return self.url.render_as_string(hide_password=True)

    def _configure(self, connection: sa.Connection, schema: str, write: bool) -> None:
        if not self._is_postgresql:
            return
        if write:
            # Waiting on another transaction's locks ends after lock_timeout (SQLSTATE 55P03).
            setting, value = "lock_timeout", f"{int(self.lock_timeout * 1000)}ms"
        else:
            # Unqualified names in a reader's SQL mean the warehouse schema (then public).
            setting, value = "search_path", self.dialect.quote(schema) + ", public"
        connection.execute(
            sa.text("SELECT set_config(:setting, :value, :local)"),
            {"setting": setting, "value": value, "local": write},
        )

    @contextmanager
    def session(self, schema: str, *, write: bool) -> Iterator[SQLAlchemySession]:
        """A fresh connection; with ``write``, one transaction, giving up on locks after lock_timeout."""
        with _translated(self.describe()), self._engine.connect() as connection:
            session = SQLAlchemySession(connection, Namespace(self.dialect, schema), self._is_psycopg)
            if not write:
                self._configure(connection, schema, write)
                yield session
                return
            with connection.begin():
                self._configure(connection, schema, write)
                yield session
