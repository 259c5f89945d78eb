"""DuckDB's one-writer rule: waiting for other processes, clear errors, short connections, threads."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from capital_pipeline.warehouse import Warehouse, WarehouseError, WarehouseLocked

from .factory import frames, market, snapshot

REPOSITORY = Path(__file__).parents[2]
# Holds a DuckDB connection (read-only or read-write) for a while, saying when it starts and stops.
HOLDER = """
import sys, time, duckdb
connection = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "read")
print("holding", flush=True)
time.sleep(float(sys.argv[3]))
print("releasing", flush=True)
connection.close()
"""


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    created = Warehouse(tmp_path / "capital.duckdb", lock_timeout=60)
    created.ensure_schema()
    created.publish_snapshot(snapshot(1), frames([market("SILVER")], {}))
    return created


@pytest.fixture
def hold(warehouse: Warehouse) -> Iterator:  # type: ignore[type-arg]
    """Start a process holding the warehouse file; every holder is killed at the end."""
    holders: list[subprocess.Popen[str]] = []

    def start(mode: str, seconds: float) -> subprocess.Popen[str]:
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLDER, warehouse._backend.describe(), mode, str(seconds)],
            stdout=subprocess.PIPE,
            text=True,
        )
        holders.append(holder)
        assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
        return holder

    yield start
    for holder in holders:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()


def with_timeout(warehouse: Warehouse, seconds: float) -> Warehouse:
    return Warehouse(warehouse._backend.describe(), lock_timeout=seconds)


def test_a_writer_waits_until_another_process_releases_the_file(warehouse: Warehouse, hold) -> None:  # type: ignore[no-untyped-def]
    holder = hold("write", 1.0)
    warehouse.publish_snapshot(snapshot(2), frames([market("GOLD")], {}))
    # Publishing could only start after the holder closed, which it does right after saying so.
    assert holder.communicate()[0] == "releasing\n"
    assert warehouse.latest_snapshot().snapshot.snapshot_id == "s2"


def test_a_lock_held_past_the_timeout_names_the_file_and_the_holder(warehouse: Warehouse, hold) -> None:  # type: ignore[no-untyped-def]
    holder = hold("write", 60)
    with pytest.raises(WarehouseLocked) as raised:
        with_timeout(warehouse, 0.3).publish_snapshot(snapshot(2), frames([market("GOLD")], {}))
    message = str(raised.value)
    assert warehouse._backend.describe() in message
    assert f"locked by process {holder.pid}" in message
    assert "raise lock_timeout" in message


def test_a_reader_in_another_process_blocks_writers_but_not_readers(warehouse: Warehouse, hold) -> None:  # type: ignore[no-untyped-def]
    hold("read", 60)
    assert list(warehouse.query("SELECT epic FROM latest_markets")["epic"]) == ["SILVER"]
    with pytest.raises(WarehouseLocked):
        with_timeout(warehouse, 0.3).record_failed_snapshot(snapshot(2), "blocked")


def test_a_writer_in_another_process_blocks_readers(warehouse: Warehouse, hold) -> None:  # type: ignore[no-untyped-def]
    hold("write", 60)
    with pytest.raises(WarehouseLocked):
        with_timeout(warehouse, 0.3).query("SELECT 1")


# A reader process with two connections to the file; it closes the second, then reads through the first.
TWO_READERS = """
import sys, duckdb
def attached():
    connection = duckdb.connect()
    connection.execute(f"ATTACH '{sys.argv[1]}' AS warehouse (READ_ONLY)")
    return connection
first = attached()
attached().close()
print("holding", flush=True)
sys.stdin.readline()
"""


def test_closing_a_second_connection_drops_the_lock_of_the_first_in_that_process(
    warehouse: Warehouse,
) -> None:
    # Why readers get a copy replaced by rename (reader_copy.py), not the file itself: their lock is fragile.
    reader = subprocess.Popen(
        [sys.executable, "-c", TWO_READERS, warehouse._backend.describe()],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout is not None and reader.stdout.readline() == "holding\n"
        with_timeout(warehouse, 0.3).publish_snapshot(snapshot(2), frames([market("GOLD")], {}))
    finally:
        reader.communicate("done\n")


def test_threads_of_one_process_can_read_and_write_at_once(warehouse: Warehouse) -> None:
    failures: list[BaseException] = []

    def work(day: int) -> None:
        try:
            warehouse.publish_snapshot(snapshot(day), frames([market(f"E{day}")], {}))
            warehouse.query("SELECT COUNT(*) FROM markets")
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=work, args=(day,)) for day in range(2, 8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(warehouse.query("SELECT * FROM snapshots")) == 7


def test_reading_before_anything_was_written_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match=r"no warehouse at .*missing\.duckdb yet: run ensure_schema"):
        Warehouse(tmp_path / "missing.duckdb").query("SELECT 1")


def test_a_path_through_a_file_is_refused_naming_the_file_and_nothing_is_created(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("a file, not a folder")

    with pytest.raises(WarehouseError, match=r"notes\.md is a file, not a folder"):
        Warehouse(tmp_path / "notes.md" / "x.duckdb").ensure_schema()

    assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.md"]


def test_the_default_url_is_a_file_under_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Warehouse().ensure_schema()
    assert (tmp_path / "data" / "capital_pipeline.duckdb").is_file()
    monkeypatch.chdir(REPOSITORY)
    assert Warehouse.from_url(f"duckdb:///{tmp_path}/data/capital_pipeline.duckdb").latest_snapshot() is None


def test_an_in_memory_duckdb_is_refused() -> None:
    with pytest.raises(WarehouseError, match="DuckDB needs a file"):
        Warehouse("duckdb:///:memory:")
