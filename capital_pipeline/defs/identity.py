"""Which snapshot a run takes: one identity per schedule tick, so re-running a tick replaces its rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = ["SNAPSHOT_AT_TAG", "SNAPSHOT_ID_TAG", "SnapshotIdentity", "snapshot_identity"]

# Set by the CLI (demo days, explicit snapshots); a schedule tick sets Dagster's own tag instead.
SNAPSHOT_ID_TAG = "capital/snapshot_id"
SNAPSHOT_AT_TAG = "capital/snapshot_at"
# Dagster 1.13 hides it behind a leading dot; re-executions of the tick keep it.
SCHEDULED_TAGS = (".dagster/scheduled_execution_time", "dagster/scheduled_execution_time")


@dataclass(frozen=True)
class SnapshotIdentity:
    snapshot_id: str
    snapshot_at: datetime
    started_at: datetime


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def snapshot_identity(run_id: str, tags: Mapping[str, str], created_at: datetime) -> SnapshotIdentity:
    """An explicit tag wins, else the schedule tick (stable across re-runs of it), else the run itself."""
    if SNAPSHOT_ID_TAG in tags:
        at = _moment(tags[SNAPSHOT_AT_TAG]) if SNAPSHOT_AT_TAG in tags else created_at
        return SnapshotIdentity(tags[SNAPSHOT_ID_TAG], at, created_at)
    scheduled = next((tags[tag] for tag in SCHEDULED_TAGS if tag in tags), None)
    if scheduled is not None:
        tick = _moment(scheduled)
        return SnapshotIdentity(f"scheduled-{tick:%Y-%m-%dT%H:%MZ}", tick, created_at)
    return SnapshotIdentity(f"run-{run_id}", created_at, created_at)
