"""Two snapshot runs started at once against one warehouse while a third process reads it (issue 6).

Each run is its own process on one Dagster home and one request budget, as two `capital-pipeline snapshot`
commands would be. Both must succeed (DuckDB: the second publish waits its turn), no lock error may reach
anyone, both snapshots must be whole, together they must stay within the API key's budget, and nothing may
call a trading or editing endpoint. The reader checks every snapshot it sees while they write.
"""

from __future__ import annotations

import json

import pytest
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus

from capital_pipeline.commands.home import prepare_instance
from capital_pipeline.simulator import SimulatorHandle
from capital_pipeline.warehouse import DATA_TABLES, open_reader, reader_copy_path
from capital_pipeline_tests.concurrency.processes import Process, start, stop_reader
from capital_pipeline_tests.defs.conftest import FAST_RATE, WarehouseTarget
from capital_pipeline_tests.defs.universe_views import expected_counts

pytestmark = pytest.mark.slow

# What a lock conflict would print, from DuckDB or from the warehouse.
LOCK_TEXTS = ("Could not set lock", "WarehouseLocked", "stayed locked")


def run_ids_after_success(instance: DagsterInstance, outputs: list[tuple[int, str, str]]) -> list[str]:
    """Each process's run id, once its exit code, its output and the instance all say it succeeded."""
    run_ids = []
    for code, out, err in outputs:
        assert code == 0, err
        run_id, verdict = out.split()
        assert verdict == "succeeded", err
        assert not any(text in out + err for text in LOCK_TEXTS), err
        run = instance.get_run_by_id(run_id)
        assert run is not None and run.status == DagsterRunStatus.SUCCESS
        failures = instance.get_records_for_run(run_id, of_type=DagsterEventType.STEP_FAILURE).records
        assert failures == []
        run_ids.append(run_id)
    return run_ids


def test_two_runs_at_once_both_publish_whole_snapshots_within_one_budget_while_a_reader_reads(
    capital_env: SimulatorHandle, target: WarehouseTarget, processes: list[Process]
) -> None:
    universe = capital_env.universe()
    warehouse = target.warehouse()
    warehouse.ensure_schema()
    instance = prepare_instance()
    runs = [start(processes, "snapshot_process", target.url, target.schema) for _ in range(2)]
    reader = start(processes, "reader_process", target.url, target.schema)
    assert reader.line() == "None ready"
    assert [run.line() for run in runs] == ["ready", "ready"]

    for run in runs:
        run.send()
    run_ids = run_ids_after_success(instance, [run.finish() for run in runs])
    seen = stop_reader(reader)
    records = [instance.get_run_record_by_id(run_id) for run_id in run_ids]
    instance.dispose()
    starts = [record.start_time for record in records if record and record.start_time]
    ends = [record.end_time for record in records if record and record.end_time]
    assert len(starts) == len(ends) == 2 and max(starts) < min(ends), "the two runs overlapped"

    snapshot_ids = {f"run-{run_id}" for run_id in run_ids}
    assert (
        set(warehouse.query("SELECT snapshot_id FROM snapshots WHERE status = 'succeeded'")["snapshot_id"])
        == snapshot_ids
    )
    for snapshot_id in snapshot_ids:
        assert warehouse.table_counts(snapshot_id) == expected_counts(universe)
    assert seen["problems"] == [] and seen["checks"] > 0
    assert seen["fresh"] in snapshot_ids
    stats = capital_env.stats()
    assert stats["too_many_requests"] == 0, json.dumps(stats)
    assert max(stats["max_requests_per_second"].values()) <= FAST_RATE
    assert stats["logins"]["attempts"] == 2
    assert stats["trading_or_editing_calls"] == 0
    if target.url.startswith("duckdb"):
        assert_duckdb_file_whole(target, snapshot_ids)


def assert_duckdb_file_whole(target: WarehouseTarget, snapshot_ids: set[str]) -> None:
    """Every column of every table reads back in full, from the file and from its reader copy alike."""
    totals = " UNION ALL ".join(
        f"SELECT '{table.name}', snapshot_id, COUNT(*), SUM(LENGTH(CAST(t AS TEXT))) "
        f"FROM {table.name} t GROUP BY snapshot_id"
        for table in DATA_TABLES
    )
    from_file = set(target.warehouse().query(totals).itertuples(index=False, name=None))
    assert {row[1] for row in from_file} == snapshot_ids
    assert set(open_reader(target.url).execute(totals).fetchall()) == from_file
    assert not list(reader_copy_path(target.url).parent.glob(".*.partial"))
