"""``capital-pipeline snapshot``: one snapshot of the Capital.com login the environment configures."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.console import Console

from capital_pipeline.commands.failures import reported
from capital_pipeline.commands.runs import take_snapshot
from capital_pipeline.commands.settings import capital_resource_from_env, open_warehouse
from capital_pipeline.warehouse import DEFAULT_URL

__all__ = ["snapshot_command"]


@reported
def snapshot_command(
    database_url: Annotated[
        str | None,
        typer.Option(
            help=f"Where the snapshot lands: a SQLAlchemy URL. Default: CAPITAL_PIPELINE_DATABASE_URL, else "
            f"{DEFAULT_URL}.",
        ),
    ] = None,
) -> None:
    """Snapshot the Capital.com login the environment configures, through Dagster.

    Needs CAPITAL_API_KEY, CAPITAL_IDENTIFIER and CAPITAL_PASSWORD; reads CAPITAL_ENVIRONMENT (demo or live),
    CAPITAL_BASE_URL and CAPITAL_ENCRYPTED_PASSWORD if set. A refused login is tried once per run.
    Exit code 0 only when the run succeeded.
    """
    console = Console(soft_wrap=True)
    capital = capital_resource_from_env()
    url = database_url or os.environ.get("CAPITAL_PIPELINE_DATABASE_URL") or DEFAULT_URL
    warehouse = open_warehouse(url)
    console.print(f"Snapshotting {capital.target()} ...", highlight=False)
    again = ("capital-pipeline snapshot", "another snapshot: the change views compare it with this one")
    take_snapshot(console, warehouse=warehouse, database_url=url, tags={}, again=again)
