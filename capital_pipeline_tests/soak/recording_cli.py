"""``capital-pipeline`` with one test seam: the simulator the ``demo`` command starts reports its tokens.

``python -m capital_pipeline_tests.soak.recording_cli demo ...`` is the installed script's ``main()``, except
that when the demo's own simulator stops, every token it issued is written (JSON) to the file named by
``CAPITAL_TEST_TOKENS_FILE``, so a test can search the demo's output for tokens it could not see otherwise.
``CAPITAL_TEST_DEMO_FAULTS`` (JSON list of faults) is set on that simulator before the run starts.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from capital_pipeline import cli
from capital_pipeline.commands import demo
from capital_pipeline.simulator import SimulatorHandle

TOKENS_FILE_VARIABLE = "CAPITAL_TEST_TOKENS_FILE"
FAULTS_VARIABLE = "CAPITAL_TEST_DEMO_FAULTS"
_start_simulator = demo.run_simulator


@contextmanager
def _recording_simulator(*args: Any, **kwargs: Any) -> Iterator[SimulatorHandle]:
    with _start_simulator(*args, **kwargs) as simulator:
        simulator.set_faults(json.loads(os.environ.get(FAULTS_VARIABLE, "[]")))
        try:
            yield simulator
        finally:
            tokens = {"tokens": simulator.issued_tokens(), "stats": simulator.stats()}
            Path(os.environ[TOKENS_FILE_VARIABLE]).write_text(json.dumps(tokens))


if __name__ == "__main__":
    demo.run_simulator = _recording_simulator  # type: ignore[assignment]
    cli.main()
