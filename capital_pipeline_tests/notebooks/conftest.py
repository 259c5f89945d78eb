"""The simulator, its environment and a Dagster instance, as the Dagster tests have them, but faster."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from capital_pipeline.simulator import SimulatorConfig, SimulatorHandle, run_simulator
from capital_pipeline_tests.defs.conftest import instance
from capital_pipeline_tests.simulator_env import fresh_simulator, run_settings

__all__ = ["NOTEBOOK_RATE", "capital_env", "instance", "simulator"]

# Both sides raised together (the simulator still counts strictly): these runs only fill the warehouse.
NOTEBOOK_RATE = 300


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorHandle]:
    with run_simulator(SimulatorConfig(rate_limit=NOTEBOOK_RATE), in_subprocess=True) as sim:
        yield sim


@pytest.fixture
def capital_env(
    simulator: SimulatorHandle, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[SimulatorHandle]:
    """The simulator on day 0, and the environment variables a user would set for it."""
    settings = run_settings(simulator, rate=NOTEBOOK_RATE, state_directory=tmp_path / "state")
    with fresh_simulator(simulator, monkeypatch, settings) as fresh:
        yield fresh
