"""The command line: `capital-pipeline simulator | demo | snapshot | ui`."""

from __future__ import annotations

import typer

from capital_pipeline.commands import demo_command, snapshot_command, ui_command
from capital_pipeline.simulator.cli import simulator_command

app = typer.Typer(
    name="capital-pipeline",
    help="Snapshot a Capital.com login's reference data into SQL, with Dagster.",
    no_args_is_help=True,
    # Expected failures end in one clear message; a traceback is never the only thing a user sees.
    pretty_exceptions_enable=False,
    add_completion=False,
    # Click's plain help wraps long option names and defaults; rich's tables cut them at 80 columns.
    rich_markup_mode=None,
)


@app.callback()
def _commands() -> None:
    """Snapshot a Capital.com login's reference data into SQL, with Dagster."""


app.command("simulator", help="Serve the offline Capital.com simulator until interrupted.")(simulator_command)
app.command("demo")(demo_command)
app.command("snapshot")(snapshot_command)
app.command("ui")(ui_command)


def main() -> None:
    """Entry point of the `capital-pipeline` script."""
    app()
