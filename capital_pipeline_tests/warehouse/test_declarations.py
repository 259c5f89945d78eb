"""Declarations reject shapes the rest of the warehouse could not derive from."""

from __future__ import annotations

import pytest

from capital_pipeline.warehouse import Column, LogicalType, Table
from capital_pipeline.warehouse.declarations import SNAPSHOT_AT, SNAPSHOT_ID

EPIC = Column("epic", LogicalType.TEXT, "Epic.", key=True, nullable=False)


def test_a_key_column_must_be_declared_not_nullable() -> None:
    with pytest.raises(ValueError, match="key column 'epic' must be declared nullable=False"):
        Column("epic", LogicalType.TEXT, "Epic.", key=True)


def test_a_table_starts_with_the_snapshot_columns() -> None:
    with pytest.raises(ValueError, match="must start with snapshot_id, snapshot_at"):
        Table("markets", "one row per epic", "Markets.", (EPIC, SNAPSHOT_ID, SNAPSHOT_AT))


def test_a_table_declares_each_column_once() -> None:
    with pytest.raises(ValueError, match="declares a column twice"):
        Table("markets", "one row per epic", "Markets.", (SNAPSHOT_ID, SNAPSHOT_AT, EPIC, EPIC))


def test_keys_are_snapshot_id_then_the_tables_own_and_frames_skip_stamped_columns() -> None:
    position = Column("position", LogicalType.INTEGER, "Place.", nullable=False)
    table = Table("navigation_markets", "node x epic", "Members.", (SNAPSHOT_ID, SNAPSHOT_AT, EPIC, position))
    assert table.keys == ("snapshot_id", "epic")
    assert [column.name for column in table.frame_columns] == ["epic", "position"]
