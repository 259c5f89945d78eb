"""The environment a user exports to point the pipeline at a simulator, shared by the suites that run it."""

from __future__ import annotations

from pathlib import Path

from capital_pipeline.simulator import SimulatorHandle

__all__ = ["login_settings", "run_settings"]


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
