"""One snapshot through Dagster, as both commands take it: instance, run with progress, outcome, summary."""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Console

from capital_pipeline.commands.failures import EXIT_INTERRUPTED, CommandFailed, explain_run_failure
from capital_pipeline.commands.home import dagster_home, prepare_instance
from capital_pipeline.commands.launching import dagster_log_path, run_snapshot_job
from capital_pipeline.commands.progress import display_for
from capital_pipeline.commands.settings import shown_url, use_database_url
from capital_pipeline.commands.summary import (
    failed_checks,
    next_steps,
    print_next_steps,
    print_summary,
    read_landed,
    shown_path,
)
from capital_pipeline.defs.launch import SNAPSHOT_JOB
from capital_pipeline.warehouse import Warehouse, WarehouseError

__all__ = ["take_snapshot"]


def take_snapshot(
    console: Console,
    *,
    warehouse: Warehouse,
    database_url: str,
    tags: Mapping[str, str],
    again: tuple[str, str],
    ui: str,
    expected_checks: Mapping[str, str] | None = None,
) -> None:
    """Run the job into ``database_url`` and print what landed and what to try next: ``again`` (command, what)
    and ``ui`` (the command that opens this instance's UI as this command ran).

    ``expected_checks``: checks expected not to pass on this data, by name, with why (said in the summary).

    Raises ``CommandFailed`` with the advice for the run's failure when it did not succeed.
    """
    instance = prepare_instance()
    use_database_url(database_url)
    log_path = dagster_log_path(dagster_home())
    console.print(
        f"Running {SNAPSHOT_JOB} through Dagster (instance {dagster_home()}) into {shown_url(database_url)}",
        highlight=False,
    )
    outcome = run_snapshot_job(
        instance,
        tags=tags,
        run_config={},
        display=display_for(console),
        log_path=log_path,
    )
    where = f"run {outcome.run_id} in the Dagster UI ({ui}), and {shown_path(log_path)}"
    if outcome.interrupted:
        raise CommandFailed(f"Interrupted: nothing was published ({where}).", EXIT_INTERRUPTED)
    if not outcome.succeeded:
        checks = failed_checks(instance, outcome.run_id)
        raise CommandFailed(explain_run_failure(outcome.failures, outcome.run_error, where, checks))
    try:
        landed = read_landed(warehouse, outcome.run_id)
    except WarehouseError as error:
        raise CommandFailed.from_error(error) from None
    if landed is None:
        raise CommandFailed(f"The run succeeded but published no snapshot; see {where}.")
    checks = failed_checks(instance, outcome.run_id)
    print_summary(
        console,
        landed,
        seconds=outcome.seconds,
        run_id=outcome.run_id,
        database=shown_url(database_url),
        checks=checks,
        expected_checks=expected_checks,
    )
    print_next_steps(console, next_steps(database_url, again=again, ui=ui))
