"""``python -m capital_pipeline.simulator``: the simulator command alone (the subprocess runner uses it)."""

import typer

from capital_pipeline.simulator.cli import simulator_command

typer.run(simulator_command)
