"""Failed runs and commands become one message with advice and an exit code, never a traceback or a secret."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    DagsterInstance,
    Output,
    asset,
    materialize,
)
from dagster._utils.error import serializable_error_info_from_exc_info
from dagster_shared.error import SerializableErrorInfo
from typer.testing import CliRunner

from capital_pipeline.capital.errors import AuthenticationFailed, NotFound, TransportError
from capital_pipeline.commands.failures import (
    EXIT_CONFIGURATION,
    EXIT_INTERRUPTED,
    CommandFailed,
    StepFailure,
    explain_run_failure,
    reported,
)
from capital_pipeline.commands.launching import _outcome
from capital_pipeline.commands.summary import failed_checks
from capital_pipeline.warehouse import WarehouseLocked, WarehouseMissing
from capital_pipeline.warehouse.duckdb_backend import _locked_error

WHERE = "run 1234 in the Dagster UI (make ui)"


def step_error(error: Exception) -> SerializableErrorInfo:
    """``error`` as a STEP_FAILURE carries it: wrapped like Dagster's step error, serialized by Dagster."""
    try:
        try:
            raise error
        except Exception as user_error:
            raise RuntimeError('Error occurred while executing op "capital_navigation":') from user_error
    except RuntimeError:
        return serializable_error_info_from_exc_info(sys.exc_info())


def test_a_refused_login_in_a_step_names_the_setting_to_fix() -> None:
    refused = AuthenticationFailed(
        "Capital.com refused the credentials", setting="CAPITAL_PASSWORD", status=401, path="/api/v1/session"
    )
    message = explain_run_failure([StepFailure("capital_accounts", step_error(refused))], None, WHERE)
    assert message.startswith("Login refused: Capital.com refused the credentials; check CAPITAL_PASSWORD")
    assert "capital_accounts" in message and WHERE in message
    assert "Traceback" not in message and "capital_pipeline.capital.errors" not in message


def test_the_first_step_with_an_expected_error_gives_the_advice() -> None:
    failures = [
        StepFailure("capital_watchlists", step_error(ValueError("something odd"))),
        StepFailure("capital_navigation", step_error(WarehouseLocked("file x stayed locked by process 7"))),
    ]
    message = explain_run_failure(failures, None, WHERE)
    assert message.startswith("The database is locked by another process: file x stayed locked by process 7")
    assert "capital_navigation" in message


@pytest.mark.parametrize(
    ("error", "headline"),
    [
        (TransportError("ConnectError after 5 attempt(s)"), "Capital.com could not be reached"),
        (WarehouseMissing("no warehouse yet"), "The database could not be used"),
        (NotFound("not found", status=404), "Capital.com answered in a way the pipeline cannot use"),
    ],
)
def test_each_error_family_has_its_advice(error: Exception, headline: str) -> None:
    message = explain_run_failure([StepFailure("markets", step_error(error))], None, WHERE)
    assert message.startswith(headline)


def test_an_unexpected_step_error_is_one_line_with_where_to_look() -> None:
    message = explain_run_failure([StepFailure("markets", step_error(ValueError("boom")))], None, WHERE)
    assert message == f"Step markets failed: ValueError: boom\nDetails: {WHERE}."


def test_a_run_that_failed_outside_any_step_reports_the_run_error() -> None:
    run_error = step_error(KeyError("resource"))
    assert (
        explain_run_failure([], run_error, WHERE)
        == f"The run failed: KeyError: 'resource'\nDetails: {WHERE}."
    )
    assert explain_run_failure([], None, WHERE).startswith("The run failed before any step did.")


def test_messages_never_show_the_password_or_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAPITAL_PASSWORD", "hunter2-secret")
    monkeypatch.setenv("CAPITAL_API_KEY", "key-0123456789")
    monkeypatch.setenv("CAPITAL_PIPELINE_DATABASE_URL", "postgresql://me:db-secret@host/db")
    failure = CommandFailed("hunter2-secret key-0123456789 postgresql://me:db-secret@host/db")
    assert failure.message == "*** *** postgresql://me:***@host/db"


def _app() -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False)

    @app.command()
    @reported
    def fail(kind: str) -> None:
        if kind == "expected":
            raise CommandFailed("Missing environment variable: CAPITAL_PASSWORD.", EXIT_CONFIGURATION)
        if kind == "interrupt":
            raise KeyboardInterrupt
        raise ValueError("something nobody foresaw [with brackets]")

    return app


