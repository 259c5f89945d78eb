"""The DuckDB reader copy: refreshed by every commit, readable while runs write, never blocking them."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from capital_pipeline.warehouse import (
    Warehouse,
    WarehouseError,
    WarehouseLocked,
    WarehouseMissing,
    open_reader,
    reader_copy_path,
)

from .factory import frames, market, snapshot

# A notebook kernel in miniature: opens the reader copy, says which snapshot it sees, keeps the connection
# while waiting for a line on stdin, then says what the same connection and a newly opened one see.
NOTEBOOK = """
import sys
from capital_pipeline.warehouse import open_reader
LATEST = "SELECT snapshot_id FROM latest_snapshots"
held = open_reader(sys.argv[1])
print(held.execute(LATEST).fetchone()[0], flush=True)
sys.stdin.readline()
print(held.execute(LATEST).fetchone()[0], open_reader(sys.argv[1]).execute(LATEST).fetchone()[0], flush=True)
"""
LATEST = "SELECT snapshot_id FROM latest_snapshots"
# Another process writing: holds the main file until it reads a line.
WRITER = """
import sys, duckdb
connection = duckdb.connect(sys.argv[1])
print("holding", flush=True)
sys.stdin.readline()
"""


@pytest.fixture
def main_file(tmp_path: Path) -> Path:
    return tmp_path / "capital.duckdb"


@pytest.fixture
def warehouse(main_file: Path) -> Warehouse:
    created = Warehouse(main_file, lock_timeout=60)
    created.ensure_schema()
    created.publish_snapshot(snapshot(1), frames([market("SILVER")], {}))
    return created


@pytest.fixture
def notebook(main_file: Path) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-c", NOTEBOOK, str(main_file)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    yield process
    process.kill()
    process.communicate()


def test_the_reader_copy_sits_next_to_the_file_with_reader_in_its_name(tmp_path: Path) -> None:
    assert reader_copy_path(tmp_path / "capital.duckdb") == tmp_path / "capital.reader.duckdb"
    assert reader_copy_path(f"duckdb:///{tmp_path}/x.db") == tmp_path / "x.reader.db"
    assert reader_copy_path(tmp_path / "warehouse") == tmp_path / "warehouse.reader"


def test_only_duckdb_has_a_reader_copy() -> None:
    with pytest.raises(WarehouseError, match="only a DuckDB warehouse has a reader copy"):
        reader_copy_path("postgresql+psycopg://postgres@127.0.0.1:5432/test")


def test_ensure_schema_writes_a_reader_copy_with_the_views(main_file: Path) -> None:
    Warehouse(main_file).ensure_schema()
    reader = open_reader(main_file)
    assert reader.execute("SELECT COUNT(*) FROM latest_markets").fetchone() == (0,)
    assert reader.execute("SELECT COUNT(*) FROM market_changes").fetchone() == (0,)


def test_a_reader_sees_the_published_snapshot_in_utc(warehouse: Warehouse, main_file: Path) -> None:
    reader = open_reader(f"duckdb:///{main_file}")
    assert reader.execute("SELECT epic FROM latest_markets").fetchall() == [("SILVER",)]
    taken = reader.execute("SELECT snapshot_at FROM latest_snapshots").fetchone()
    assert taken is not None and taken[0] == snapshot(1).snapshot_at
    assert reader.execute("SELECT current_setting('TimeZone')").fetchone() == ("UTC",)


def test_the_reader_cannot_write(warehouse: Warehouse, main_file: Path) -> None:
    reader = open_reader(main_file)
    with pytest.raises(duckdb.Error, match="read-only"):
        reader.execute("DELETE FROM markets")


def test_a_connection_keeps_its_snapshot_and_a_new_one_sees_the_next_in_one_process(
    warehouse: Warehouse, main_file: Path
) -> None:
    held = open_reader(main_file)
    warehouse.publish_snapshot(snapshot(2), frames([market("GOLD")], {}))
    assert held.execute(LATEST).fetchone() == ("s1",)
    assert held.execute("SELECT epic FROM latest_markets").fetchall() == [("SILVER",)]
    assert open_reader(main_file).execute(LATEST).fetchone() == ("s2",)


def test_a_reader_in_another_process_never_blocks_a_publish(
    warehouse: Warehouse, main_file: Path, notebook: subprocess.Popen[str]
) -> None:
    assert notebook.stdout is not None and notebook.stdout.readline() == "s1\n"
    # A lock timeout far below a test's patience: any wait for the reader would fail the publish.
    impatient = Warehouse(main_file, lock_timeout=0.3)
    impatient.publish_snapshot(snapshot(2), frames([market("GOLD")], {}))
    impatient.record_failed_snapshot(snapshot(3), "the API was down")
    output, _ = notebook.communicate("go\n")
    assert output == "s1 s2\n"


def test_a_failed_snapshot_reaches_the_reader_copy(warehouse: Warehouse, main_file: Path) -> None:
    warehouse.record_failed_snapshot(snapshot(2), "the API was down")
    rows = open_reader(main_file).execute("SELECT snapshot_id, status, error FROM snapshots ORDER BY 1")
    assert rows.fetchall() == [("s1", "succeeded", None), ("s2", "failed", "the API was down")]


def test_opening_a_reader_before_anything_was_written_says_what_to_do(main_file: Path) -> None:
    with pytest.raises(WarehouseMissing, match=r"no reader copy at .*capital\.reader\.duckdb yet"):
        open_reader(main_file)


def test_a_copy_that_cannot_be_replaced_says_the_write_committed(
    warehouse: Warehouse, main_file: Path
) -> None:
    reader_copy_path(main_file).unlink()
    reader_copy_path(main_file).mkdir()
    with pytest.raises(WarehouseError, match=r"committed, but its reader copy .* could not be refreshed"):
        warehouse.publish_snapshot(snapshot(2), frames([market("GOLD")], {}))
    assert warehouse.latest_snapshot().snapshot.snapshot_id == "s2"
    assert [path.name for path in main_file.parent.iterdir() if path.name.endswith(".partial")] == []


def test_the_lock_message_points_at_the_reader_copy(warehouse: Warehouse, main_file: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(main_file)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
        with pytest.raises(WarehouseLocked) as raised:
            Warehouse(main_file, lock_timeout=0.2).query("SELECT 1")
    finally:
        holder.communicate("done\n")
    assert f"open the reader copy {reader_copy_path(main_file)} instead" in str(raised.value)
