"""One simulator, one Dagster instance and one run-state directory per module, for suites that run the job
many times: limits raised on both sides (the simulator still counts strictly) and retries kept short through
the client's own settings, so a case costs seconds."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from dagster import DagsterInstance, instance_for_test
from dagster._core.execution.plan.objects import StepFailureData

from capital_pipeline.defs.launch import launch_snapshot
from capital_pipeline.simulator import SimulatorConfig, SimulatorHandle, run_simulator
from capital_pipeline_tests.defs.conftest import IN_PROCESS, WarehouseTarget
from capital_pipeline_tests.simulator_env import login_settings

RATE = 300
# Short enough that a held answer or a run of 5xx costs about a second, long enough for a loaded machine.
TIMEOUT_SECONDS = 1.0
BACKOFF_SECONDS = 0.05


@dataclass(frozen=True)
class Attempt:
    """A finished run of the snapshot job: whether it succeeded and what its failed steps said."""

    run_id: str
    success: bool
    failures: tuple[str, ...]

    @property
    def message(self) -> str:
        return "\n".join(self.failures)


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorHandle]:
    with run_simulator(SimulatorConfig(rate_limit=RATE), in_subprocess=True) as sim:
        yield sim


@pytest.fixture(scope="module")
def capital_env(
    simulator: SimulatorHandle, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SimulatorHandle]:
    """The environment a user would set for the simulator, for the whole module."""
    settings = {
        **login_settings(simulator),
        "CAPITAL_REQUESTS_PER_SECOND": str(RATE),
        "CAPITAL_TIMEOUT_SECONDS": str(TIMEOUT_SECONDS),
        "CAPITAL_RETRY_BACKOFF_SECONDS": str(BACKOFF_SECONDS),
        "CAPITAL_PIPELINE_STATE_DIR": str(tmp_path_factory.mktemp("state")),
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in settings.items():
            patch.setenv(name, value)
        yield simulator
    # Read-only across every suite: nothing since the last stats reset called a trading or editing endpoint.
    assert simulator.stats()["trading_or_editing_calls"] == 0


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DagsterInstance]:
    with instance_for_test(temp_dir=str(tmp_path_factory.mktemp("dagster_home"))) as test_instance:
        yield test_instance


def attempt_snapshot(
    instance: DagsterInstance, target: WarehouseTarget, tags: Mapping[str, str] | None = None
) -> Attempt:
    """Run capital_snapshot_job in-process (the job's default) and report how it ended, without asserting."""
    run_config = {**target.run_config(), "execution": {"config": IN_PROCESS}}
    with launch_snapshot(instance, run_config=run_config, tags=tags) as result:
        failures = tuple(
            _failure_text(event.step_failure_data) for event in result.all_events if event.is_step_failure
        )
        return Attempt(result.run_id, result.success, failures)


def _failure_text(data: StepFailureData | None) -> str:
    """What a failed step tells its reader: the failure's description, else the error's own message."""
    if data is None:
        return ""
    if data.user_failure_data is not None and data.user_failure_data.description:
        return data.user_failure_data.description
    return data.error.message if data.error is not None else ""


def duckdb_target(directory: Path) -> WarehouseTarget:
    return WarehouseTarget(f"duckdb:///{directory / 'warehouse.duckdb'}", "capital")
