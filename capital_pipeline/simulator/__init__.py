"""An offline Capital.com: a faithful simulator of the public REST API, for anyone's tests.

Held to the public record (``shared/capital-api/REFERENCE.md`` and the official Postman collection), not to
this project's client. Start it from Python::

    from capital_pipeline.simulator import SimulatorConfig, Fault, run_simulator

    with run_simulator(SimulatorConfig(latency_ms=150)) as sim:
        sim.api_url, sim.credentials, sim.stats(), sim.set_faults([Fault(kind="reset", first_n=1)])

or from the command line: ``capital-pipeline simulator --port 8765``.
"""

from capital_pipeline.simulator.app import create_app
from capital_pipeline.simulator.config import (
    DEMO_API_KEY,
    DEMO_IDENTIFIER,
    DEMO_PASSWORD,
    Fault,
    SimulatorConfig,
    SimulatorUser,
)
from capital_pipeline.simulator.server import Credentials, SimulatorHandle, run_simulator

__all__ = [
    "DEMO_API_KEY",
    "DEMO_IDENTIFIER",
    "DEMO_PASSWORD",
    "Credentials",
    "Fault",
    "SimulatorConfig",
    "SimulatorHandle",
    "SimulatorUser",
    "create_app",
    "run_simulator",
]
