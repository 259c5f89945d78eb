"""Embedding (``server.py``): in a thread or a subprocess, started when the port answers, stopped cleanly."""

from __future__ import annotations

import threading

import httpx
import pytest

from capital_pipeline.simulator import Fault, SimulatorConfig, run_simulator


def _threads() -> set[str]:
    return {thread.name for thread in threading.enumerate()}


def test_thread_simulator_answers_at_once_and_leaves_nothing_behind() -> None:
    before = _threads()
    with run_simulator(SimulatorConfig()) as simulator:
        assert simulator.base_url.startswith("http://127.0.0.1:")
        assert httpx.get(simulator.api_url + "/time").status_code == 200
        assert "capital-simulator" in _threads()
    assert _threads() == before
    with pytest.raises(httpx.ConnectError):
        httpx.get(simulator.api_url + "/time")


def test_subprocess_simulator_has_the_same_handle_and_exits_0() -> None:
    config = SimulatorConfig(
        rate_limit=3, faults=(Fault(kind="status", status=503, route="/api/v1/time", first_n=1),)
    )
    with run_simulator(config, in_subprocess=True) as simulator:
        assert [httpx.get(simulator.api_url + "/time").status_code for _ in range(2)] == [503, 200]
        assert simulator.stats()["faults_injected"] == {"status": 1}
        assert simulator.set_config(day=2)["day"] == 2
        assert simulator.universe()["day"] == 2
        simulator.set_faults([])
        simulator.reset_stats()
        assert simulator.stats()["requests_total"] == 0
    assert simulator.returncode == 0


def test_handle_reports_credentials_without_leaking_them_in_its_repr() -> None:
    with run_simulator() as simulator:
        credentials = simulator.credentials
        assert (credentials.identifier, credentials.api_key) == (
            "demo@capital-pipeline.test",
            "sim-demo-api-key",
        )
        assert credentials.password not in repr(credentials) and credentials.api_key not in repr(credentials)
        assert credentials.password not in repr(simulator.config)
