"""`capital-pipeline snapshot` for real: the installed script, the multiprocess executor, the simulator."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from dagster import DagsterInstance

from capital_pipeline.defs.checks import ACCEPT_DROP_TAG
from capital_pipeline.simulator import SimulatorHandle
from capital_pipeline.warehouse import DATA_TABLES, Warehouse
from capital_pipeline_tests.commands.conftest import (
    assert_no_secrets,
    assert_plain_failure,
    cli_env,
    closed_loopback_port,
    run_cli,
)

pytestmark = pytest.mark.slow


def test_a_snapshot_of_the_configured_login_lands_and_exits_0_and_accept_drop_tags_its_run(
    tmp_path: Path, capital_settings: dict[str, str]
) -> None:
    env = cli_env(tmp_path, **capital_settings)
    result = run_cli(["snapshot", "--accept-drop"], cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    # --accept-drop: the run's drop checks let a real drop through (test_checks_and_metadata runs that case).
    (run,) = DagsterInstance.from_config(env["DAGSTER_HOME"]).get_runs()
    assert run.tags[ACCEPT_DROP_TAG] == "true"
    assert_no_secrets(result.stdout + result.stderr)
    warehouse = Warehouse.from_url(f"duckdb:///{tmp_path / 'data' / 'capital_pipeline.duckdb'}")
    latest = warehouse.latest_snapshot()
    assert latest is not None and latest.snapshot.snapshot_id == f"run-{latest.snapshot.run_id}"
    counts = warehouse.table_counts(latest.snapshot.snapshot_id)
    assert set(counts) == {table.name for table in DATA_TABLES} and all(counts.values())
    assert f"Snapshot run-{latest.snapshot.run_id} published" in result.stdout
    assert "capital-pipeline snapshot" in result.stdout


def test_a_wrong_password_is_tried_once_and_named(
    tmp_path: Path, capital_settings: dict[str, str], simulator: SimulatorHandle
) -> None:
    settings = {**capital_settings, "CAPITAL_PASSWORD": "not-the-password"}
    result = run_cli(["snapshot"], cwd=tmp_path, env=cli_env(tmp_path, **settings))
    assert_plain_failure(result, "Login refused", "CAPITAL_PASSWORD")
    assert "not-the-password" not in result.stdout + result.stderr
    assert simulator.stats()["logins"]["attempts"] == 1


def test_an_unreachable_host_is_one_clear_message(tmp_path: Path, capital_settings: dict[str, str]) -> None:
    settings = {**capital_settings, "CAPITAL_BASE_URL": f"http://127.0.0.1:{closed_loopback_port()}"}
    result = run_cli(["snapshot"], cwd=tmp_path, env=cli_env(tmp_path, **settings))
    assert_plain_failure(result, "Capital.com could not be reached", "CAPITAL_BASE_URL")


def test_a_missing_variable_is_named_before_anything_starts(
    tmp_path: Path, capital_settings: dict[str, str]
) -> None:
    settings = {name: value for name, value in capital_settings.items() if name != "CAPITAL_IDENTIFIER"}
    result = run_cli(["snapshot"], cwd=tmp_path, env=cli_env(tmp_path, **settings))
    assert_plain_failure(result, "Missing environment variable: CAPITAL_IDENTIFIER.")
    assert result.returncode == 2
    assert not (tmp_path / "dagster_home").exists()


def test_a_database_locked_by_another_process_fails_the_command_with_one_clear_message(
    tmp_path: Path, capital_settings: dict[str, str], simulator: SimulatorHandle
) -> None:
    database = tmp_path / "locked.duckdb"
    hold = (
        "import duckdb, sys, time; connection = duckdb.connect(sys.argv[1]); connection.execute('BEGIN'); "
        "print('held', flush=True); time.sleep(240)"
    )
    with subprocess.Popen(
        [sys.executable, "-c", hold, str(database)], stdout=subprocess.PIPE, text=True
    ) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
            settings = {**capital_settings, "CAPITAL_PIPELINE_LOCK_TIMEOUT_SECONDS": "2"}
            result = run_cli(
                ["snapshot", "--database-url", f"duckdb:///{database}"],
                cwd=tmp_path,
                env=cli_env(tmp_path, **settings),
            )
        finally:
            holder.kill()
    # Found by the check before the run: nothing crawled for a publish that could not happen.
    assert_plain_failure(
        result,
        "The database is locked by another process",
        f"process {holder.pid}",
        "CAPITAL_PIPELINE_LOCK_TIMEOUT_SECONDS",
    )
    assert result.returncode == 1
    assert not (tmp_path / "dagster_home").exists()


@pytest.mark.parametrize("url", ["postgresql//postgres@127.0.0.1/test", "not a url"])
def test_a_mistyped_database_url_is_refused_and_no_file_is_made_of_it(
    tmp_path: Path, capital_settings: dict[str, str], simulator: SimulatorHandle, url: str
) -> None:
    result = run_cli(
        ["snapshot", "--database-url", url], cwd=tmp_path, env=cli_env(tmp_path, **capital_settings)
    )
    assert_plain_failure(result, "The database URL cannot be parsed", "duckdb:///path/file.duckdb")
    assert result.returncode == 2
    assert not (tmp_path / url).exists() and not (tmp_path / "postgresql").exists()
    assert simulator.stats()["requests_total"] == 0


def test_a_database_that_cannot_be_used_is_refused_before_any_request(
    tmp_path: Path, capital_settings: dict[str, str], simulator: SimulatorHandle
) -> None:
    url = f"postgresql://nobody:db-pass-5678@127.0.0.1:{closed_loopback_port()}/x"
    result = run_cli(
        ["snapshot", "--database-url", url], cwd=tmp_path, env=cli_env(tmp_path, **capital_settings)
    )
    assert_plain_failure(result, "The database could not be used: ", "--database-url")
    assert result.returncode == 2
    assert "db-pass-5678" not in result.stdout + result.stderr
    assert simulator.stats()["requests_total"] == 0
    assert not (tmp_path / "dagster_home").exists()


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("CAPITAL_PASSWORD", " ", "Missing environment variable: CAPITAL_PASSWORD."),
        ("CAPITAL_PIPELINE_LOCK_TIMEOUT_SECONDS", "soon", "CAPITAL_PIPELINE_LOCK_TIMEOUT_SECONDS must be"),
        ("CAPITAL_TIMEOUT_SECONDS", "0", "Fix CAPITAL_TIMEOUT_SECONDS"),
    ],
)
def test_a_setting_found_wrong_exits_2_before_any_request(
    tmp_path: Path,
    capital_settings: dict[str, str],
    simulator: SimulatorHandle,
    name: str,
    value: str,
    expected: str,
) -> None:
    result = run_cli(["snapshot"], cwd=tmp_path, env=cli_env(tmp_path, **{**capital_settings, name: value}))
    assert_plain_failure(result, expected)
    assert result.returncode == 2
    assert simulator.stats()["requests_total"] == 0


def _next_commands(stdout: str) -> list[str]:
    """The commands under ``Next:`` (each followed by an indented line saying what it shows)."""
    lines = stdout.split("\nNext:\n", 1)[1].splitlines()
    return [line.strip() for line in lines[0::2]]


def test_the_next_commands_keep_the_database_url_and_dagster_home_and_work_as_printed(
    tmp_path: Path, capital_settings: dict[str, str]
) -> None:
    target = tmp_path / "elsewhere" / "x.duckdb"
    url = f"duckdb:///{target}"
    env = cli_env(tmp_path, **capital_settings)  # DAGSTER_HOME outside the working directory
    result = run_cli(["snapshot", "--database-url", url], cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    commands = _next_commands(result.stdout)
    ui = next(command for command in commands if " ui" in command)
    again = commands[-1]
    for command in (ui, again):
        assert command.startswith(f"DAGSTER_HOME={env['DAGSTER_HOME']} ")
        assert f"--database-url {url}" in command
    assert "make ui" not in result.stdout
    # As printed, in a shell that has the login but not DAGSTER_HOME.
    shell_env = {name: value for name, value in env.items() if name != "DAGSTER_HOME"}
    rerun = subprocess.run(
        ["bash", "-c", again], cwd=tmp_path, env=shell_env, capture_output=True, text=True, timeout=280
    )
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert len(Warehouse.from_url(url).query("SELECT * FROM snapshots WHERE status = 'succeeded'")) == 2
    assert not (tmp_path / "data").exists() and not (tmp_path / ".dagster_home").exists()
