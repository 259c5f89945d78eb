"""Run ``capital_snapshot_job`` through Dagster from Python (CLI and tests) with its real executor."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import DagsterInstance, JobDefinition, JobExecutionResult, execute_job, reconstructable

__all__ = ["SNAPSHOT_JOB", "launch_snapshot", "snapshot_job"]

SNAPSHOT_JOB = "capital_snapshot_job"


def snapshot_job() -> JobDefinition:
    """The resolved job; module-level so that step processes can rebuild it (``reconstructable``)."""
    from capital_pipeline.definitions import defs

    return defs.resolve_job_def(SNAPSHOT_JOB)


def launch_snapshot(
    instance: DagsterInstance,
    *,
    run_config: Mapping[str, Any] | None = None,
    tags: Mapping[str, str] | None = None,
) -> JobExecutionResult:
    """Execute the snapshot job in ``instance`` under the job's own executor; blocks until the run ends."""
    return execute_job(
        reconstructable(snapshot_job),
        instance=instance,
        run_config=dict(run_config or {}),
        tags=dict(tags or {}),
    )
