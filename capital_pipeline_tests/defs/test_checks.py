"""The checks' verdicts (``checks.py``), without a run: the drop guard and how a real drop is accepted."""

from __future__ import annotations

import pytest

from capital_pipeline.defs.checks import ACCEPT_DROP_TAG, accepts_drop, drop_check


def test_a_fall_of_more_than_a_fifth_fails_and_says_how_to_accept_it() -> None:
    result = drop_check("markets", 79, 100)
    assert not result.passed
    assert result.description is not None
    assert "79 rows against 100" in result.description and ACCEPT_DROP_TAG in result.description


@pytest.mark.parametrize(("rows", "previous"), [(80, 100), (120, 100), (5, None)])
def test_a_small_fall_a_rise_or_a_first_snapshot_passes(rows: int, previous: int | None) -> None:
    result = drop_check("markets", rows, previous)
    assert result.passed and result.description is None


def test_an_accepted_drop_passes_and_says_so() -> None:
    result = drop_check("navigation_nodes", 10, 100, accepted=True)
    assert result.passed
    assert result.metadata["accepted_by_tag"].value == ACCEPT_DROP_TAG


@pytest.mark.parametrize(
    ("value", "accepted"), [("true", True), (" TRUE ", True), ("1", True), ("no", False)]
)
def test_the_tag_accepts_when_true(value: str, accepted: bool) -> None:
    assert accepts_drop({ACCEPT_DROP_TAG: value}) is accepted
    assert accepts_drop({}) is False
