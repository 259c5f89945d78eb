"""Run ``capital_snapshot_job`` through Dagster (the job's own executor) while showing its progress.

The job runs in the command's main thread, so Ctrl-C reaches Dagster's own interrupt handling (steps are
stopped and the run is marked failed); a ``RunTail`` thread meanwhile follows the run's event log. Dagster
prints every event to stderr from each step process; during the run that output goes to a log file instead,
so the terminal shows only the progress, and the file is there when someone needs the details.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus
from dagster_shared.error import SerializableErrorInfo

from capital_pipeline.commands.failures import StepFailure
from capital_pipeline.commands.progress import LiveDisplay, PlainDisplay, RunTail, observe
from capital_pipeline.defs.launch import launch_snapshot

__all__ = ["LAUNCH_TAG", "RunOutcome", "dagster_log_path", "run_snapshot_job"]

# A tag unique to one invocation, by which the tailing thread finds the run that ``execute_job`` creates.
LAUNCH_TAG = "capital/cli_launch"
_INTERRUPTED = {"KeyboardInterrupt", "DagsterExecutionInterruptedError"}


@dataclass(frozen=True)
class RunOutcome:
    """How the run ended, read back from the instance."""

    run_id: str
    status: DagsterRunStatus
    failures: tuple[StepFailure, ...]
    run_error: SerializableErrorInfo | None
    seconds: float

    @property
    def succeeded(self) -> bool:
        return self.status == DagsterRunStatus.SUCCESS

    @property
    def interrupted(self) -> bool:
        return self.run_error is not None and self.run_error.cls_name in _INTERRUPTED


def dagster_log_path(home: Path) -> Path:
    """A fresh file under ``<DAGSTER_HOME>/logs`` for Dagster's console output of one invocation."""
    directory = home / "logs"
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"capital-pipeline-{datetime.now(UTC):%Y%m%dT%H%M%S}-{os.getpid()}.log"


@contextmanager
def _stderr_to(path: Path) -> Iterator[None]:
    # File descriptor 2 itself, so that step processes started meanwhile inherit the file too.
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "ab") as log:
        os.dup2(log.fileno(), 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def _outcome(instance: DagsterInstance, run_id: str, seconds: float) -> RunOutcome:
    run = instance.get_run_by_id(run_id)
    status = run.status if run else DagsterRunStatus.FAILURE
    kinds = {DagsterEventType.STEP_FAILURE, DagsterEventType.RUN_FAILURE}
    failures: list[StepFailure] = []
    run_error = None
    for record in instance.get_records_for_run(run_id, of_type=kinds).records:
        event = record.event_log_entry.dagster_event
        if event is None:
            continue
        if event.event_type == DagsterEventType.STEP_FAILURE and event.step_failure_data.error:
            failures.append(StepFailure(event.step_key or "?", event.step_failure_data.error))
        elif event.event_type == DagsterEventType.RUN_FAILURE:
            run_error = event.job_failure_data.error
    return RunOutcome(run_id, status, tuple(failures), run_error, seconds)


def run_snapshot_job(
    instance: DagsterInstance,
    *,
    tags: Mapping[str, str],
    run_config: Mapping[str, Any],
    display: PlainDisplay | LiveDisplay,
    log_path: Path,
) -> RunOutcome:
    """Execute the job in ``instance``, feeding ``display`` from its event log; blocks until the run ends."""
    launch_id = uuid.uuid4().hex
    tail = RunTail(instance, (LAUNCH_TAG, launch_id), lambda entry: observe(entry, display))
    started = time.monotonic()
    with display:
        tail.start()
        try:
            with (
                _stderr_to(log_path),
                launch_snapshot(
                    instance, run_config=run_config, tags={**tags, LAUNCH_TAG: launch_id}
                ) as result,
            ):
                run_id = result.run_id
        finally:
            tail.finish()
    return _outcome(instance, run_id, time.monotonic() - started)
