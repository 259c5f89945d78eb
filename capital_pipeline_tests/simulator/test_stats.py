"""The counters behind ``GET /_simulator/stats`` (``stats.py``)."""

from __future__ import annotations

from capital_pipeline.simulator.stats import SimulatorStats


def test_max_requests_per_rolling_second_is_kept_per_user() -> None:
    stats = SimulatorStats()
    for moment in (0.0, 0.3, 0.6, 0.9, 1.2, 1.5, 3.0):
        stats.record_user_arrival("ann", moment)
    stats.record_user_arrival("bob", 0.1)
    # (0.0, 0.3, 0.6, 0.9) all lie within one second; 1.0 s later 0.0 has left the window.
    assert stats.as_json()["max_requests_per_second"] == {"ann": 4, "bob": 1}


def test_counters_group_by_route_status_and_kind_and_reset_clears_them() -> None:
    stats = SimulatorStats()
    stats.record_arrival("POST /api/v1/session", editing=False, login=True)
    stats.record_login_success()
    stats.record_arrival("POST /api/v1/positions", editing=True, login=False)
    stats.record_status(200)
    stats.record_status(429)
    stats.record_fault("reset")
    counted = stats.as_json()
    assert counted["requests_total"] == 2
    assert counted["logins"] == {"attempts": 1, "successes": 1}
    assert counted["trading_or_editing_by_route"] == {"POST /api/v1/positions": 1}
    assert (counted["too_many_requests"], counted["faults_injected"]) == (1, {"reset": 1})
    stats.reset()
    assert stats.as_json()["requests_total"] == 0 and stats.as_json()["statuses"] == {}
