"""What the commands check before a run: variables, settings, the database URL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from capital_pipeline.commands.failures import EXIT_CONFIGURATION, CommandFailed
from capital_pipeline.commands.settings import (
    LOCK_TIMEOUT_VARIABLE,
    capital_resource_from_env,
    open_warehouse,
    shown_url,
    warehouse_run_config,
)
from capital_pipeline.simulator import SimulatorConfig, SimulatorHandle, run_simulator

LOGIN = {
    "CAPITAL_API_KEY": "sim-demo-api-key",
    "CAPITAL_IDENTIFIER": "demo@capital-pipeline.test",
    "CAPITAL_PASSWORD": "sim-demo-password",
}
OPTIONAL = (
    "CAPITAL_ENVIRONMENT",
    "CAPITAL_BASE_URL",
    "CAPITAL_ENCRYPTED_PASSWORD",
    "CAPITAL_REQUESTS_PER_SECOND",
)


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """A complete login in the environment, no optional setting, state under ``tmp_path``."""
    for name in OPTIONAL:
        monkeypatch.delenv(name, raising=False)
    for name, value in LOGIN.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CAPITAL_PIPELINE_STATE_DIR", str(tmp_path / "state"))
    return monkeypatch


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorHandle]:
    # Logins of consecutive tests come closer than the API's 1 per second, from separate pacing files.
    with run_simulator(SimulatorConfig(rate_limit=100, login_rate_limit=100)) as sim:
        yield sim


def test_every_missing_variable_is_named_in_one_message(environment: pytest.MonkeyPatch) -> None:
    environment.delenv("CAPITAL_API_KEY")
    environment.setenv("CAPITAL_PASSWORD", "")
    with pytest.raises(CommandFailed) as failed:
        capital_resource_from_env()
    assert failed.value.exit_code == EXIT_CONFIGURATION
    assert failed.value.message.startswith(
        "Missing environment variables: CAPITAL_API_KEY, CAPITAL_PASSWORD."
    )


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("CAPITAL_BASE_URL", "http://example.com", "plain http is only allowed for loopback hosts"),
        ("CAPITAL_ENVIRONMENT", "staging", "expected demo, live or an http(s)://host[:port] URL"),
        ("CAPITAL_ENCRYPTED_PASSWORD", "maybe", "CAPITAL_ENCRYPTED_PASSWORD must be true or false"),
        ("CAPITAL_REQUESTS_PER_SECOND", "fast", "CAPITAL_REQUESTS_PER_SECOND must be a whole number"),
    ],
)
def test_optional_settings_that_cannot_work_are_refused_before_the_run(
    environment: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    environment.setenv(name, value)
    with pytest.raises(CommandFailed) as failed:
        capital_resource_from_env()
    assert expected in failed.value.message
    assert failed.value.exit_code == EXIT_CONFIGURATION


@pytest.mark.parametrize(
    "url", ["duckdb:///:memory:", "nosuchdialect://user:pw@host/db", "postgresql+nosuchdriver://host/db"]
)
def test_a_database_url_that_cannot_work_is_refused_before_the_run(url: str) -> None:
    with pytest.raises(CommandFailed) as failed:
        open_warehouse(url)
    assert failed.value.message.startswith("The database could not be used:")
    assert "--database-url" in failed.value.message


def test_printed_urls_hide_their_password() -> None:
    assert shown_url("postgresql+psycopg://me:s3cret@db.example/capital") == (
        "postgresql+psycopg://me:***@db.example/capital"
    )
    assert shown_url("duckdb:///data/capital_pipeline.duckdb") == "duckdb:///data/capital_pipeline.duckdb"


def test_the_lock_timeout_reaches_the_warehouse_resource_only_when_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(LOCK_TIMEOUT_VARIABLE, raising=False)
    assert warehouse_run_config() == {}
    monkeypatch.setenv(LOCK_TIMEOUT_VARIABLE, "2.5")
    assert warehouse_run_config() == {"resources": {"warehouse": {"config": {"lock_timeout_seconds": 2.5}}}}
