"""What a run landed (read back from the warehouse and the run's event log), and what to try next."""

from __future__ import annotations

import json
import shlex
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from dagster import DagsterEventType, DagsterInstance
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from capital_pipeline.commands.failures import FailedCheck
from capital_pipeline.commands.home import dagster_home
from capital_pipeline.commands.settings import shown_url
from capital_pipeline.warehouse import Warehouse, duckdb_file, reader_copy_path

__all__ = [
    "Landed",
    "cli_command",
    "database_option",
    "failed_checks",
    "next_steps",
    "print_next_steps",
    "print_summary",
    "read_landed",
    "shown_path",
]

_LATEST_MARKETS = "SELECT epic, instrument_name, bid, offer FROM capital.latest_markets LIMIT 5"
_CHANGES = (
    "SELECT change, COUNT(*) AS held, "
    "SUM(CASE WHEN snapshot_id = :snapshot_id THEN 1 ELSE 0 END) AS in_snapshot "
    "FROM {view} GROUP BY change ORDER BY change"
)


@dataclass(frozen=True)
class Landed:
    """The run's snapshot as the warehouse now holds it, and what the change views hold."""

    snapshot_id: str
    request_count: int | None
    table_rows: dict[str, int]
    changes: dict[str, pd.DataFrame]


def read_landed(warehouse: Warehouse, run_id: str) -> Landed | None:
    """The snapshot published by ``run_id`` (None if the warehouse holds none from it)."""
    found = warehouse.query(
        "SELECT snapshot_id, request_count FROM snapshots WHERE run_id = :run_id AND status = 'succeeded'",
        {"run_id": run_id},
    )
    if found.empty:
        return None
    snapshot_id = str(found["snapshot_id"].iloc[0])
    requests = found["request_count"].iloc[0]
    changes = {
        view: warehouse.query(_CHANGES.format(view=view), {"snapshot_id": snapshot_id})
        for view in ("market_changes", "watchlist_changes")
    }
    count = None if pd.isna(requests) else int(requests)
    return Landed(snapshot_id, count, warehouse.table_counts(snapshot_id), changes)


def failed_checks(instance: DagsterInstance, run_id: str) -> list[FailedCheck]:
    """The run's asset checks that did not pass, with their descriptions and plain metadata values."""
    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION).records
    failed = []
    for record in records:
        event = record.event_log_entry.dagster_event
        evaluation = event.asset_check_evaluation_data if event else None
        if evaluation is not None and not evaluation.passed:
            failed.append(
                FailedCheck(
                    check_name=evaluation.check_name,
                    asset=evaluation.asset_key.to_user_string(),
                    severity=evaluation.severity.value,
                    # Events written before Dagster recorded it: an ERROR check is taken as blocking.
                    blocking=evaluation.blocking is not False,
                    description=evaluation.description,
                    metadata=_plain_values(evaluation.metadata),
                )
            )
    return failed


def _plain_values(metadata: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    # Numbers and short texts (the counts a check compares); tables, JSON and long texts stay in the UI.
    values = ((key, getattr(value, "value", value)) for key, value in metadata.items())
    return tuple(
        (key, f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value))
        for key, value in values
        if isinstance(value, int | float | str) and len(str(value)) <= 80
    )


def _changes_text(frame: pd.DataFrame) -> tuple[str, str]:
    if frame.empty:
        return "0", "none: changes need two snapshots that differ"
    held = int(frame["held"].sum())
    now = ", ".join(f"{int(row.in_snapshot)} {row.change}" for row in frame.itertuples() if row.in_snapshot)
    return str(held), f"this snapshot: {now or 'no change'}"


