"""`make bench`: run every benchmark module's ``main()`` in turn (or only those named on the command line)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))
    chosen = [n for n in names if not argv or n in argv]
    for name in chosen:
        module = importlib.import_module(f"benchmarks.{name}")
        print(f"\n## {name}\n", flush=True)
        module.main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
