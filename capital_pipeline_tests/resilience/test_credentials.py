"""Credentials the API refuses cost one login and end in one message naming the setting to fix, through a
Dagster run and through ``capital-pipeline snapshot``; settings that cannot work or would send the login in
clear are refused before any request."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import DagsterInstance

from capital_pipeline.simulator import SimulatorHandle
from capital_pipeline_tests.commands.conftest import assert_plain_failure, cli_env, run_cli
from capital_pipeline_tests.resilience.conftest import attempt_snapshot, duckdb_target
from capital_pipeline_tests.simulator_env import login_settings

pytestmark = pytest.mark.slow

KEY_ROUTES = ("GET /api/v1/session/encryptionKey", "POST /api/v1/session")
PASSWORD_SETTING = "CAPITAL_IDENTIFIER/CAPITAL_PASSWORD"
WRONG = {
    "wrong password": ({"CAPITAL_PASSWORD": "not-the-password"}, False, PASSWORD_SETTING),
    "wrong API key": ({"CAPITAL_API_KEY": "not-the-api-key"}, False, "CAPITAL_API_KEY"),
    "expired API key": ({}, True, "CAPITAL_API_KEY"),
}


@pytest.fixture
def simulator_state(capital_env: SimulatorHandle) -> Iterator[SimulatorHandle]:
    capital_env.set_faults([])
    capital_env.reset_stats()
    yield capital_env
    capital_env.set_config(api_key_expired=False)


def _key_requests(stats: dict) -> int:
    """Requests carrying the API key: the encryption key and the login itself."""
    return sum(stats["requests"].get(route, 0) for route in KEY_ROUTES)


def _assert_one_login(stats: dict, setting: str) -> None:
    # A refused key is caught at GET /session/encryptionKey, before any POST /session; a refused password
    # costs the key and one POST /session. Either way: one try, never a retry.
    if setting == PASSWORD_SETTING:
        assert stats["logins"]["attempts"] == 1, stats
        assert _key_requests(stats) == 2, stats
    else:
        assert _key_requests(stats) == 1, stats
    assert stats["trading_or_editing_calls"] == 0


@pytest.mark.parametrize("case", list(WRONG), ids=list(WRONG))
def test_refused_credentials_are_tried_once_in_a_dagster_run_and_name_the_setting(
    case: str,
    simulator_state: SimulatorHandle,
    instance: DagsterInstance,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    overrides, expired, setting = WRONG[case]
    for name, value in overrides.items():
        monkeypatch.setenv(name, value)
    simulator_state.set_config(api_key_expired=expired)
    attempt = attempt_snapshot(instance, duckdb_target(tmp_path), tags={"capital/snapshot_id": "refused"})
    assert not attempt.success
    _assert_one_login(simulator_state.stats(), setting)
    assert f"Fix {setting} and run again" in attempt.message, attempt.message
    for value in overrides.values():
        assert value not in attempt.message


@pytest.mark.parametrize("case", list(WRONG), ids=list(WRONG))
def test_refused_credentials_are_tried_once_by_the_cli_with_one_message(
    case: str, simulator_state: SimulatorHandle, tmp_path: Path
) -> None:
    overrides, expired, setting = WRONG[case]
    settings = {
        **login_settings(simulator_state),
        **overrides,
    }
    simulator_state.set_config(api_key_expired=expired)
    result = run_cli(["snapshot"], cwd=tmp_path, env=cli_env(tmp_path, **settings))
    assert_plain_failure(result, "Login refused", setting)
    assert result.stderr.count("Error:") == 1
    _assert_one_login(simulator_state.stats(), setting)
    for value in overrides.values():
        assert value not in result.stdout + result.stderr


def test_a_missing_api_key_fails_a_dagster_run_before_any_request_naming_it(
    simulator_state: SimulatorHandle, instance: DagsterInstance, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    # The resource reads the key through EnvVar: Dagster refuses the run's config, so no login is tried.
    monkeypatch.delenv("CAPITAL_API_KEY")
    with pytest.raises(Exception, match="CAPITAL_API_KEY") as raised:
        attempt_snapshot(instance, duckdb_target(tmp_path))
    assert "Traceback" not in str(raised.value)
    assert simulator_state.stats()["requests_total"] == 0


def test_a_missing_api_key_is_named_by_the_cli_before_any_request(
    simulator_state: SimulatorHandle, tmp_path: Path
) -> None:
    credentials = simulator_state.credentials
    settings = {
        "CAPITAL_BASE_URL": simulator_state.base_url,
        "CAPITAL_IDENTIFIER": credentials.identifier,
        "CAPITAL_PASSWORD": credentials.password,
    }
    result = run_cli(["snapshot"], cwd=tmp_path, env=cli_env(tmp_path, **settings))
    assert_plain_failure(result, "Missing environment variable: CAPITAL_API_KEY.")
    assert simulator_state.stats()["requests_total"] == 0


def test_a_blank_api_key_is_refused_before_any_request(
    simulator_state: SimulatorHandle, instance: DagsterInstance, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setenv("CAPITAL_API_KEY", "   ")
    attempt = attempt_snapshot(instance, duckdb_target(tmp_path))
    assert not attempt.success
    assert "CAPITAL_API_KEY is empty" in attempt.message, attempt.message
    assert simulator_state.stats()["requests_total"] == 0


@pytest.mark.parametrize("encrypted", ["true", "false"])
def test_plain_http_to_a_remote_host_is_refused_by_a_dagster_run_before_any_request(
    encrypted: str, capital_env: SimulatorHandle, instance: DagsterInstance, monkeypatch, tmp_path
) -> None:
    # 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never routed, so a request there could only hang.
    monkeypatch.setenv("CAPITAL_BASE_URL", "http://192.0.2.10:8080")
    monkeypatch.setenv("CAPITAL_ENCRYPTED_PASSWORD", encrypted)
    attempt = attempt_snapshot(instance, duckdb_target(tmp_path))
    assert not attempt.success
    assert "would cross the network in clear; use an https:// URL" in attempt.message, attempt.message
    assert "Fix the setting named above" in attempt.message


def test_plain_http_to_a_remote_host_is_refused_by_the_cli_before_any_run(
    capital_env: SimulatorHandle, tmp_path: Path
) -> None:
    credentials = capital_env.credentials
    settings = {
        "CAPITAL_BASE_URL": "http://192.0.2.10:8080",
        "CAPITAL_ENCRYPTED_PASSWORD": "false",
        "CAPITAL_API_KEY": credentials.api_key,
        "CAPITAL_IDENTIFIER": credentials.identifier,
        "CAPITAL_PASSWORD": credentials.password,
    }
    result = run_cli(["snapshot"], cwd=tmp_path, env=cli_env(tmp_path, **settings))
    assert_plain_failure(result, "in clear; use an https:// URL")
    assert result.returncode == 2
    assert not (tmp_path / "dagster_home").exists()
