"""``capital-pipeline ui``: Dagster's UI (``dagster dev``) on the instance the other commands use, with the
Capital.com login the environment configures or, with ``--demo``, the demo's simulator and login."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from capital_pipeline.commands.demo import next_demo_day, simulator_settings
from capital_pipeline.commands.failures import DATABASE_VARIABLE, CommandFailed, reported
from capital_pipeline.commands.home import prepare_instance
from capital_pipeline.commands.settings import (
    REQUIRED_VARIABLES,
    open_warehouse,
    prepare_warehouse,
    shown_url,
)
from capital_pipeline.simulator import SimulatorConfig, run_simulator
from capital_pipeline.warehouse import DEFAULT_URL, WarehouseError

__all__ = ["missing_login_warning", "ui_command"]


def missing_login_warning() -> str | None:
    """What a UI without a Capital.com login should say at start: which variables are missing, what to do."""
    missing = [name for name in REQUIRED_VARIABLES if not os.environ.get(name, "").strip()]
    if not missing:
        return None
    return (
        f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set, so every run launched from "
        "the UI (Launchpad, the schedule) will fail. Stop the UI (Ctrl-C), then either set CAPITAL_API_KEY, "
        "CAPITAL_IDENTIFIER (the login e-mail) and CAPITAL_PASSWORD (the API key's password) and start it "
        "again, or run `capital-pipeline ui --demo` to snapshot the offline simulator as `capital-pipeline "
        "demo` does."
    )


def _dagster_dev(port: int) -> list[str]:
    dagster = str(Path(sys.executable).with_name("dagster"))
    return [dagster, "dev", "-m", "capital_pipeline.definitions", "--port", str(port)]


def _serve(command: list[str], env: dict[str, str]) -> int:
    """Run ``command`` until it exits; SIGTERM and SIGHUP to this process are passed on to it.

    Ctrl-C needs no passing on: the terminal sends SIGINT to the whole process group, ``dagster dev`` too.
    """
    process = subprocess.Popen(command, env=env)
    stopped: list[int] = []

    def pass_on(received: int, _frame: object) -> None:
        stopped.append(received)
        process.send_signal(received)

    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, pass_on)
    signal.signal(signal.SIGINT, lambda received, _frame: stopped.append(received))
    code = process.wait()
    # A signal is how a UI is meant to end: dagster dev then exits 1 ("Aborted!") when a second one reaches
    # it mid-shutdown (a signal to the process group, passed on here too), which is no failure.
    return 0 if stopped else code


def _serve_demo(port: int, database_url: str, rate: int) -> int:
    console = Console(soft_wrap=True)
    warehouse = prepare_warehouse(database_url)
    try:
        day = next_demo_day(warehouse)
    except WarehouseError as error:
        raise CommandFailed.from_error(error) from None
    prepare_instance().dispose()
    with run_simulator(SimulatorConfig(day=day, rate_limit=rate), in_subprocess=True) as simulator:
        console.print(
            f"Simulator at {simulator.base_url} on day {day} (its demo login; {rate} requests/s): runs "
            f"launched from the UI snapshot it into {shown_url(database_url)}.",
            highlight=False,
        )
        # Only dagster dev's environment: the demo's database wins over any CAPITAL_PIPELINE_DATABASE_URL.
        env = {**os.environ, **simulator_settings(simulator, rate), DATABASE_VARIABLE: database_url}
        return _serve(_dagster_dev(port), env)


@reported
def ui_command(
    port: Annotated[int, typer.Option(help="Port of the web UI.")] = 3000,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Serve the offline simulator beside the UI and give Dagster its demo login, as "
            "`capital-pipeline demo` does: Launch Run and the schedule snapshot the simulator's next day "
            f"into the demo's database ({DEFAULT_URL} or --database-url; {DATABASE_VARIABLE} is ignored). "
            "`make ui` adds it when CAPITAL_API_KEY is not set.",
        ),
    ] = False,
    database_url: Annotated[
        str | None,
        typer.Option(
            help=f"Where runs launched from the UI land. Default: with --demo {DEFAULT_URL}; else "
            f"{DATABASE_VARIABLE}, else {DEFAULT_URL}.",
        ),
    ] = None,
    rate: Annotated[
        int, typer.Option(min=1, help="With --demo: requests per second for the simulator and the client.")
    ] = 10,
) -> None:
    """Open Dagster's UI on `.dagster_home` (or DAGSTER_HOME): the demo's runs, the assets, the schedule.

    The instance is prepared first as the demo prepares it (telemetry off, one publisher at a time), then
    `dagster dev` serves the code location `capital_pipeline.definitions` (what workspace.yaml loads, found
    from any working directory) with the login CAPITAL_API_KEY, CAPITAL_IDENTIFIER and CAPITAL_PASSWORD
    configure, or with --demo the simulator's; Ctrl-C stops it (and the simulator).
    """
    if demo:
        code = _serve_demo(port, database_url or DEFAULT_URL, rate)
        if code:  # dagster dev said why; SystemExit passes `reported`, which would call it unexpected
            raise SystemExit(code)
        return
    if database_url is not None:
        open_warehouse(database_url)  # a malformed URL is refused now, not at Launch Run
        os.environ[DATABASE_VARIABLE] = database_url
    if (warning := missing_login_warning()) is not None:
        Console(stderr=True, soft_wrap=True).print(f"[bold yellow]Warning:[/] {warning}", highlight=False)
    prepare_instance().dispose()
    command = _dagster_dev(port)
    os.execv(command[0], command)
