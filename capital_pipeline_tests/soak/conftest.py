"""One simulator and one Dagster instance per soak; the same test body on DuckDB and on PostgreSQL."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import DagsterInstance

from capital_pipeline.simulator import SimulatorConfig, SimulatorHandle, run_simulator
from capital_pipeline_tests.defs.conftest import WarehouseTarget
from capital_pipeline_tests.simulator_env import fresh_simulator, run_settings

# Both sides raised together so that 60 runs fit in minutes; the simulator still counts strictly.
SOAK_RATE = 300
# Memory-backed files where the machine has them: on a loaded disk every commit's fsync (Dagster's sqlite
# event log, DuckDB) cost more than the run itself (12-18 s per run instead of 3-4 s, measured).
MEMORY_DIRECTORY = Path("/dev/shm")


@pytest.fixture
def soak_directory(tmp_path: Path) -> Iterator[Path]:
    """Where a soak keeps its DuckDB file and run state: in memory if possible, else ``tmp_path``."""
    if not MEMORY_DIRECTORY.is_dir():
        yield tmp_path
        return
    with tempfile.TemporaryDirectory(dir=MEMORY_DIRECTORY, prefix="capital_soak_") as directory:
        yield Path(directory)


@pytest.fixture(scope="module")
def soak_simulator() -> Iterator[SimulatorHandle]:
    # A subprocess: the simulator must not share the GIL with the runs executing in the test process.
    with run_simulator(SimulatorConfig(rate_limit=SOAK_RATE), in_subprocess=True) as sim:
        yield sim


@pytest.fixture
def soak_env(
    soak_simulator: SimulatorHandle, monkeypatch: pytest.MonkeyPatch, soak_directory: Path
) -> Iterator[SimulatorHandle]:
    """The simulator on day 0 with fresh stats, and the environment a user would set for it."""
    settings = run_settings(soak_simulator, rate=SOAK_RATE, state_directory=soak_directory / "state")
    with fresh_simulator(soak_simulator, monkeypatch, settings) as fresh:
        yield fresh


@pytest.fixture
def soak_instance() -> Iterator[DagsterInstance]:
    """One instance for every day of a soak, as a deployment keeps one; in memory, since what a soak checks
    is the warehouse (an event log in sqlite cost about 0.5 s of CPU per run, measured)."""
    with DagsterInstance.ephemeral() as instance:
        yield instance


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest, soak_directory: Path) -> WarehouseTarget:
    """The same soak on DuckDB (a file) and on the PostgreSQL server."""
    if request.param == "duckdb":
        return WarehouseTarget(f"duckdb:///{soak_directory / 'warehouse.duckdb'}", "capital")
    return WarehouseTarget(
        request.getfixturevalue("postgres_url"), request.getfixturevalue("postgres_schema")
    )
