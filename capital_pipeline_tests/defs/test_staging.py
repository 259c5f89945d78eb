"""Staged frames (``staging.py``): kept a week after a run fails, for re-execution; never while a run may
still load them."""

from __future__ import annotations

import os
import time

from dagster import DagsterInstance, DagsterRun, DagsterRunStatus, job, op

from capital_pipeline.defs.staging import STAGING_KEPT_SECONDS, staging_directory, sweep_finished_staging


@op
def fail() -> None:
    raise RuntimeError("the run fails")


@job
def failing() -> None:
    fail()


def _staged(instance: DagsterInstance, run_id: str) -> None:
    directory = staging_directory(instance.storage_directory(), run_id)
    directory.mkdir(parents=True)
    (directory / "markets.parquet").write_bytes(b"frames")


def test_staging_of_runs_finished_a_week_ago_is_swept_unless_a_running_run_may_load_it(
    instance: DagsterInstance,
) -> None:
    old_failure = failing.execute_in_process(instance=instance, raise_on_error=False).run_id
    re_executed = failing.execute_in_process(instance=instance, raise_on_error=False).run_id
    running = DagsterRun(
        job_name="failing",
        run_id="running",
        status=DagsterRunStatus.STARTED,
        tags={"dagster/root_run_id": re_executed, "dagster/parent_run_id": re_executed},
    )
    instance.add_run(running)
    forgotten = "a-run-this-instance-no-longer-knows"
    for run_id in (old_failure, re_executed, running.run_id, "current", forgotten):
        _staged(instance, run_id)
    a_week_on = time.time() + STAGING_KEPT_SECONDS + 60
    os.utime(staging_directory(instance.storage_directory(), forgotten), (0, 0))

    assert sweep_finished_staging(instance, "current", now=time.time()) == [forgotten]
    assert sweep_finished_staging(instance, "current", now=a_week_on) == [old_failure]
    for kept in (re_executed, running.run_id, "current"):
        assert staging_directory(instance.storage_directory(), kept).is_dir(), kept
