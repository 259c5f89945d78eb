"""Every example response of the official collection, staged against the simulator and compared.

Staging: ``staging.py`` and the ``stages_*`` modules; comparison rules: ``conformance.py``. The run writes
``docs/conformance.md``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from capital_pipeline.simulator import SimulatorConfig, run_simulator
from capital_pipeline_tests.simulator import stages_accounts, stages_markets, stages_trading
from capital_pipeline_tests.simulator.conformance import Verdict, load_examples, render_report, verdict
from capital_pipeline_tests.simulator.conftest import ApiClient
from capital_pipeline_tests.simulator.staging import NOTES, STAGES, UNSTAGEABLE, Stage

REPORT = Path(__file__).resolve().parents[2] / "docs" / "conformance.md"
# Importing the stages modules registers their staging functions.
STAGE_MODULES = (stages_accounts, stages_trading, stages_markets)


# The run -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def staged() -> Iterator[tuple[list[str], list[Verdict]]]:
    """Stage every example once (in collection order) and keep the verdicts."""
    requests, examples = load_examples()
    config = SimulatorConfig(rate_limit=1000, login_rate_limit=1000)
    with run_simulator(config) as simulator:
        api = ApiClient(simulator)
        try:
            stage_context = Stage(simulator, api)
            verdicts = []
            for example in examples:
                key = (example.request, example.name)
                if key in STAGES:
                    response = STAGES[key](stage_context)
                    verdicts.append(verdict(example, response, NOTES.get(key, "")))
        finally:
            api.close()
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(render_report(requests, verdicts, UNSTAGEABLE))
    yield requests, verdicts


def test_every_collection_example_is_staged_or_explained() -> None:
    _requests, examples = load_examples()
    keys = {(example.request, example.name) for example in examples}
    assert len(keys) == len(examples) == 74
    assert keys == set(STAGES) | set(UNSTAGEABLE)
    assert not set(STAGES) & set(UNSTAGEABLE)


def test_simulator_answers_every_staged_example_with_its_status_and_shape(
    staged: tuple[list[str], list[Verdict]],
) -> None:
    requests, verdicts = staged
    covered = {v.example.request for v in verdicts if v.conforms}
    figure = (
        f"{len(covered)}/{len(requests)} requests, {sum(v.conforms for v in verdicts)}/74 examples conform"
    )
    print(f"\nconformance: {figure} (report: {REPORT})")
    differing = [
        f"{v.example.request} / {v.example.name}: {'; '.join(v.problems)}" for v in verdicts if not v.conforms
    ]
    assert not differing, "\n".join(differing)
    assert len(requests) == 35 and covered == set(requests)


def test_conformance_rules_catch_a_renamed_field() -> None:
    """The comparison is strict: a field the S2 table does not document fails."""
    _requests, examples = load_examples()
    example = next(e for e in examples if e.request == "Session details")
    body = dict(example.body)
    body["accountID"] = body.pop("accountId")
    response = httpx.Response(200, json=body, headers={name: "x" for name in example.headers})
    response.headers["content-type"] = "application/json"
    problems = verdict(example, response).problems
    assert problems == ("$.accountId: missing", "$.accountID: not in the example")


def test_conformance_rules_catch_a_wrong_status_error_code_and_missing_header() -> None:
    _requests, examples = load_examples()
    example = next(
        e for e in examples if e.name == "Error: Watchlist not found" and e.request == "Delete watchlist"
    )
    response = httpx.Response(400, json={"errorCode": "error.invalid.watchlist"})
    problems = verdict(example, response).problems
    assert "status 400, example 404" in problems
    assert "errorCode 'error.invalid.watchlist', example 'error.not-found.watchlist'" in problems
    assert "header CST missing" in problems
