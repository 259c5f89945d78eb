"""The job's executor config (``executor.py``): the multiprocess executor takes the API steps in turn."""

from __future__ import annotations

from capital_pipeline.defs.assets import API_SESSION_TAG
from capital_pipeline.defs.executor import with_api_steps_in_turn


def test_multiprocess_gets_one_api_step_at_a_time_beside_the_limits_it_has() -> None:
    other = {"key": "database", "limit": 2}
    given = {"multiprocess": {"max_concurrent": 4, "tag_concurrency_limits": [other]}}
    config = with_api_steps_in_turn(given)
    assert config["multiprocess"]["max_concurrent"] == 4
    assert config["multiprocess"]["tag_concurrency_limits"] == [other, {"key": API_SESSION_TAG, "limit": 1}]


def test_a_limit_the_run_config_sets_for_the_api_steps_is_kept() -> None:
    own = {"key": API_SESSION_TAG, "limit": 3}
    config = with_api_steps_in_turn({"multiprocess": {"tag_concurrency_limits": [own]}})
    assert config["multiprocess"]["tag_concurrency_limits"] == [own]


def test_in_process_config_is_left_as_it_is() -> None:
    assert with_api_steps_in_turn({"in_process": {}}) == {"in_process": {}}
