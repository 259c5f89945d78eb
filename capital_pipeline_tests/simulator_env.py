"""The environment a user exports to point the pipeline at a simulator, shared by the suites that run it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

from capital_pipeline.simulator import SimulatorHandle

__all__ = ["fresh_simulator", "login_settings", "run_settings"]


def login_settings(simulator: SimulatorHandle) -> dict[str, str]:
    """The simulator's base URL and its demo login, as ``CAPITAL_*`` variables."""
    credentials = simulator.credentials
    return {
        "CAPITAL_BASE_URL": simulator.base_url,
        "CAPITAL_API_KEY": credentials.api_key,
        "CAPITAL_IDENTIFIER": credentials.identifier,
        "CAPITAL_PASSWORD": credentials.password,
    }


def run_settings(simulator: SimulatorHandle, *, rate: int, state_directory: Path) -> dict[str, str]:
    """``login_settings`` plus the request rate both sides run at and the run state directory."""
    return {
        **login_settings(simulator),
        "CAPITAL_REQUESTS_PER_SECOND": str(rate),
        "CAPITAL_PIPELINE_STATE_DIR": str(state_directory),
    }


@contextmanager
def fresh_simulator(
    simulator: SimulatorHandle, monkeypatch: pytest.MonkeyPatch, settings: Mapping[str, str]
) -> Iterator[SimulatorHandle]:
    """``simulator`` on day 0 with no faults and fresh stats, ``settings`` exported, for one test; afterwards,
    the read-only promise every suite keeps: nothing the test ran called a trading or editing endpoint."""
    simulator.set_config(day=0)
    simulator.set_faults([])
    simulator.reset_stats()
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    yield simulator
    assert simulator.stats()["trading_or_editing_calls"] == 0
