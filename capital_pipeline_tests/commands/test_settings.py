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
    prepare_warehouse,
    shown_url,
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
        # Timing settings name their variable and what it accepts, not the internal field.
        (
            "CAPITAL_TIMEOUT_SECONDS",
            "abc",
            "CAPITAL_TIMEOUT_SECONDS must be a number of seconds, greater than 0",
        ),
        (
            "CAPITAL_TIMEOUT_SECONDS",
            "0",
            "CAPITAL_TIMEOUT_SECONDS must be a number of seconds, greater than 0",
        ),
        (
            "CAPITAL_RETRY_BACKOFF_SECONDS",
            "-1",
            "CAPITAL_RETRY_BACKOFF_SECONDS must be a number of seconds, 0 or more",
        ),
    ],
)
def test_optional_settings_that_cannot_work_are_refused_before_the_run_naming_what_to_fix(
    environment: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    environment.setenv(name, value)
    with pytest.raises(CommandFailed) as failed:
        capital_resource_from_env()
    assert expected in failed.value.message
    assert failed.value.exit_code == EXIT_CONFIGURATION
    assert name in failed.value.message  # the variable the user set, never an internal field name
    assert "timeout must" not in failed.value.message and "backoff_base" not in failed.value.message


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


@pytest.mark.parametrize(
    "url",
    ["postgresql//postgres@127.0.0.1/test", "not a url", "data/capital.duckdb", "postgresql//me:pw-1234@h/d"],
)
def test_a_database_url_that_cannot_be_parsed_is_refused_not_taken_for_a_file(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CommandFailed) as failed:
        open_warehouse(url)
    assert failed.value.exit_code == EXIT_CONFIGURATION
    assert failed.value.message.startswith("The database URL cannot be parsed:")
    assert "duckdb:///path/file.duckdb" in failed.value.message
    assert "postgresql+psycopg://user@host/db" in failed.value.message
    assert "pw-1234" not in failed.value.message
    assert list(tmp_path.iterdir()) == []


def test_a_bare_duckdb_file_name_is_told_its_url() -> None:
    with pytest.raises(CommandFailed) as failed:
        open_warehouse("data/capital.duckdb")
    assert "write duckdb:///data/capital.duckdb" in failed.value.message


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("postgresql://nobody:pw-secret-1@127.0.0.1:1/x", "Connection refused"),
        ("duckdb:///{readme}/x.duckdb", "cannot create the folder"),
        ("oracle+oracledb://nobody:pw-secret-1@127.0.0.1/x", "driver is not installed"),
        ("mysql://nobody:pw-secret-1@127.0.0.1/x", "mysql cannot hold the warehouse"),
    ],
)
def test_a_database_that_cannot_be_used_is_refused_before_the_run(
    url: str, reason: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CAPITAL_PIPELINE_DATABASE_URL", raising=False)
    (tmp_path / "README.md").write_text("a file, not a folder")
    with pytest.raises(CommandFailed) as failed:
        prepare_warehouse(url.format(readme=tmp_path / "README.md"))
    assert failed.value.exit_code == EXIT_CONFIGURATION
    assert failed.value.message.startswith("The database could not be used:")
    assert reason in failed.value.message
    assert (
        "--database-url" in failed.value.message and "CAPITAL_PIPELINE_DATABASE_URL" in failed.value.message
    )
    assert "pw-secret-1" not in failed.value.message
    assert "Traceback" not in failed.value.message


def test_a_usable_database_gets_its_schema_before_the_run(tmp_path: Path) -> None:
    warehouse = prepare_warehouse(f"duckdb:///{tmp_path / 'w.duckdb'}")
    assert warehouse.is_initialized()


@pytest.mark.parametrize(("name", "value"), [("CAPITAL_PASSWORD", " "), ("CAPITAL_API_KEY", "   ")])
def test_a_blank_credential_is_missing(environment: pytest.MonkeyPatch, name: str, value: str) -> None:
    environment.setenv(name, value)
    with pytest.raises(CommandFailed) as failed:
        capital_resource_from_env()
    assert failed.value.exit_code == EXIT_CONFIGURATION
    assert failed.value.message.startswith(f"Missing environment variable: {name}.")


@pytest.mark.parametrize("value", ["soon", "-1", "nan"])
def test_a_lock_timeout_that_is_not_seconds_is_a_setting_error(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(LOCK_TIMEOUT_VARIABLE, value)
    with pytest.raises(CommandFailed) as failed:
        open_warehouse("duckdb:///data/x.duckdb")
    assert failed.value.exit_code == EXIT_CONFIGURATION
    assert failed.value.message.startswith(f"{LOCK_TIMEOUT_VARIABLE} must be a number of seconds, 0 or more")
