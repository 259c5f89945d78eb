"""The shape of a table declaration: every column declared once, everything else derived from it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = ["SNAPSHOT_AT", "SNAPSHOT_ID", "Column", "LogicalType", "Table", "WriteMode"]


class LogicalType(Enum):
    """A column's type independent of the database; each dialect maps it to its own type name."""

    TEXT = "text"
    INTEGER = "integer"
    FLOAT = "float"
    BOOLEAN = "boolean"
    TIMESTAMP = "timestamp (UTC)"
    JSON = "json"


class WriteMode(Enum):
    """How publishing a snapshot changes a table; the value is the sentence the catalogue prints."""

    REPLACE_SNAPSHOT = "replace snapshot: delete the snapshot's rows, then one bulk insert, one transaction"


@dataclass(frozen=True)
class Column:
    """One column: its name, logical type, meaning, and whether it is part of the table's key."""

    name: str
    type: LogicalType
    description: str
    key: bool = False
    nullable: bool = True

    def __post_init__(self) -> None:
        if self.key and self.nullable:
            raise ValueError(f"key column {self.name!r} must be declared nullable=False")


SNAPSHOT_ID = Column(
    "snapshot_id", LogicalType.TEXT, "The snapshot this row belongs to.", key=True, nullable=False
)
SNAPSHOT_AT = Column(
    "snapshot_at", LogicalType.TIMESTAMP, "When the snapshot was taken (UTC).", nullable=False
)


@dataclass(frozen=True)
class Table:
    """A warehouse table: grain, meaning, write mode and columns (``snapshot_id``/``snapshot_at`` first)."""

    name: str
    grain: str
    description: str
    columns: tuple[Column, ...]
    write_mode: WriteMode = WriteMode.REPLACE_SNAPSHOT

    def __post_init__(self) -> None:
        names = [column.name for column in self.columns]
        if names[:2] != [SNAPSHOT_ID.name, SNAPSHOT_AT.name]:
            raise ValueError(f"table {self.name!r} must start with snapshot_id, snapshot_at")
        if len(set(names)) != len(names):
            raise ValueError(f"table {self.name!r} declares a column twice")

    @property
    def keys(self) -> tuple[str, ...]:
        """The primary key: ``snapshot_id`` then the table's own key columns."""
        return tuple(column.name for column in self.columns if column.key)

    @property
    def frame_columns(self) -> tuple[Column, ...]:
        """The columns a published frame provides (publishing stamps snapshot_id and snapshot_at)."""
        return self.columns[2:]

    def column(self, name: str) -> Column:
        """The declared column called ``name``."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name!r}")
