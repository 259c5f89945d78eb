"""Strict rate limits: the sliding window itself (``limits.py``) and as the API applies it (``gate.py``)."""

from __future__ import annotations

import time

from capital_pipeline.simulator import SimulatorUser
from capital_pipeline.simulator.limits import SlidingWindowLimiter


def test_window_admits_the_limit_then_refuses_until_a_second_has_passed() -> None:
    limiter = SlidingWindowLimiter()
    assert all(limiter.admit([("user", 10)], now=100.0 + i * 0.05) for i in range(10))
    assert not limiter.admit([("user", 10)], now=100.5)
    assert not limiter.admit([("user", 10)], now=100.99)
    assert limiter.admit([("user", 10)], now=101.001)


def test_refused_requests_do_not_use_up_capacity() -> None:
    limiter = SlidingWindowLimiter()
    assert limiter.admit([("user", 1)], now=10.0)
    assert not limiter.admit([("user", 1)], now=10.5)
    assert limiter.admit([("user", 1)], now=11.01)


def test_checks_are_all_or_nothing() -> None:
    limiter = SlidingWindowLimiter()
    assert limiter.admit([("requests", 10), ("logins", 1)], now=0.0)
    assert not limiter.admit([("requests", 10), ("logins", 1)], now=0.1)
    # The refused login did not count against the general limit: nine more requests fit.
    assert all(limiter.admit([("requests", 10)], now=0.2) for _ in range(9))
    assert not limiter.admit([("requests", 10)], now=0.3)


def test_eleventh_request_within_a_second_is_429(start_simulator, api_client) -> None:
    simulator = start_simulator()
    api = api_client(simulator)
    api.login()
    time.sleep(1.1)  # the login itself counts for the user
    answers = [api.get("/ping") for _ in range(11)]
    assert [a.status_code for a in answers] == [200] * 10 + [429]
    assert answers[-1].json() == {"errorCode": "error.too-many.requests"}
    assert "Retry-After" not in answers[-1].headers
    stats = simulator.stats()
    assert stats["too_many_requests"] == 1
    assert stats["max_requests_per_second"][simulator.credentials.identifier] == 11
    time.sleep(1.1)
    assert api.get("/ping").status_code == 200


def test_second_login_within_a_second_is_429_then_allowed_again(start_simulator, api_client) -> None:
    simulator = start_simulator()
    api = api_client(simulator)
    assert api.login().status_code == 200
    refused = api.login()
    assert (refused.status_code, refused.json()) == (429, {"errorCode": "error.too-many.requests"})
    time.sleep(1.1)
    assert api.login().status_code == 200
    assert simulator.stats()["logins"] == {"attempts": 3, "successes": 2}


def test_retry_after_header_only_when_asked(start_simulator, api_client) -> None:
    simulator = start_simulator(rate_limit=1)
    api = api_client(simulator)
    assert api.login().status_code == 200  # uses this second's only slot: the next requests are refused
    for setting, expected in ((2, "2"), (0, "0"), (None, None)):
        simulator.set_config(retry_after=setting)
        refused = api.get("/ping")
        assert refused.status_code == 429
        assert refused.headers.get("Retry-After") == expected


def test_each_user_has_a_window_of_its_own(start_simulator, api_client) -> None:
    other = SimulatorUser(api_key="second-key", identifier="second@capital-pipeline.test", password="pw2")
    simulator = start_simulator(rate_limit=2, users=[SimulatorUser(), other])
    first, second = api_client(simulator), api_client(simulator)
    assert first.login().status_code == 200
    assert second.login(other).status_code == 200
    assert first.get("/ping").status_code == 200
    assert first.get("/ping").status_code == 429
    assert second.get("/ping").status_code == 200
    assert simulator.stats()["max_requests_per_second"] == {
        simulator.credentials.identifier: 3,
        other.identifier: 2,
    }
