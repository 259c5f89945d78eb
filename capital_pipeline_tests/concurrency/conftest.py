"""Processes that run snapshots and read the warehouse at the same time, against one simulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from capital_pipeline.simulator import SimulatorHandle
from capital_pipeline_tests.concurrency.processes import Process
from capital_pipeline_tests.defs.conftest import FAST_RATE, simulator, target
from capital_pipeline_tests.simulator_env import fresh_simulator, run_settings

__all__ = ["capital_env", "processes", "simulator", "target"]


@pytest.fixture
def capital_env(
    simulator: SimulatorHandle, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[SimulatorHandle]:
    """The simulator on day 0 with fresh stats; the settings a user would export, one state directory (so one
    request budget per API key) and one Dagster home for every process the test starts."""
    settings = {
        **run_settings(simulator, rate=FAST_RATE, state_directory=tmp_path / "state"),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
    }
    with fresh_simulator(simulator, monkeypatch, settings) as fresh:
        yield fresh


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    """Started processes; any still running when the test ends is killed."""
    started: list[Process] = []
    yield started
    for process in started:
        process.stop()
