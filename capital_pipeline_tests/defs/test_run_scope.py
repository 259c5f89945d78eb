"""The API steps' scope: the objects alive before the crawl are spared garbage collections during it."""

from __future__ import annotations

import gc

import pytest

from capital_pipeline.defs.run_scope import _collector_spared


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
