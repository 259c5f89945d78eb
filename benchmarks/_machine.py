"""What the benchmarks read off this machine and their environment: a process's CPU, numbers from a knob."""

from __future__ import annotations

import os
from pathlib import Path


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def numbers_from_env(name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    """``name`` as comma-separated integers (``BENCH_SCALES=1,3``), or ``default`` when it is not set."""
    configured = os.environ.get(name)
    return tuple(int(item) for item in configured.split(",")) if configured else default
