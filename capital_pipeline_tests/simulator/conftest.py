"""Fixtures for the simulator's tests: simulators started on demand, and a tiny hand-written API client.

The client here is deliberately not the project's (``capital_pipeline.capital``): the simulator is held to
the public record, not to our client.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding

from capital_pipeline.simulator import SimulatorConfig, SimulatorHandle, SimulatorUser, run_simulator


def encrypt_password(encryption_key: str, timestamp: int, password: str) -> str:
    """REFERENCE §5: base64(RSA-PKCS#1-v1.5(base64(password + "|" + timeStamp))), written from the docs."""
    public_key = serialization.load_der_public_key(base64.b64decode(encryption_key))
    plaintext = base64.b64encode(f"{password}|{timestamp}".encode())
    return base64.b64encode(public_key.encrypt(plaintext, padding.PKCS1v15())).decode()  # type: ignore[union-attr]


class ApiClient:
    """Raw HTTP against a simulator's ``/api/v1``, remembering the tokens of its last login."""

    def __init__(self, simulator: SimulatorHandle) -> None:
        self.simulator = simulator
        self.http = httpx.Client(base_url=simulator.api_url, timeout=30.0)
        self.tokens: dict[str, str] = {}

    def login(self, user: SimulatorUser | None = None, **body_changes: Any) -> httpx.Response:
        """``POST /session`` as ``user`` (default: the first configured), body fields overridable; keeps the
        tokens on 200."""
        user = user or self.simulator.config.users[0]
        body = {"identifier": user.identifier, "password": user.password} | body_changes
        response = self.http.post("/session", json=body, headers={"X-CAP-API-KEY": user.api_key})
        if response.status_code == 200:
            self.tokens = {
                "CST": response.headers["CST"],
                "X-SECURITY-TOKEN": response.headers["X-SECURITY-TOKEN"],
            }
        return response

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A request carrying the current tokens (unless ``headers`` replace them)."""
        headers = kwargs.pop("headers", self.tokens)
        return self.http.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def start_simulator() -> Iterator[Callable[..., SimulatorHandle]]:
    """Start simulators with any settings; every one is stopped after the test."""
    started: list[SimulatorHandle] = []

    def start(**settings: Any) -> SimulatorHandle:
        in_subprocess = settings.pop("in_subprocess", False)
        simulator = run_simulator(SimulatorConfig(**settings), in_subprocess=in_subprocess)
        started.append(simulator)
        return simulator

    yield start
    for simulator in started:
        simulator.stop()


@pytest.fixture
def api_client() -> Iterator[Callable[[SimulatorHandle], ApiClient]]:
    """Make ``ApiClient`` objects, closed after the test."""
    clients: list[ApiClient] = []

    def make(simulator: SimulatorHandle) -> ApiClient:
        clients.append(ApiClient(simulator))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


@pytest.fixture(scope="module")
def shared_simulator() -> Iterator[SimulatorHandle]:
    """One default simulator per test module, for tests that only read (limits raised so reads never 429)."""
    with run_simulator(SimulatorConfig(rate_limit=1000, login_rate_limit=1000)) as simulator:
        yield simulator


@pytest.fixture
def client(shared_simulator: SimulatorHandle) -> Iterator[ApiClient]:
    """A logged-in client of the module's shared simulator."""
    api = ApiClient(shared_simulator)
    assert api.login().status_code == 200
    yield api
    api.close()
