"""The command line: `capital-pipeline simulator | demo | snapshot | ui`.

Each command's module is imported only when that command runs (or help lists it): the simulator needs
neither Dagster nor DuckDB, and DuckDB's bindings, once imported, print dozens of "nanobind: leaked" lines
when a signal stops the process.
"""

from __future__ import annotations

import importlib
from typing import Any

import typer
from typer.core import TyperGroup

__all__ = ["COMMANDS", "app", "main"]

# name: (module, function, help); help None means the function's docstring.
COMMANDS: dict[str, tuple[str, str, str | None]] = {
    "simulator": (
        "capital_pipeline.simulator.cli",
        "simulator_command",
        "Serve the offline Capital.com simulator until interrupted.",
    ),
    "demo": ("capital_pipeline.commands.demo", "demo_command", None),
    "snapshot": ("capital_pipeline.commands.snapshot", "snapshot_command", None),
    "ui": ("capital_pipeline.commands.ui", "ui_command", None),
}
_SETTINGS: dict[str, Any] = {
    # Expected failures end in one clear message; a traceback is never the only thing a user sees.
    "pretty_exceptions_enable": False,
    "add_completion": False,
    # Click's plain help wraps long option names and defaults; rich's tables cut them at 80 columns.
    "rich_markup_mode": None,
}


class _CommandsOnDemand(TyperGroup):
    """The commands of ``COMMANDS``, each built from its module when first asked for."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in COMMANDS:
            return None
        module, function, help_text = COMMANDS[cmd_name]
        single = typer.Typer(**_SETTINGS)
        single.command(cmd_name, help=help_text)(getattr(importlib.import_module(module), function))
        return typer.main.get_group(single).get_command(ctx, cmd_name)


app = typer.Typer(
    name="capital-pipeline",
    help="Snapshot a Capital.com login's reference data into SQL, with Dagster.",
    no_args_is_help=True,
    cls=_CommandsOnDemand,
    **_SETTINGS,
)


@app.callback()
def _commands() -> None:
    """Snapshot a Capital.com login's reference data into SQL, with Dagster."""


def main() -> None:
    """Entry point of the `capital-pipeline` script."""
    app()
