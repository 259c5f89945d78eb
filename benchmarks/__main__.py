"""`make bench`: run every benchmark module's ``main()`` in turn (or only those named on the command line),
then print the targets against the figures this run measured (``_scorecard``), also after a failure."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

from benchmarks import _scorecard


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))
    chosen = [n for n in names if not argv or n in argv]
    try:
        for name in chosen:
            module = importlib.import_module(f"benchmarks.{name}")
            print(f"\n## {name}\n", flush=True)
            module.main()
    finally:
        table = _scorecard.render(_scorecard.scores())
        if table:
            print(f"\n## scorecard: the targets against this run's figures\n\n{table}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
