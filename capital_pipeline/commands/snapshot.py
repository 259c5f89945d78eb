"""``capital-pipeline snapshot``: one snapshot of the Capital.com login the environment configures."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.console import Console

from capital_pipeline.commands.failures import reported
from capital_pipeline.commands.runs import take_snapshot
from capital_pipeline.commands.settings import capital_resource_from_env, prepare_warehouse
from capital_pipeline.commands.summary import cli_command, database_option
from capital_pipeline.defs.checks import ACCEPT_DROP_TAG
from capital_pipeline.warehouse import DEFAULT_URL

__all__ = ["snapshot_command"]


@reported
def snapshot_command(
    database_url: Annotated[
        str | None,
        typer.Option(
            help="Where the snapshot lands: a URL, duckdb:///path/file.duckdb (relative to the working "
            "directory) or a PostgreSQL URL such as postgresql+psycopg://user@host/db; a bare file path is "
            f"refused. Default: CAPITAL_PIPELINE_DATABASE_URL, else {DEFAULT_URL}.",
        ),
    ] = None,
    accept_drop: Annotated[
        bool,
        typer.Option(
            help="Publish even if the snapshot holds over 20% fewer markets or nodes than the previous one "
            "(a real drop: later snapshots then compare with this one).",
        ),
    ] = False,
) -> None:
    """Snapshot the Capital.com login the environment configures, through Dagster.

    Needs CAPITAL_API_KEY, CAPITAL_IDENTIFIER and CAPITAL_PASSWORD. Reads, if set: CAPITAL_ENVIRONMENT,
    CAPITAL_BASE_URL, CAPITAL_ENCRYPTED_PASSWORD, CAPITAL_REQUESTS_PER_SECOND, CAPITAL_TIMEOUT_SECONDS,
    CAPITAL_RETRY_BACKOFF_SECONDS, CAPITAL_PIPELINE_DATABASE_URL, CAPITAL_PIPELINE_LOCK_TIMEOUT_SECONDS,
    CAPITAL_PIPELINE_STATE_DIR and DAGSTER_HOME (README.md, Configuration, says what each does).

    Settings and the database are checked first (exit 2 if one is wrong); a refused login is tried once
    per run. Exit code 0 only when the run succeeded, 1 when it failed.
    """
    console = Console(soft_wrap=True)
    capital = capital_resource_from_env()
    url = database_url or os.environ.get("CAPITAL_PIPELINE_DATABASE_URL") or DEFAULT_URL
    warehouse = prepare_warehouse(url)
    console.print(f"Snapshotting {capital.target()} ...", highlight=False)
    given = database_option(database_url)
    again = (cli_command("snapshot", *given), "another snapshot: the change views compare it with this one")
    ui = cli_command("ui", *given)
    tags = {ACCEPT_DROP_TAG: "true"} if accept_drop else {}
    take_snapshot(console, warehouse=warehouse, database_url=url, tags=tags, again=again, ui=ui)
