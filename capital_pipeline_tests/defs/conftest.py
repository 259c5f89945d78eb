"""Fixtures for running the snapshot job through Dagster against the simulator, into DuckDB or PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInstance, instance_for_test

from capital_pipeline.defs.launch import launch_snapshot
from capital_pipeline.simulator import SimulatorConfig, SimulatorHandle, run_simulator
from capital_pipeline.warehouse import Warehouse
from capital_pipeline_tests.simulator_env import fresh_simulator, run_settings

# Both sides raised together so a run takes seconds; the simulator still counts strictly.
FAST_RATE = 100
IN_PROCESS = {"in_process": {}}
# spawn, not the job's default forkserver: a fork server keeps the environment it started with, and tests
# change CAPITAL_* between runs of one process (a real run gets a fresh run-worker process and fork server).
MULTIPROCESS = {"multiprocess": {"start_method": {"spawn": {}}}}


@dataclass(frozen=True)
class WarehouseTarget:
    url: str
    schema: str

    def warehouse(self) -> Warehouse:
        return Warehouse.from_url(self.url, schema=self.schema)

    def run_config(self) -> dict[str, Any]:
        return {
            "resources": {"warehouse": {"config": {"database_url": self.url, "schema_name": self.schema}}}
        }


@pytest.fixture(scope="module")
def state_directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run state shared by the tests of a module, like the one simulator they share: the request budget in it
    must see the previous test's last second, or a new test could fire into it."""
    return tmp_path_factory.mktemp("state")


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorHandle]:
    # A subprocess: the simulator must not share the GIL with Dagster's run in the test process.
    with run_simulator(SimulatorConfig(rate_limit=FAST_RATE), in_subprocess=True) as sim:
        yield sim


@pytest.fixture
def capital_env(
    simulator: SimulatorHandle, monkeypatch: pytest.MonkeyPatch, state_directory: Path
) -> Iterator[SimulatorHandle]:
    """The simulator on day 0 with fresh stats, and the environment variables a user would set for it."""
    settings = run_settings(simulator, rate=FAST_RATE, state_directory=state_directory)
    with fresh_simulator(simulator, monkeypatch, settings) as fresh:
        yield fresh


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[DagsterInstance]:
    home = tmp_path / "dagster_home"
    home.mkdir()
    with instance_for_test(temp_dir=str(home)) as test_instance:
        yield test_instance


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> WarehouseTarget:
    """The same test body on DuckDB (a file) and on the PostgreSQL server."""
    if request.param == "duckdb":
        return WarehouseTarget(f"duckdb:///{tmp_path / 'warehouse.duckdb'}", "capital")
    url = request.getfixturevalue("postgres_url")
    return WarehouseTarget(url, request.getfixturevalue("postgres_schema"))


def run_snapshot(
    instance: DagsterInstance,
    target: WarehouseTarget,
    *,
    execution: Mapping[str, Any] = IN_PROCESS,
    tags: Mapping[str, str] | None = None,
) -> str:
    """Run capital_snapshot_job through Dagster's real executor; the run id, after asserting success."""
    run_config = {**target.run_config(), "execution": {"config": dict(execution)}}
    with launch_snapshot(instance, run_config=run_config, tags=tags) as result:
        failures = [event.message for event in result.all_events if event.is_failure]
        assert result.success, failures
        return result.run_id
