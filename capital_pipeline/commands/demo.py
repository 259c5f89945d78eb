"""``capital-pipeline demo``: one simulated day's snapshot, through Dagster, from the offline Capital.com."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.console import Console

from capital_pipeline.commands.failures import CommandFailed, reported
from capital_pipeline.commands.runs import take_snapshot
from capital_pipeline.commands.settings import prepare_warehouse
from capital_pipeline.commands.summary import cli_command, database_option
from capital_pipeline.defs.identity import SNAPSHOT_AT_TAG, SNAPSHOT_ID_TAG
from capital_pipeline.simulator import SimulatorConfig, SimulatorHandle, run_simulator
from capital_pipeline.warehouse import DEFAULT_URL, Warehouse, WarehouseError

__all__ = [
    "DEMO_EPOCH",
    "EXPECTED_CHECKS",
    "demo_command",
    "demo_snapshot_id",
    "demo_tags",
    "next_demo_day",
    "simulator_settings",
]

_DEMO_SNAPSHOT = re.compile(r"simulator-day-(\d+)")
# Simulated day N is stamped DEMO_EPOCH + N days, so the change views (ordered by snapshot_at) follow the
# simulated days: re-running day 0 after day 1 replaces day 0 and never makes it the latest.
DEMO_EPOCH = datetime(2026, 1, 1, 6, 0, tzinfo=UTC)
# The simulator's universe has, on purpose, a node holding more markets than the API's limit shows (README.md,
# Checks), so its truncation warning is expected on every demo run.
EXPECTED_CHECKS = {
    "no_truncated_nodes": "the simulator's hierarchy_v1.shares.us.all_shares holds more markets than the "
    "API's limit of 500 shows, as real nodes can",
}


def demo_snapshot_id(day: int) -> str:
    """``simulator-day-NNNN``."""
    return f"simulator-day-{day:04d}"


def demo_tags(day: int) -> dict[str, str]:
    """The run tags that make the run's snapshot simulated day ``day``."""
    return {
        SNAPSHOT_ID_TAG: demo_snapshot_id(day),
        SNAPSHOT_AT_TAG: (DEMO_EPOCH + timedelta(days=day)).isoformat(),
    }


def next_demo_day(warehouse: Warehouse) -> int:
    """1 + the highest simulated day published in ``warehouse``; 0 when there is none."""
    if not warehouse.is_initialized():
        return 0
    published = warehouse.query(
        "SELECT snapshot_id FROM snapshots WHERE status = 'succeeded' AND snapshot_id LIKE 'simulator-day-%'"
    )
    days = [int(found[1]) for text in published["snapshot_id"] if (found := _DEMO_SNAPSHOT.fullmatch(text))]
    return max(days) + 1 if days else 0


def simulator_settings(simulator: SimulatorHandle, rate: int) -> dict[str, str]:
    """The ``CAPITAL_*`` variables that point the job at ``simulator`` with its demo login, at ``rate``.

    CAPITAL_BASE_URL wins over any CAPITAL_ENVIRONMENT the user has set.
    """
    credentials = simulator.credentials
    return {
        "CAPITAL_BASE_URL": simulator.base_url,
        "CAPITAL_API_KEY": credentials.api_key,
        "CAPITAL_IDENTIFIER": credentials.identifier,
        "CAPITAL_PASSWORD": credentials.password,
        "CAPITAL_ENCRYPTED_PASSWORD": "true",
        "CAPITAL_REQUESTS_PER_SECOND": str(rate),
    }


@reported
def demo_command(
    day: Annotated[
        int | None,
        typer.Option(
            min=0, help="Simulated day to snapshot (re-running a day replaces it). Default: the next."
        ),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            help="Where the snapshot lands: a URL, duckdb:///path/file.duckdb (relative to the working "
            "directory) or a PostgreSQL URL such as postgresql+psycopg://user@host/db; a bare file path is "
            f"refused. Default: {DEFAULT_URL} (CAPITAL_PIPELINE_DATABASE_URL is ignored, so simulated data "
            "never reaches it).",
        ),
    ] = None,
    rate: Annotated[
        int,
        typer.Option(min=1, help="Requests per second for the simulator and the client (the real API: 10)."),
    ] = 10,
) -> None:
    """Snapshot the offline Capital.com simulator through Dagster; each run adds the next simulated day."""
    console = Console(soft_wrap=True)
    url = database_url or DEFAULT_URL
    warehouse = prepare_warehouse(url)
    try:
        upcoming = next_demo_day(warehouse)
    except WarehouseError as error:
        raise CommandFailed.from_error(error) from None
    chosen = upcoming if day is None else day
    console.print(f"Starting the Capital.com simulator on day {chosen} ...", highlight=False)
    with run_simulator(SimulatorConfig(day=chosen, rate_limit=rate), in_subprocess=True) as simulator:
        console.print(
            f"Simulator at {simulator.base_url} (its demo login; {rate} requests/s)", highlight=False
        )
        # This process's environment only; the run's step processes inherit it.
        os.environ.update(simulator_settings(simulator, rate))
        after = max(upcoming, chosen + 1)
        given = database_option(database_url)
        again = (cli_command("demo", *given), f"the next simulated day ({after}): the change views grow")
        take_snapshot(
            console,
            warehouse=warehouse,
            database_url=url,
            tags=demo_tags(chosen),
            again=again,
            ui=cli_command("ui", "--demo", *given),
            expected_checks=EXPECTED_CHECKS,
        )
