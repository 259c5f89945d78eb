"""Which snapshot a run takes: one identity per schedule tick, so re-running a tick replaces its rows; a
re-execution (from failure, or of selected steps) completes the snapshot of the run it re-executes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from dagster import DagsterRun

__all__ = [
    "ROOT_RUN_TAG",
    "SNAPSHOT_AT_TAG",
    "SNAPSHOT_ID_TAG",
    "SnapshotIdentity",
    "re_executed_runs",
    "snapshot_identity",
]

# Set by the CLI (demo days, explicit snapshots); a schedule tick sets Dagster's own tag instead.
SNAPSHOT_ID_TAG = "capital/snapshot_id"
SNAPSHOT_AT_TAG = "capital/snapshot_at"
# Dagster 1.13 hides it behind a leading dot; re-executions of the tick keep it.
SCHEDULED_TAGS = (".dagster/scheduled_execution_time", "dagster/scheduled_execution_time")
# A re-execution from the UI carries these tags (``execute_job`` sets the run's fields instead): the chain's
# first run, whose snapshot the re-execution completes, and the run it re-executes.
ROOT_RUN_TAG = "dagster/root_run_id"
PARENT_RUN_TAG = "dagster/parent_run_id"


@dataclass(frozen=True)
class SnapshotIdentity:
    snapshot_id: str
    snapshot_at: datetime
    started_at: datetime


def re_executed_runs(run: DagsterRun) -> tuple[str | None, str | None]:
    """The root and the parent run that ``run`` re-executes; ``(None, None)`` for a first run."""
    root = run.root_run_id or run.tags.get(ROOT_RUN_TAG)
    parent = run.parent_run_id or run.tags.get(PARENT_RUN_TAG)
    return root, parent


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def snapshot_identity(run_id: str, tags: Mapping[str, str], created_at: datetime) -> SnapshotIdentity:
    """An explicit tag wins, else the schedule tick (stable across re-runs of it), else the run itself, or
    the root run it re-executes (``created_at`` is then the root run's creation)."""
    if SNAPSHOT_ID_TAG in tags:
        at = _moment(tags[SNAPSHOT_AT_TAG]) if SNAPSHOT_AT_TAG in tags else created_at
        return SnapshotIdentity(tags[SNAPSHOT_ID_TAG], at, created_at)
    scheduled = next((tags[tag] for tag in SCHEDULED_TAGS if tag in tags), None)
    if scheduled is not None:
        tick = _moment(scheduled)
        return SnapshotIdentity(f"scheduled-{tick:%Y-%m-%dT%H:%MZ}", tick, created_at)
    return SnapshotIdentity(f"run-{tags.get(ROOT_RUN_TAG, run_id)}", created_at, created_at)
