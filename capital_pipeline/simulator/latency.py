"""Per-request latency: fixed, uniform or normal, from a generator seeded by the simulator's seed."""

from __future__ import annotations

import random

from capital_pipeline.simulator.config import SimulatorConfig

__all__ = ["LatencyModel"]


class LatencyModel:
    """Draws the delay of each API answer (awaited with ``asyncio.sleep``, so the server never blocks)."""

    def __init__(self, config: SimulatorConfig) -> None:
        self._mean = config.latency_ms / 1000.0
        self._spread = config.latency_spread_ms / 1000.0
        self._distribution = config.latency_distribution
        self._random = random.Random(f"latency:{config.seed}")

    def delay_seconds(self) -> float:
        """The next delay; never negative. ``uniform`` spans mean ± spread, ``normal`` has sd = spread."""
        if self._distribution == "uniform":
            delay = self._random.uniform(self._mean - self._spread, self._mean + self._spread)
        elif self._distribution == "normal":
            delay = self._random.gauss(self._mean, self._spread)
        else:
            delay = self._mean
        return max(0.0, delay)