def test_an_expected_failure_is_one_message_and_its_exit_code() -> None:
    result = CliRunner().invoke(_app(), ["expected"])
    assert result.exit_code == EXIT_CONFIGURATION
    assert result.output == "Error: Missing environment variable: CAPITAL_PASSWORD.\n"


def test_an_unexpected_failure_keeps_its_traceback_in_a_file_not_on_screen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    result = CliRunner().invoke(_app(), ["other"])
    assert result.exit_code == 1
    assert "Unexpected error: ValueError: something nobody foresaw [with brackets]" in result.output
    assert "Traceback" not in result.output
    (kept,) = (tmp_path / "logs").glob("capital-pipeline-error-*.log")
    assert "Traceback" in kept.read_text() and str(kept) in result.output.replace("\n", "")


def test_ctrl_c_exits_130() -> None:
    result = CliRunner().invoke(_app(), ["interrupt"])
    assert result.exit_code == EXIT_INTERRUPTED
    assert result.output == "Interrupted.\n"


def test_a_locked_duckdb_file_names_the_variable_and_gives_the_reader_copy_advice_once() -> None:
    locked = _locked_error(Path("/srv/data/w.duckdb"), 2.0, "Conflicting lock is held in python (PID 4242)")
    message = explain_run_failure([StepFailure("publish", step_error(locked))], None, WHERE)
    assert message.startswith("The database is locked by another process: DuckDB file /srv/data/w.duckdb ")
    assert "process 4242" in message and "CAPITAL_PIPELINE_LOCK_TIMEOUT_SECONDS" in message
    assert "lock_timeout" not in message
    assert message.count("reader copy") == 1


def test_a_lock_on_another_database_names_the_variable() -> None:
    locked = WarehouseLocked("publish: lock_timeout reached waiting for another transaction")
    message = explain_run_failure([StepFailure("publish", step_error(locked))], None, WHERE)
    assert "CAPITAL_PIPELINE_LOCK_TIMEOUT_SECONDS reached waiting" in message
    assert "reader copy" not in message and "lock_timeout " not in message


def _run_with_a_failed_drop_check(instance: DagsterInstance, described: bool) -> str:
    """A real run whose step is stopped by a blocking check, as ``no_sudden_drop`` stops one."""
    spec = AssetCheckSpec("no_sudden_drop", asset="navigation_nodes", blocking=True)

    @asset(name="navigation_nodes", check_specs=[spec])
    def navigation_nodes() -> Iterator[Output[int] | AssetCheckResult]:
        yield Output(100)
        yield AssetCheckResult(
            check_name="no_sudden_drop",
            passed=False,
            metadata={"rows": 100, "previous_rows": 2000},
            description="navigation_nodes has 100 rows against 2000. If the drop is real, accept it once."
            if described
            else None,
        )

    result = materialize([navigation_nodes], instance=instance, raise_on_error=False)
    assert not result.success
    return result.run_id


@pytest.fixture
def instance() -> Iterator[DagsterInstance]:
    with DagsterInstance.ephemeral() as ephemeral:
        yield ephemeral


@pytest.mark.parametrize("described", [True, False])
def test_a_step_stopped_by_a_blocking_check_names_the_check_its_description_and_counts(
    instance: DagsterInstance, described: bool
) -> None:
    run_id = _run_with_a_failed_drop_check(instance, described)
    outcome = _outcome(instance, run_id, 1.0)
    checks = failed_checks(instance, run_id)
    message = explain_run_failure(outcome.failures, outcome.run_error, WHERE, checks)
    headline, *details = message.splitlines()
    assert headline == "Step navigation_nodes failed: 1 blocking asset check failed with ERROR severity:"
    assert "navigation_nodes: no_sudden_drop" in details[0]
    assert "rows 100" in details[0] and "previous_rows 2,000" in details[0]
    if described:
        assert "has 100 rows against 2000. If the drop is real, accept it once." in details[0]
    else:
        assert "Checks tab in the Dagster UI" in message
    assert details[-1] == f"Details: {WHERE}."
    assert "DagsterAssetCheckFailedError" not in message


def test_without_the_evaluations_dagsters_own_list_of_failed_checks_is_kept(
    instance: DagsterInstance,
) -> None:
    run_id = _run_with_a_failed_drop_check(instance, described=True)
    outcome = _outcome(instance, run_id, 1.0)
    message = explain_run_failure(outcome.failures, outcome.run_error, WHERE)
    assert "navigation_nodes: no_sudden_drop" in message
