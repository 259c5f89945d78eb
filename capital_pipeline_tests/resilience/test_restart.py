"""A run killed (SIGKILL) while its `snapshots` step writes leaves the previous snapshot intact, and the next
run succeeds: no stale pool slot, DuckDB lock, session file or staging directory gets in its way.

The run process is a worker started here, running the job in-process (its default) on an instance prepared
as the CLI prepares it (pool limits set). The kill waits for the write itself, found from outside without any
hook in the code: on DuckDB the run process holding the file's write lock (``F_GETLK``) once `snapshots`
started; on PostgreSQL the run's ``COPY`` active in ``pg_stat_activity``.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from dagster import DagsterEventType, DagsterInstance

from capital_pipeline.simulator import SimulatorHandle
from capital_pipeline.warehouse import DATA_TABLES, Warehouse
from capital_pipeline_tests.defs.conftest import WarehouseTarget

pytestmark = pytest.mark.slow

WORKER = """
import json, sys
from capital_pipeline.commands.home import prepare_instance
from capital_pipeline.defs.launch import launch_snapshot
with launch_snapshot(prepare_instance(), run_config=json.loads(sys.argv[1])) as result:
    sys.exit(0 if result.success else 1)
"""
POLL_SECONDS = 0.002
WAIT_SECONDS = 240.0


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> WarehouseTarget:
    if request.param == "duckdb":
        return WarehouseTarget(f"duckdb:///{tmp_path / 'warehouse.duckdb'}", "capital")
    return WarehouseTarget(
        request.getfixturevalue("postgres_url"), request.getfixturevalue("postgres_schema")
    )


def _start_run(target: WarehouseTarget, home: Path) -> subprocess.Popen[bytes]:
    run_config = {**target.run_config(), "execution": {"config": {"in_process": {}}}}
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, json.dumps(run_config)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _snapshots_step_started(home: Path) -> bool:
    instance = DagsterInstance.from_config(str(home))
    try:
        runs = instance.get_runs(limit=1)
        if not runs:
            return False
        records = instance.get_records_for_run(runs[0].run_id, of_type=DagsterEventType.STEP_START).records
        return any(record.event_log_entry.step_key == "snapshots" for record in records)
    finally:
        instance.dispose()


def _holds_duckdb_write_lock(path: Path, pid: int) -> bool:
    """Whether ``pid`` holds a write lock on ``path``, asked with F_GETLK (which takes no lock itself)."""
    if not path.exists():
        return False
    query = struct.pack("hhqqi", fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0)
    with open(path, "rb") as probe:
        kind, _, _, _, holder = struct.unpack("hhqqi", fcntl.fcntl(probe.fileno(), fcntl.F_GETLK, query))
    return kind == fcntl.F_WRLCK and holder == pid


@contextmanager
def _postgres_copy_active(target: WarehouseTarget) -> Iterator[Callable[[int], bool]]:
    engine = sa.create_engine(target.url)
    sql = sa.text(
        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query ILIKE 'COPY%' "
        "AND query LIKE :schema"
    )

    def active(_pid: int) -> bool:
        with engine.connect() as connection:
            return bool(connection.execute(sql, {"schema": f"%{target.schema}%"}).scalar())

    try:
        yield active
    finally:
        engine.dispose()


@contextmanager
def _duckdb_write_locked(target: WarehouseTarget) -> Iterator[Callable[[int], bool]]:
    path = Path(target.url.removeprefix("duckdb:///"))
    yield lambda pid: _holds_duckdb_write_lock(path, pid)


def _kill_while_writing(target: WarehouseTarget, home: Path) -> None:
    """Start a run, SIGKILL it once its publish is writing; fail if the write window never came."""
    probe = _duckdb_write_locked if target.url.startswith("duckdb") else _postgres_copy_active
    with probe(target) as writing:
        run = _start_run(target, home)
        deadline = time.monotonic() + WAIT_SECONDS
        try:
            while not _snapshots_step_started(home):
                assert run.poll() is None and time.monotonic() < deadline, "the run ended before publishing"
                time.sleep(0.05)
            while not writing(run.pid):
                assert run.poll() is None and time.monotonic() < deadline, "the publish ended unseen"
                time.sleep(POLL_SECONDS)
            os.killpg(run.pid, signal.SIGKILL)
        finally:
            run.wait(timeout=30)
    assert run.returncode == -signal.SIGKILL


def _published(warehouse: Warehouse) -> dict[str, str]:
    rows = warehouse.query("SELECT snapshot_id, status FROM snapshots")
    return dict(zip(rows["snapshot_id"], rows["status"], strict=True))


def test_a_run_killed_while_publishing_leaves_the_previous_snapshot_and_the_next_run_succeeds(
    capital_env: SimulatorHandle, target: WarehouseTarget, tmp_path: Path
) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    first = _start_run(target, home)
    assert first.wait(timeout=WAIT_SECONDS) == 0
    warehouse = target.warehouse()
    (previous,) = _published(warehouse)
    counts = warehouse.table_counts(previous)
    views = {t.name: len(warehouse.query(f"SELECT * FROM latest_{t.name}")) for t in DATA_TABLES}

    _kill_while_writing(target, home)

    # The killed snapshot is all or nothing: no row of a snapshot that did not succeed, and the previous one
    # is what the views show (a kill after the commit would have published it whole, which is also fine).
    statuses = _published(warehouse)
    assert statuses[previous] == "succeeded" and warehouse.table_counts(previous) == counts
    for snapshot_id, status in statuses.items():
        if status != "succeeded":
            assert set(warehouse.table_counts(snapshot_id).values()) == {0}
    killed = [snapshot_id for snapshot_id in statuses if snapshot_id != previous]
    assert killed == [] or warehouse.table_counts(killed[0]) == counts, "a partial snapshot is visible"
    if not killed:
        assert {t.name: len(warehouse.query(f"SELECT * FROM latest_{t.name}")) for t in DATA_TABLES} == views

    after = _start_run(target, home)
    assert after.wait(timeout=WAIT_SECONDS) == 0, "the run after the kill did not succeed"
    latest = warehouse.latest_snapshot()
    assert latest is not None and latest.status == "succeeded" and latest.snapshot.snapshot_id != previous
    assert warehouse.table_counts(latest.snapshot.snapshot_id) == counts
