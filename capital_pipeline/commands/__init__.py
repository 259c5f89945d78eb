"""The `demo`, `snapshot` and `ui` commands: ``capital_snapshot_job`` through Dagster, with progress and
plain errors.

``settings`` checks the environment before anything starts, ``home`` prepares the Dagster instance,
``runs`` takes one snapshot: ``launching`` runs the job while ``progress`` tails its event log, then
``summary`` shows what landed or ``failures`` turns the failure into advice.
"""

from capital_pipeline.commands.demo import demo_command
from capital_pipeline.commands.snapshot import snapshot_command
from capital_pipeline.commands.ui import ui_command

__all__ = ["demo_command", "snapshot_command", "ui_command"]
