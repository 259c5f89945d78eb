"""The `capital-pipeline` command line: every command is there, with its options and help."""

from __future__ import annotations

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
