"""The DuckDB reader copy: what notebooks, the duckdb CLI and BI tools open, so that they never block a run.

DuckDB 2.0 lets a read-only connection in one process block every writer in another (measured), so a
notebook holding the warehouse file would make the next scheduled run wait out its lock timeout and fail.
Instead, every commit to the warehouse file ends, while the writer still holds the file, with a checkpoint
and a copy of the file next to it (``capital.duckdb`` -> ``capital.reader.duckdb``), written to a temporary
file, synced, then renamed over the previous copy. A reader holding the old copy keeps reading that file,
a whole consistent snapshot, and blocks nobody; opening the copy again shows the newest. PostgreSQL needs
none of this: its readers see committed data and never block a writer (MVCC).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import sqlalchemy as sa

from .errors import WarehouseError, WarehouseMissing

__all__ = ["READER_CATALOG", "duckdb_file", "open_reader", "reader_copy_path", "refresh_reader_copy"]

# The name the reader copy is attached under: `warehouse.capital.markets`, or `markets` after the USE.
READER_CATALOG = "warehouse"


def duckdb_file(url: str | os.PathLike[str]) -> Path | None:
    """The DuckDB file a warehouse URL (or bare path) names; None for any other database."""
    if isinstance(url, os.PathLike) or "://" not in url:
        return Path(url)
    try:
        parsed = sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        raise WarehouseError("cannot parse the warehouse URL (not shown: it may hold a password)") from None
    if parsed.get_backend_name() != "duckdb":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise WarehouseError("DuckDB needs a file (duckdb:///path/x.duckdb): every connection is short-lived")
    return Path(parsed.database)


def reader_copy_path(database: str | os.PathLike[str]) -> Path:
    """Where the reader copy of a DuckDB warehouse lives: ``x.duckdb`` -> ``x.reader.duckdb``, same folder."""
    main = duckdb_file(database)
    if main is None:
        raise WarehouseError(
            "only a DuckDB warehouse has a reader copy; read other databases directly (their readers never "
            "block a writer)"
        )
    main = main.absolute()
    return main.with_name(f"{main.stem}.reader{main.suffix}" if main.suffix else f"{main.name}.reader")


def refresh_reader_copy(connection: duckdb.DuckDBPyConnection, main: Path) -> None:
    """Checkpoint ``main`` through ``connection`` (its writer, after a commit) and replace the reader copy.

    The copy is taken while the writer holds the file, so it is one committed state; it appears under its
    name only once complete and synced, so a crash leaves the previous copy (or none) and never a torn one.
    """
    # The checkpoint moves every committed change from the write-ahead log into the file itself.
    connection.execute("CHECKPOINT")
    target = reader_copy_path(main)
    # One name for the partial file: only the holder of the writer's lock ever writes it.
    partial = target.with_name(f".{target.name}.partial")
    try:
        shutil.copyfile(main, partial)
        shutil.copymode(main, partial)
        with open(partial, "rb") as written:
            os.fsync(written.fileno())
        os.replace(partial, target)
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise WarehouseError(
            f"the write to {main} committed, but its reader copy {target} could not be refreshed: {error}"
        ) from None


def _quote_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _quote_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def open_reader(database: str | os.PathLike[str], *, schema: str = "capital") -> duckdb.DuckDBPyConnection:
    """A read-only connection to the reader copy of the DuckDB warehouse ``database`` (URL or path).

    Unqualified names mean the warehouse schema (``SELECT * FROM latest_markets``), timestamps come back in
    UTC. It shows the snapshots committed when it was opened and blocks no run however long it stays open;
    open a new one to see later snapshots.
    """
    path = reader_copy_path(database)
    if not path.is_file():
        raise WarehouseMissing(
            f"no reader copy at {path} yet: the warehouse's first publish (or ensure_schema) writes it"
        )
    # An in-memory database attaching the file: a second duckdb.connect(path) in one process would reuse the
    # first connection's database, so it would keep showing the copy that was current back then.
    connection = duckdb.connect()
    try:
        connection.execute("SET TimeZone = 'UTC'")
        connection.execute(f"ATTACH {_quote_text(str(path))} AS {READER_CATALOG} (READ_ONLY)")
        connection.execute(f"USE {READER_CATALOG}.{_quote_name(schema)}")
    except duckdb.Error as error:
        connection.close()
        raise WarehouseError(f"cannot open the reader copy {path}: {error}") from None
    return connection