def print_summary(
    console: Console,
    landed: Landed,
    *,
    seconds: float,
    run_id: str,
    database: str,
    checks: Sequence[FailedCheck],
    expected_checks: Mapping[str, str] | None = None,
) -> None:
    """The snapshot's tables and row counts, the change views' contents, and checks that did not pass.

    ``expected_checks`` maps a check's name to why it is expected not to pass here, said after it.
    """
    requests = f", {landed.request_count} API requests" if landed.request_count is not None else ""
    console.print(
        f"\nSnapshot [bold]{landed.snapshot_id}[/] published to {database} in {seconds:.1f} s "
        f"(Dagster run {run_id}{requests}).",
        highlight=False,
    )
    table = Table(title=None, show_edge=False)
    table.add_column("table")
    table.add_column("rows", justify="right")
    table.add_column("notes")
    for name, rows in landed.table_rows.items():
        table.add_row(name, f"{rows:,}", "")
    for view, frame in landed.changes.items():
        held, notes = _changes_text(frame)
        table.add_row(f"{view} (view)", held, notes)
    console.print(table)
    for check in checks:
        why = (expected_checks or {}).get(check.check_name)
        expected = f"; expected: {escape(why)}" if why else ""
        console.print(
            f"[yellow]check did not pass:[/] {escape(check.name)}{expected}",
            highlight=False,
        )


def shown_path(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it, else absolute."""
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path.absolute())


def cli_command(*args: str) -> str:
    """``capital-pipeline ARGS`` as it can be typed here: the bare name only when the shell finds this script
    (``make demo`` runs ``.venv/bin/capital-pipeline``, which is not on PATH unless the venv is active),
    after ``DAGSTER_HOME=...`` when the instance is not the default ``.dagster_home`` here."""
    script = Path(sys.executable).with_name("capital-pipeline")
    found = shutil.which("capital-pipeline")
    if not script.exists() or (found is not None and Path(found).resolve() == script.resolve()):
        words = ["capital-pipeline", *args]
    else:
        words = [shown_path(script), *args]
    home = dagster_home()
    if home != Path.cwd() / ".dagster_home":
        words.insert(0, f"DAGSTER_HOME={home}")
    return shlex.join(words)


def database_option(database_url: str | None) -> list[str]:
    """``--database-url URL`` as the user gave it (its password masked), or nothing when they gave none."""
    return [] if database_url is None else ["--database-url", shown_url(database_url)]


def next_steps(url: str, *, again: tuple[str, str], ui: str) -> list[tuple[str, str]]:
    """Commands to try next: ``ui`` (the UI's command), a query of ``capital.latest_markets``, and ``again``
    (command, what).

    DuckDB targets are read through their reader copy: a reader of the warehouse file itself would block the
    next run (DuckDB 2.0), a reader of the copy blocks nobody.
    """
    steps = [(ui, "Dagster's UI on this instance (runs, assets, checks) at http://127.0.0.1:3000")]
    database = duckdb_file(url)
    if database is not None:
        shown = shown_path(database)
        code = (
            f"from capital_pipeline.warehouse import open_reader; "
            f"print(open_reader({json.dumps(shown)}).sql({json.dumps(_LATEST_MARKETS)}))"
        )
        steps.append((shlex.join([shown_path(Path(sys.executable)), "-c", code]), "the latest markets"))
        if shutil.which("duckdb"):
            copy = shown_path(reader_copy_path(database))
            steps.append(
                (shlex.join(["duckdb", "-readonly", copy, _LATEST_MARKETS]), "the same, in DuckDB's CLI")
            )
    else:
        steps.append((_LATEST_MARKETS, "the latest markets, in your SQL client"))
    steps.append(again)
    # The password is never printed: the user types it in place of the mask.
    return [
        (command, f"{what} (*** is your database password)" if "***" in command else what)
        for command, what in steps
    ]


def print_next_steps(console: Console, steps: Sequence[tuple[str, str]]) -> None:
    """``Next:`` and one command per line with what it shows."""
    console.print("\nNext:", highlight=False)
    for command, what in steps:
        console.print(f"  {command}", highlight=False, markup=False, soft_wrap=True)
        console.print(f"      {what}", highlight=False, markup=False, style="dim")
