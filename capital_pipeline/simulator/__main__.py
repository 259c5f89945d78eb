"""``python -m capital_pipeline.simulator``: the simulator command alone (the subprocess runner uses it)."""

import typer

from capital_pipeline.simulator.cli import simulator_command

# As `capital-pipeline`: plain help that wraps, and no traceback dressing.
app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)
app.command()(simulator_command)
app()
