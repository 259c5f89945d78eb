"""``capital-pipeline ui``: Dagster's UI (``dagster dev``) on the instance the other commands use."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from capital_pipeline.commands.home import prepare_instance

__all__ = ["ui_command"]


def ui_command(
    port: Annotated[int, typer.Option(help="Port of the web UI.")] = 3000,
) -> None:
    """Open Dagster's UI on `.dagster_home` (or DAGSTER_HOME): the demo's runs, the assets, the schedule.

    The instance is prepared first as the demo prepares it (telemetry off, one publisher at a time), then this
    process becomes `dagster dev` on the code location `capital_pipeline.definitions` (what workspace.yaml
    loads, found from any working directory); Ctrl-C stops it.
    """
    prepare_instance().dispose()
    dagster = str(Path(sys.executable).with_name("dagster"))
    os.execv(dagster, [dagster, "dev", "-m", "capital_pipeline.definitions", "--port", str(port)])
