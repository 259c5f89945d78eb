"""A notebook holding the DuckDB warehouse open while the schedule's run publishes (issue 5).

The notebook reads the reader copy, as the README recommends: the run must not wait for it, the notebook's
open connection keeps showing the snapshot it opened on, and a connection opened afterwards shows the run's.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from dagster import DagsterRun, build_schedule_context, instance_for_test

from capital_pipeline.defs.jobs import capital_snapshot_schedule
from capital_pipeline.defs.launch import launch_snapshot
from capital_pipeline.simulator import SimulatorHandle
from capital_pipeline.warehouse import Warehouse
from capital_pipeline_tests.concurrency.processes import Process, start, stop_reader
from capital_pipeline_tests.warehouse.factory import frames, market, snapshot

pytestmark = pytest.mark.slow

TICK = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
# Far below the default 120 s: a run that waited for the notebook would fail here instead of finishing late.
LOCK_TIMEOUT_SECONDS = 5.0


def test_a_scheduled_run_publishes_while_a_notebook_holds_the_reader_copy_which_then_shows_it(
    capital_env: SimulatorHandle, tmp_path: Path, processes: list[Process]
) -> None:
    url = f"duckdb:///{tmp_path / 'capital.duckdb'}"
    earlier = Warehouse(url)
    earlier.ensure_schema()
    earlier.publish_snapshot(snapshot(1), frames([market("SILVER")], {}))
    notebook = start(processes, "reader_process", url, "capital")
    assert notebook.line() == "s1 ready"

    resources = {"database_url": url, "lock_timeout_seconds": LOCK_TIMEOUT_SECONDS}
    home = tmp_path / "dagster_home"
    home.mkdir()
    with instance_for_test(temp_dir=str(home)) as instance:
        with build_schedule_context(instance=instance, scheduled_execution_time=TICK) as context:
            (request,) = capital_snapshot_schedule.evaluate_tick(context).run_requests or []
        tags = {
            **request.tags,
            **DagsterRun.tags_for_schedule(capital_snapshot_schedule),
            ".dagster/scheduled_execution_time": TICK.isoformat(),
        }
        run_config = {"resources": {"warehouse": {"config": resources}}}
        with launch_snapshot(instance, run_config=run_config, tags=tags) as result:
            assert result.success, [event.message for event in result.all_events if event.is_failure]

    seen = stop_reader(notebook)
    assert seen["held_first"] == seen["held_last"] == "s1"
    assert seen["fresh"] == "scheduled-2026-11-23T06:00Z"
    assert seen["problems"] == [] and seen["checks"] > 0
