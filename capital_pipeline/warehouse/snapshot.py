"""What a snapshot is to the warehouse: identity, timing and provenance, and how it is recorded."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from .tables import SNAPSHOTS

__all__ = ["FAILED", "SUCCEEDED", "Snapshot", "SnapshotRecord"]

SUCCEEDED = "succeeded"
FAILED = "failed"


@dataclass(frozen=True)
class Snapshot:
    """One snapshot of the login's reference data; every row published for it carries its id and time."""

    snapshot_id: str
    snapshot_at: datetime
    environment: str
    started_at: datetime
    run_id: str | None = None
    finished_at: datetime | None = None
    request_count: int | None = None

    def __post_init__(self) -> None:
        if not self.snapshot_id:
            raise ValueError("snapshot_id must not be empty")
        for name in ("snapshot_at", "started_at", "finished_at"):
            moment = getattr(self, name)
            if moment is not None and moment.utcoffset() is None:
                raise ValueError(f"{name} must be timezone-aware (UTC), got {moment!r}")

    def row(self, status: str, row_counts: Mapping[str, int] | None, error: str | None) -> pd.DataFrame:
        """The ``snapshots`` frame for this snapshot; a missing ``finished_at`` means now."""
        values: dict[str, Any] = {
            "environment": self.environment,
            "run_id": self.run_id,
            "started_at": self.started_at,
            "finished_at": self.finished_at or datetime.now(UTC),
            "status": status,
            "request_count": self.request_count,
            "row_counts": dict(row_counts) if row_counts is not None else None,
            # An error may quote what the API sent: a lone surrogate (no UTF-8 text holds one) is spelled out
            # as \udXXX so that the failure is still recorded.
            "error": error.encode("utf-8", "backslashreplace").decode("utf-8") if error is not None else None,
        }
        return pd.DataFrame({column.name: [values[column.name]] for column in SNAPSHOTS.frame_columns})


@dataclass(frozen=True)
class SnapshotRecord:
    """A ``snapshots`` row read back: the snapshot, its status, rows per table, and the error if it failed."""

    snapshot: Snapshot
    status: str
    row_counts: dict[str, int] | None
    error: str | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> SnapshotRecord:
        """Build from a ``snapshots`` row (JSON as text, as every backend returns it)."""
        snapshot = Snapshot(
            snapshot_id=row["snapshot_id"],
            snapshot_at=row["snapshot_at"],
            environment=row["environment"],
            started_at=row["started_at"],
            run_id=row["run_id"],
            finished_at=row["finished_at"],
            request_count=row["request_count"],
        )
        counts = json.loads(row["row_counts"]) if row["row_counts"] is not None else None
        return cls(snapshot, row["status"], counts, row["error"])
