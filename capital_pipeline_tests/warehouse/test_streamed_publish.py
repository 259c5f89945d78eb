"""Publishing from Parquet files read batch by batch: the same rows as in memory, and nothing on failure."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from capital_pipeline.warehouse import DATA_TABLES, Warehouse, WarehouseError
from capital_pipeline.warehouse import frames as frames_module

from .factory import as_arrow, as_arrow_frames, frames, market, snapshot

EPICS = [f"E{index:03d}" for index in range(10)]


def _published() -> dict[str, pd.DataFrame]:
    return frames([market(epic) for epic in EPICS], {"1": ("List", EPICS[:3])})


def _staged(directory: Path, published: dict[str, pd.DataFrame], row_group_size: int = 3) -> dict[str, Path]:
    paths = {}
    for name, table in as_arrow_frames(published).items():
        paths[name] = directory / f"{name}.parquet"
        pq.write_table(table, paths[name], row_group_size=row_group_size)
    return paths


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 4 rows, so ten markets arrive in three batches."""
    monkeypatch.setattr(frames_module, "BATCH_ROWS", 4)


def _stored(warehouse: Warehouse, snapshot_id: str) -> dict[str, pd.DataFrame]:
    stored = {}
    for table in DATA_TABLES:
        columns = ", ".join(column.name for column in table.frame_columns)
        stored[table.name] = warehouse.query(
            f"SELECT {columns} FROM {table.name} WHERE snapshot_id = :s ORDER BY {', '.join(table.keys)}",
            {"s": snapshot_id},
        )
    return stored


def test_parquet_files_publish_the_same_rows_as_tables_in_memory(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    warehouse.publish_snapshot(snapshot(1), _published())
    counts = warehouse.publish_snapshot(snapshot(2), _staged(tmp_path, _published()))
    assert counts["markets"] == len(EPICS)
    mixed = {**as_arrow_frames(_published()), "markets": _staged(tmp_path, _published())["markets"]}
    warehouse.publish_snapshot(snapshot(3), mixed)
    expected = _stored(warehouse, "s1")
    for snapshot_id in ("s2", "s3"):
        for name, frame in _stored(warehouse, snapshot_id).items():
            pd.testing.assert_frame_equal(frame, expected[name], obj=name)
    assert warehouse.table_counts("s2") == warehouse.table_counts("s1")


def test_a_bad_batch_after_good_ones_writes_nothing(warehouse: Warehouse, tmp_path: Path) -> None:
    warehouse.publish_snapshot(snapshot(1), _published())
    staged = _staged(tmp_path, _published())
    markets = pq.read_table(staged["markets"])
    epics = markets.column("epic").to_pylist()
    epics[-1] = None  # in the last batch: the first two are already inserted when it is read
    broken = markets.set_column(markets.column_names.index("epic"), "epic", pa.array(epics, pa.string()))
    pq.write_table(broken, staged["markets"], row_group_size=3)
    with pytest.raises(WarehouseError, match=r"markets.epic: 1 null value\(s\) in a key column"):
        warehouse.publish_snapshot(snapshot(2), staged)
    assert set(warehouse.table_counts("s2").values()) == {0}
    assert warehouse.latest_snapshot().snapshot.snapshot_id == "s1"


def test_a_key_repeated_across_batches_writes_nothing(warehouse: Warehouse, tmp_path: Path) -> None:
    published = _published()
    published["markets"] = pd.concat([published["markets"], published["markets"].iloc[:1]], ignore_index=True)
    # DuckDB (no primary key) learns it after the last batch; PostgreSQL's key refuses the row on arrival.
    with pytest.raises(WarehouseError, match=r"^markets: (2 rows share a key \(epic\)|duplicate key value)"):
        warehouse.publish_snapshot(snapshot(1), _staged(tmp_path, published))
    assert set(warehouse.table_counts("s1").values()) == {0}


def test_a_file_missing_a_column_or_unreadable_fails_before_writing(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    staged = _staged(tmp_path, _published())
    pq.write_table(as_arrow("markets", _published()["markets"]).drop_columns(["raw"]), staged["markets"])
    with pytest.raises(
        WarehouseError, match=r"markets: frame does not match the declaration: missing columns \['raw'\]"
    ):
        warehouse.publish_snapshot(snapshot(1), staged)
    staged["markets"].write_bytes(b"not parquet")
    with pytest.raises(WarehouseError, match="cannot read Parquet file"):
        warehouse.publish_snapshot(snapshot(1), staged)
    assert warehouse.latest_snapshot() is None
