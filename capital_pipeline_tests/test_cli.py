"""The `capital-pipeline` command line: every command is there, with its options and help."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from capital_pipeline.cli import app


def test_simulator_demo_and_snapshot_are_commands() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("simulator", "demo", "snapshot"):
        assert command in result.output


def test_demo_takes_a_day_a_database_url_and_a_rate() -> None:
    result = CliRunner().invoke(app, ["demo", "--help"], terminal_width=200)
    assert result.exit_code == 0
    for option in ("--day", "--database-url", "--rate"):
        assert option in result.output


def test_snapshot_without_a_login_names_every_missing_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CAPITAL_API_KEY", "CAPITAL_IDENTIFIER", "CAPITAL_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(app, ["snapshot"], terminal_width=200)
    assert result.exit_code == 2
    assert (
        "Missing environment variables: CAPITAL_API_KEY, CAPITAL_IDENTIFIER, CAPITAL_PASSWORD."
        in result.output
    )
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("simulator", ["--latency-distribution", "--session-idle-seconds", "--login-rate-limit"]),
        ("snapshot", ["--database-url", "duckdb:///data/capital_pipeline.duckdb", "CAPITAL_TIMEOUT_SECONDS"]),
        ("demo", ["--database-url", "duckdb:///data/capital_pipeline.duckdb"]),
    ],
)
def test_help_at_80_columns_wraps_instead_of_cutting_names_and_defaults(
    command: str, expected: list[str]
) -> None:
    result = CliRunner().invoke(app, [command, "--help"], terminal_width=80, env={"COLUMNS": "80"})
    assert result.exit_code == 0
    assert "…" not in result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80
    for text in expected:
        assert text in result.output


def test_snapshot_help_names_every_setting_it_reads() -> None:
    result = CliRunner().invoke(app, ["snapshot", "--help"], terminal_width=200)
    for name in (
        "CAPITAL_REQUESTS_PER_SECOND",
        "CAPITAL_RETRY_BACKOFF_SECONDS",
        "CAPITAL_PIPELINE_LOCK_TIMEOUT_SECONDS",
        "CAPITAL_PIPELINE_STATE_DIR",
    ):
        assert name in result.output


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_the_simulator_command_stops_on_a_signal_without_leak_reports(stop_signal: signal.Signals) -> None:
    # DuckDB's bindings, once imported, report "nanobind: leaked ..." at exit; the simulator needs no DuckDB.
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("capital-pipeline")), "simulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    try:
        ready = process.stdout.readline()
        process.send_signal(stop_signal)
    finally:
        _, stderr = process.communicate(timeout=60)
    assert ready.startswith("Capital.com simulator: http://127.0.0.1:")
    assert process.returncode == 0, stderr
    assert "leaked" not in stderr
