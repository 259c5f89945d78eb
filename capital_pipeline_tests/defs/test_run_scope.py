"""The API steps' scope: the objects alive before the crawl are spared garbage collections during it, and a
step that ends after another step of its run failed leaves no session open."""

from __future__ import annotations

import gc
import os
from types import SimpleNamespace

import pytest

from capital_pipeline.capital import CapitalClient
from capital_pipeline.defs.resources import CapitalApiResource, run_directory
from capital_pipeline.defs.run_scope import _collector_spared, call_api
from capital_pipeline.simulator import SimulatorHandle


def test_objects_alive_before_the_crawl_are_frozen_during_it_and_handed_back_after() -> None:
    assert gc.get_freeze_count() == 0
    alive = [[index] for index in range(1000)]
    with _collector_spared():
        assert gc.get_freeze_count() >= len(alive)
    assert gc.get_freeze_count() == 0
    assert gc.is_tracked(alive[0])


def test_a_failing_crawl_still_hands_the_objects_back() -> None:
    with pytest.raises(RuntimeError), _collector_spared():
        raise RuntimeError("the crawl failed")
    assert gc.get_freeze_count() == 0


@pytest.mark.parametrize("another_step_failed", [True, False])
def test_a_step_that_ends_after_another_step_failed_logs_the_runs_session_out(
    capital_env: SimulatorHandle, another_step_failed: bool
) -> None:
    # Under the multiprocess executor a step can be mid-crawl when another one fails and its hook logs the
    # session out; this step may log in again. It logs out as it ends: nothing of the run will be published.
    capital = CapitalApiResource(
        api_key=os.environ["CAPITAL_API_KEY"],
        identifier=os.environ["CAPITAL_IDENTIFIER"],
        password=os.environ["CAPITAL_PASSWORD"],
    )
    run_id = f"run-{another_step_failed}"
    warnings: list[str] = []
    context = SimpleNamespace(
        run=SimpleNamespace(run_id=run_id), log=SimpleNamespace(info=lambda _: None, warning=warnings.append)
    )

    async def accounts_while_navigation_fails(client: CapitalClient) -> int:
        accounts = await client.accounts()
        if another_step_failed:
            (run_directory(run_id) / "failed-navigation").touch()
        return len(accounts)

    assert call_api(context, capital, "accounts", accounts_while_navigation_fails) == 2  # type: ignore[arg-type]

    stats = capital_env.stats()
    assert stats["logins"]["successes"] == 1
    assert stats["requests"].get("DELETE /api/v1/session", 0) == (1 if another_step_failed else 0)
    assert capital.run_session_store(run_id).path.exists() is not another_step_failed
    assert warnings == []
