"""The gate in front of the API (``gate.py``): headers, routing quirks, who a request counts for."""

from __future__ import annotations

from capital_pipeline.simulator import SimulatorHandle
from capital_pipeline_tests.simulator.conftest import ApiClient

STANDARD = (
    "Vary",
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "X-XSS-Protection",
    "Cache-Control",
    "Pragma",
    "Expires",
    "X-Frame-Options",
)
# Three separate Vary headers, as in every collection example.
VARY = ["Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"]


def test_every_answer_carries_the_standard_headers_even_errors(client: ApiClient) -> None:
    for answer in (client.get("/accounts"), client.get("/markets/NOPE"), client.get("/ping", headers={})):
        assert all(name in answer.headers for name in STANDARD)
        assert answer.headers.get_list("Vary") == VARY
    assert "CST" not in client.get("/ping", headers={}).headers


def test_trailing_slash_names_the_same_route(client: ApiClient) -> None:
    assert client.get("/accounts/").json() == client.get("/accounts").json()


def test_unknown_paths_are_404_and_counted_apart(
    shared_simulator: SimulatorHandle, client: ApiClient
) -> None:
    shared_simulator.reset_stats()
    assert client.get("/no/such/endpoint").status_code == 404
    assert shared_simulator.stats()["requests"] == {"GET unmatched": 1}


def test_time_and_refused_credentials_count_for_nobody(
    shared_simulator: SimulatorHandle, client: ApiClient
) -> None:
    shared_simulator.reset_stats()
    client.get("/time", headers={})
    client.get("/ping", headers={"CST": "forged", "X-SECURITY-TOKEN": "forged"})
    client.get("/ping")
    assert shared_simulator.stats()["max_requests_per_second"] == {shared_simulator.credentials.identifier: 1}
