"""The `demo` and `snapshot` commands: ``capital_snapshot_job`` through Dagster, with progress, plain errors.

``home`` prepares the Dagster instance, ``launching`` runs the job while ``progress`` tails its event log,
``failures`` turns a failed run into advice, ``summary`` shows what landed, ``settings`` checks the
environment before anything starts.
"""

from capital_pipeline.commands.demo import demo_command
from capital_pipeline.commands.snapshot import snapshot_command

__all__ = ["demo_command", "snapshot_command"]
