"""One running simulator: its settings, state, sessions, limits, faults, latency and counters, together."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

from capital_pipeline.simulator.config import Fault, SimulatorConfig, SimulatorUser
from capital_pipeline.simulator.faults import FaultPlan
from capital_pipeline.simulator.latency import LatencyModel
from capital_pipeline.simulator.limits import SlidingWindowLimiter
from capital_pipeline.simulator.sessions import EncryptionKey, SessionStore
from capital_pipeline.simulator.state import SimulatorState
from capital_pipeline.simulator.stats import SimulatorStats
from capital_pipeline.simulator.universe import build_universe

__all__ = ["SimulatorRuntime"]

_UNIVERSE_SETTINGS = ("seed", "scale", "day")


def _state_for(config: SimulatorConfig) -> SimulatorState:
    return SimulatorState(build_universe(config.seed, config.scale, config.day))


class SimulatorRuntime:
    """The simulator's moving parts; route handlers reach it through ``request.app.state.runtime``."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.state = _state_for(config)
        self.sessions = SessionStore()
        self.limiter = SlidingWindowLimiter()
        self.stats = SimulatorStats()
        self.faults = FaultPlan(config.faults, config.seed)
        self.latency = LatencyModel(config)
        self.encryption_key = EncryptionKey()
        self._users_by_api_key = {user.api_key: user for user in config.users}

    def user_with_api_key(self, api_key: str) -> SimulatorUser | None:
        return self._users_by_api_key.get(api_key)

    async def change_settings(self, changes: dict[str, Any]) -> None:
        """Apply run-time settings; a new seed, scale or day rebuilds the universe and drops API edits.

        Sessions, counters and faults survive. The rebuild (universe and indexes) runs in a worker thread,
        so the server keeps answering meanwhile.
        """
        config = self.config.with_changes(changes)
        if any(name in changes for name in _UNIVERSE_SETTINGS):
            self.state = await asyncio.to_thread(_state_for, config)
            if gc.get_freeze_count():  # the simulator command froze the heap: keep the new day out of GC too
                gc.freeze()
        self.config = config
        self.latency = LatencyModel(config)

    def replace_faults(self, faults: list[Fault]) -> None:
        """Replace the fault list; counters of first-N and fraction faults start again."""
        self.config = self.config.with_faults(tuple(faults))
        self.faults = FaultPlan(self.config.faults, self.config.seed)
