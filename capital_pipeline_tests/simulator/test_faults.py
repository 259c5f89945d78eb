"""Fault injection (``faults.py``, ``gate.py``): each kind, first-N and fraction, at start or at run time."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from urllib.parse import urlparse

import httpx
import pytest

from capital_pipeline.simulator import Fault, SimulatorHandle
from capital_pipeline.simulator.faults import truncated
from capital_pipeline_tests.simulator.conftest import ApiClient

MARKET = "/api/v1/markets/{epic}"


@pytest.fixture
def faults(shared_simulator: SimulatorHandle) -> Iterator[SimulatorHandle]:
    """The module's simulator, with its fault list cleared after each test."""
    yield shared_simulator
    shared_simulator.set_faults([])


@pytest.mark.parametrize(
    ("status", "body_check"),
    [
        (429, lambda r: r.json() == {"errorCode": "error.too-many.requests"}),
        (500, lambda r: r.json()["status"] == 500 and r.json()["path"] == "/api/v1/markets/SILVER"),
        (502, lambda r: "502 Bad Gateway" in r.text and r.headers["content-type"].startswith("text/html")),
        (503, lambda r: "503 Service Temporarily Unavailable" in r.text),
    ],
)
def test_status_fault_answers_that_status(faults, client: ApiClient, status, body_check) -> None:
    faults.set_faults([Fault(kind="status", status=status, route=MARKET)])
    answer = client.get("/markets/SILVER")
    assert answer.status_code == status
    assert body_check(answer)
    assert client.get("/accounts").status_code == 200


def test_first_n_fault_hits_only_the_first_calls(faults, client: ApiClient) -> None:
    faults.set_faults([Fault(kind="status", status=502, route=f"GET {MARKET}", first_n=2)])
    assert [client.get("/markets/SILVER").status_code for _ in range(4)] == [502, 502, 200, 200]
    assert faults.stats()["faults_injected"]["status"] >= 2


def test_fraction_fault_is_deterministic_by_seed(faults, client: ApiClient) -> None:
    def statuses() -> list[int]:
        faults.set_faults([Fault(kind="status", status=503, route=MARKET, fraction=0.5)])
        return [client.get("/markets/SILVER").status_code for _ in range(30)]

    first, second = statuses(), statuses()
    assert first == second
    assert {200, 503} == set(first)


def test_fault_route_names_method_and_template(faults, client: ApiClient) -> None:
    faults.set_faults([Fault(kind="status", status=500, route="POST /api/v1/positions")])
    assert client.get("/positions").status_code == 200
    answer = client.request("POST", "/positions", json={"epic": "SILVER", "direction": "BUY", "size": 1})
    assert answer.status_code == 500


def test_timeout_fault_holds_the_answer(faults, client: ApiClient) -> None:
    faults.set_faults([Fault(kind="timeout", seconds=1.0, route=MARKET, first_n=1)])
    with pytest.raises(httpx.ReadTimeout):
        client.get("/markets/SILVER", timeout=0.3)
    assert client.get("/markets/SILVER").status_code == 200


def test_timeout_fault_answers_normally_after_the_hold(faults, client: ApiClient) -> None:
    faults.set_faults([Fault(kind="timeout", seconds=0.3, route=MARKET, first_n=1)])
    answer = client.get("/markets/SILVER", timeout=10)
    assert answer.status_code == 200 and answer.json()["instrument"]["epic"] == "SILVER"


def test_reset_fault_resets_the_tcp_connection(faults, client: ApiClient) -> None:
    faults.set_faults([Fault(kind="reset", route="/api/v1/time", first_n=1)])
    address = urlparse(faults.base_url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as raw:
        raw.sendall(b"GET /api/v1/time HTTP/1.1\r\nHost: simulator\r\n\r\n")
        with pytest.raises(ConnectionResetError):
            raw.recv(1024)
    with pytest.raises(httpx.TransportError):
        faults.set_faults([Fault(kind="reset", route="/api/v1/time", first_n=1)])
        client.get("/time")
    assert client.get("/time").status_code == 200


def test_malformed_json_fault_is_a_200_with_a_truncated_body(faults, client: ApiClient) -> None:
    whole = client.get("/accounts").content
    faults.set_faults([Fault(kind="malformed_json", route="/api/v1/accounts", first_n=1)])
    broken = client.get("/accounts")
    assert broken.status_code == 200
    assert broken.content == truncated(whole)
    with pytest.raises(json.JSONDecodeError):
        json.loads(broken.content)


def test_expired_session_fault_really_expires_the_session(faults, client: ApiClient) -> None:
    faults.set_faults([Fault(kind="expired_session", route="/api/v1/accounts", first_n=1)])
    assert client.get("/accounts").json() == {"errorCode": "error.invalid.session.token"}
    assert client.get("/ping").status_code == 401
    assert client.login().status_code == 200
    assert client.get("/accounts").status_code == 200


def test_missing_field_fault_drops_an_optional_field(faults, client: ApiClient) -> None:
    faults.set_faults([Fault(kind="missing_field", route=MARKET, first_n=1)])
    snapshot = client.get("/markets/SILVER").json()["snapshot"]
    assert "netChange" not in snapshot and "bid" in snapshot
    assert "netChange" in client.get("/markets/SILVER").json()["snapshot"]


def test_missing_field_fault_drops_the_named_field_everywhere(faults, client: ApiClient) -> None:
    faults.set_faults([Fault(kind="missing_field", field="epic", route="/api/v1/markets")])
    markets = client.get("/markets", params={"searchTerm": "silver"}).json()["markets"]
    assert markets and all("epic" not in market for market in markets)


def test_extra_field_fault_adds_an_unknown_field_to_every_object(faults, client: ApiClient) -> None:
    faults.set_faults([Fault(kind="extra_field", field="brandNewField", route="/api/v1/accounts")])
    body = client.get("/accounts").json()
    assert body["brandNewField"]
    assert all(
        "brandNewField" in account and "brandNewField" in account["balance"] for account in body["accounts"]
    )


def test_faults_given_at_start_apply_from_the_first_call(start_simulator, api_client) -> None:
    simulator = start_simulator(faults=[Fault(kind="status", status=503, route="/api/v1/time", first_n=1)])
    api = api_client(simulator)
    assert [api.get("/time", headers={}).status_code for _ in range(2)] == [503, 200]


def test_invalid_faults_are_refused_over_http(faults) -> None:
    with pytest.raises(ValueError, match="400"):
        faults.set_faults([{"kind": "explode"}])
    with pytest.raises(ValueError, match="400"):
        faults.set_faults([{"kind": "status", "status": 418}])
