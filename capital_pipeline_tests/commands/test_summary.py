"""What to try next after a snapshot: commands that work as printed, for the database the run wrote to."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import duckdb
import pytest
from rich.console import Console

from capital_pipeline.commands.failures import FailedCheck
from capital_pipeline.commands.summary import Landed, cli_command, database_option, next_steps, print_summary
from capital_pipeline_tests.commands.conftest import CLI

AGAIN = ("capital-pipeline demo", "the next simulated day")
UI = "capital-pipeline ui --demo"


def test_a_duckdb_target_gets_a_python_one_liner_reading_the_reader_copy_that_runs_as_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    with duckdb.connect(str(tmp_path / "data" / "x.duckdb")) as database:
        database.execute("CREATE SCHEMA capital")
        database.execute(
            "CREATE TABLE capital.latest_markets AS "
            "SELECT 'AAPL' AS epic, 'Apple' AS instrument_name, 1.0 AS bid, 1.1 AS offer"
        )
    reader_copy = tmp_path / "data" / "x.reader.duckdb"
    (tmp_path / "data" / "x.duckdb").rename(reader_copy)  # a commit leaves the copy; readers only see that
    steps = next_steps(f"duckdb:///{tmp_path / 'data' / 'x.duckdb'}", again=AGAIN, ui=UI)
    assert steps[0][0] == UI and steps[-1] == AGAIN
    query = next(command for command, what in steps if what == "the latest markets")
    assert '"data/x.duckdb"' in query and "open_reader" in query
    shown = subprocess.run(shlex.split(query), cwd=tmp_path, capture_output=True, text=True, check=True)
    assert "AAPL" in shown.stdout


def test_another_database_gets_the_query_to_run_in_its_own_client() -> None:
    steps = next_steps("postgresql+psycopg://me:secret@db/capital", again=AGAIN, ui=UI)
    assert (
        "SELECT epic, instrument_name, bid, offer FROM capital.latest_markets LIMIT 5",
        "the latest markets, in your SQL client",
    ) in steps
    assert not any("secret" in command for command, _ in steps)


def test_the_command_to_run_again_works_as_printed_whether_or_not_the_venv_is_on_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setenv("PATH", os.pathsep.join([str(tmp_path), "/usr/bin", "/bin"]))
    assert cli_command("demo") == f"{CLI} demo"  # make demo runs .venv/bin/capital-pipeline, not on PATH
    monkeypatch.setenv("PATH", os.pathsep.join([str(CLI.parent), "/usr/bin", "/bin"]))
    assert cli_command("demo") == "capital-pipeline demo"


def test_a_check_expected_not_to_pass_says_so() -> None:
    console = Console(record=True, width=400)
    landed = Landed("simulator-day-0000", 10, {"markets": 3}, {})
    checks = [
        FailedCheck("no_truncated_nodes", "navigation_nodes", "WARN", blocking=False),
        FailedCheck("unique_keys", "markets", "ERROR", blocking=True),
    ]
    expected = {"no_truncated_nodes": "the simulator means it"}
    print_summary(
        console, landed, seconds=1.0, run_id="r", database="d", checks=checks, expected_checks=expected
    )
    shown = console.export_text()
    assert "no_truncated_nodes on navigation_nodes (WARN); expected: the simulator means it" in shown
    assert "unique_keys on markets (ERROR)\n" in shown


def test_a_dagster_home_other_than_the_default_one_leads_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", os.pathsep.join([str(CLI.parent), "/usr/bin", "/bin"]))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / ".dagster_home"))
    assert cli_command("ui") == "capital-pipeline ui"
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "my home"))
    assert cli_command("ui") == f"'DAGSTER_HOME={tmp_path / 'my home'}' capital-pipeline ui"


def test_a_database_url_given_is_passed_on_its_password_masked_and_said_so() -> None:
    assert database_option(None) == []
    option = database_option("postgresql+psycopg://me:secret@db/capital")
    assert option == ["--database-url", "postgresql+psycopg://me:***@db/capital"]
    again = (shlex.join(["capital-pipeline", "snapshot", *option]), "another snapshot")
    steps = next_steps("postgresql+psycopg://me:secret@db/capital", again=again, ui=UI)
    assert steps[-1][1] == "another snapshot (*** is your database password)"
