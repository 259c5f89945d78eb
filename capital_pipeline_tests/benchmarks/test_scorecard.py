"""The closing scorecard of `make bench`: which figures are judged against which target, and that it is
printed once every chosen benchmark ran, or one failed. No benchmark is run here (they take minutes)."""

from __future__ import annotations

import types
from collections.abc import Iterator

import pytest

from benchmarks import __main__ as bench_main
from benchmarks import _scorecard, pipeline_run, warehouse_load


@pytest.fixture(autouse=True)
def empty_scorecard() -> Iterator[None]:
    _scorecard.clear()
    yield
    _scorecard.clear()


def test_the_table_marks_each_target_met_or_missed_and_leaves_context_unmarked() -> None:
    _scorecard.record("a", "requests ÷ plan", "1.000", "1.00", True)
    _scorecard.record("b", "loads", "147,000 rows/s", "≥ 1,000,000 rows/s", False)
    _scorecard.record("b", "ceiling", "788,000 rows/s")

    rows = _scorecard.render(_scorecard.scores()).splitlines()

    assert rows[2] == "| a | requests ÷ plan | 1.000 | 1.00 | met |"
    assert rows[3] == "| b | loads | 147,000 rows/s | ≥ 1,000,000 rows/s | **missed** |"
    assert rows[4] == "| b | ceiling | 788,000 rows/s |  |  |"
    assert rows[-1] == "1 of 2 targets met in this run."


def test_nothing_recorded_renders_nothing() -> None:
    assert _scorecard.render([]) == ""


def test_within_allows_the_fraction_above_the_reference_and_no_more() -> None:
    assert _scorecard.within(1.10, 1.0, 0.1)
    assert not _scorecard.within(1.11, 1.0, 0.1)
    assert _scorecard.within(0.5, 1.0, 0.05)  # below the reference is better, not a miss


def test_the_scorecard_is_printed_after_the_benchmarks_and_after_one_that_fails(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def failing() -> None:
        _scorecard.record("record_parsing", "a figure measured before the failure", "1", "≤ 2", True)
        raise RuntimeError("the simulator did not start")

    fake = types.SimpleNamespace(main=failing)
    monkeypatch.setattr(bench_main.importlib, "import_module", lambda name: fake)

    with pytest.raises(RuntimeError, match="did not start"):
        bench_main.main(["record_parsing"])

    printed = capsys.readouterr().out
    assert "## scorecard" in printed
    assert "| record_parsing | a figure measured before the failure | 1 | ≤ 2 | met |" in printed


def _run(
    label: str, scale: int, rate: int, wall: float, steps_took: float, peak: float, requests: int = 100
) -> pipeline_run.RunFigures:
    """A run of a 100-request plan whose one API step (all the requests) took ``steps_took`` seconds."""
    timings = {
        "request_lines": ["markets: 100 requests"],
        "steps": {"markets": {"STEP_START": 10.0, "STEP_SUCCESS": 10.0 + steps_took}},
    }
    return pipeline_run.RunFigures(
        label, scale, rate, plan=100, requests=requests, too_many=0, wall=wall, timings=timings,
        peak_tree_mib=peak, peak_process_mib=peak, simulator_mib=0, simulator_cpu=0, run_cpu=0,
    )  # fmt: skip


def test_pipeline_runs_judge_x30_against_x1_at_the_real_limit_and_leave_smaller_scales_unjudged() -> None:
    real = [
        _run("x1 in-process", 1, 10, wall=17.0, steps_took=10.5, peak=400),  # API steps 1.05, whole 1.7
        _run("x1 multiprocess", 1, 10, wall=26.0, steps_took=10.5, peak=800, requests=101),  # 16 s over
    ]
    series = {
        50: [_run("x30", 30, 50, wall=3.4, steps_took=2.1, peak=1100)],  # 1.05 and 1.7: within; 1,100 MiB
        200: [_run("x10", 10, 200, wall=0.8, steps_took=0.6, peak=700)],  # largest scale only x10
    }

    pipeline_run.score_runs(real, series)

    by_what = {score.what: score for score in _scorecard.scores()}
    assert by_what["whole run, x1 in-process, 10/s: requests ÷ plan, 429s"].met is True
    assert by_what["whole run, x1 in-process, 10/s: wall - bound"].met is True  # 7 s
    assert by_what["whole run, x1 multiprocess, 10/s: requests ÷ plan, 429s"].met is False  # 1.01
    assert by_what["whole run, x1 multiprocess, 10/s: wall - bound"].met is False  # 16 s
    assert by_what["x30 at 50/s: API steps ÷ their bound (x1 at 10/s: 1.050)"].met is True
    assert by_what["x30 at 50/s: whole run wall ÷ bound (x1 at 10/s: 1.700)"].met is True
    assert by_what["x30 at 50/s: peak memory of the run's processes"].met is False
    assert by_what["x10 at 200/s: API steps ÷ their bound (x1 at 10/s: 1.050)"].met is None
    assert by_what["x10 at 200/s: peak memory of the run's processes"].met is None


def test_loads_judge_full_width_publishes_against_each_backends_target_and_show_ceilings_as_context() -> None:
    second = warehouse_load.Timing(wall=1.0, cpu=1.0)
    figures = [
        ("DuckDB publish (pyarrow.Table frame)", 1_000_000, second),
        ("PostgreSQL publish (Arrow-backed frame)", 150_000, second),
        ("DuckDB publish (Arrow-backed, raw '{}', 725 B/row frame)", 1_000_000, second),
        ("DuckDB ceiling: the converted rows into an in-memory table", 1_000_000, second),
        ("frame to Arrow, checks included (object frame)", 1_000_000, second),
    ]

    warehouse_load.score_loads(figures)

    judged = {score.what: (score.target, score.met) for score in _scorecard.scores()}
    assert judged == {
        "DuckDB publish (pyarrow.Table frame)": ("≥ 1,000,000 rows/s", True),
        "PostgreSQL publish (Arrow-backed frame)": ("≥ 200,000 rows/s", False),
        "DuckDB ceiling: the converted rows into an in-memory table": ("", None),
    }
