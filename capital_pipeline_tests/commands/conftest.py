"""Running the real ``capital-pipeline`` script in a scratch working directory, against the simulator."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from capital_pipeline.simulator import SimulatorConfig, SimulatorHandle, run_simulator
from capital_pipeline.simulator.config import DEMO_API_KEY, DEMO_PASSWORD
from capital_pipeline_tests.simulator_env import login_settings

# The script the package installs next to this interpreter (.venv/bin/capital-pipeline).
CLI = Path(sys.executable).with_name("capital-pipeline")
# Raised on both sides so that a run takes seconds; the simulator still counts strictly.
FAST_RATE = 100
SECRETS = (DEMO_PASSWORD, DEMO_API_KEY)


def cli_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """This environment minus Capital.com and Dagster settings; state and Dagster home under ``tmp_path``."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(("CAPITAL_", "DAGSTER_"))}
    env["CAPITAL_PIPELINE_STATE_DIR"] = str(tmp_path / "state")
    env["DAGSTER_HOME"] = str(tmp_path / "dagster_home")
    env.update(settings)
    return env


def run_cli(args: Sequence[str], *, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``capital-pipeline ARGS`` to completion, output captured."""
    return subprocess.run([str(CLI), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=280)


def assert_plain_failure(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    """Non-zero exit, every ``expected`` text in stderr, no traceback and no secret anywhere."""
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    for text in expected:
        assert text in result.stderr, output
    assert "Traceback" not in output
    assert_no_secrets(output)


def assert_no_secrets(output: str) -> None:
    for secret in SECRETS:
        assert secret not in output


def closed_loopback_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorHandle]:
    # A subprocess: the simulator must not share the GIL with anything the test runs.
    with run_simulator(SimulatorConfig(rate_limit=FAST_RATE), in_subprocess=True) as sim:
        yield sim


@pytest.fixture
def capital_settings(simulator: SimulatorHandle) -> dict[str, str]:
    """The variables a user would set for the simulator, which starts each test on day 0 with fresh stats."""
    simulator.set_config(day=0)
    simulator.reset_stats()
    return {**login_settings(simulator), "CAPITAL_REQUESTS_PER_SECOND": str(FAST_RATE)}
