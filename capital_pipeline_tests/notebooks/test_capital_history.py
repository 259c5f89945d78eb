"""``notebooks/capital_history.ipynb`` run with nbclient on a few simulated days of snapshots.

With ``CAPITAL_PIPELINE_WRITE_DOCS=1`` the test takes ten days instead of three and saves the notebook's
plot as ``docs/capital_history.png`` (the README shows it); an ordinary run writes nothing tracked.
"""

from __future__ import annotations

import base64
import os
from itertools import pairwise
from pathlib import Path
from typing import Any

import nbformat
import pytest
from dagster import DagsterInstance
from nbclient import NotebookClient

from capital_pipeline.commands.demo import demo_snapshot_id, demo_tags
from capital_pipeline.simulator import SimulatorHandle
from capital_pipeline_tests.defs.conftest import WarehouseTarget, run_snapshot
from capital_pipeline_tests.defs.universe_views import expected_market_changes

REPOSITORY = Path(__file__).parents[2]
NOTEBOOK = REPOSITORY / "notebooks" / "capital_history.ipynb"
PLOT = REPOSITORY / "docs" / "capital_history.png"
WRITE_DOCS = os.environ.get("CAPITAL_PIPELINE_WRITE_DOCS") == "1"
DAYS = 10 if WRITE_DOCS else 3

pytestmark = pytest.mark.slow


def run_notebook(database_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[dict[str, Any]]]:
    """Run the notebook as Jupyter would (in its folder); each code cell's outputs by cell id."""
    monkeypatch.setenv("CAPITAL_PIPELINE_NOTEBOOK_DATABASE", database_url)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    # The kernel spec's "python" is this interpreter (jupyter_client substitutes sys.executable).
    client = NotebookClient(
        notebook, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    )
    client.execute()
    return {cell["id"]: cell["outputs"] for cell in notebook.cells if cell["cell_type"] == "code"}


def text_of(outputs: list[dict[str, Any]]) -> str:
    """What a cell printed and displayed, as text."""
    parts = [output.get("text", "") for output in outputs]
    parts += [output.get("data", {}).get("text/plain", "") for output in outputs]
    return "\n".join(parts)


def test_the_notebook_shows_accounts_tree_watchlists_changes_and_a_plot_of_the_history(
    capital_env: SimulatorHandle,
    instance: DagsterInstance,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = WarehouseTarget(f"duckdb:///{tmp_path / 'capital.duckdb'}", "capital")
    universes = []
    for day in range(DAYS):
        capital_env.set_config(day=day)
        universes.append(capital_env.universe())
        run_snapshot(instance, target, tags=demo_tags(day))
    latest = universes[-1]

    # Relative to the repository's root, as `make demo`'s path is, while the kernel runs in notebooks/.
    outputs = run_notebook(os.path.relpath(tmp_path / "capital.duckdb", REPOSITORY), monkeypatch)

    errors = [
        (cell, output)
        for cell, found in outputs.items()
        for output in found
        if output["output_type"] == "error"
    ]
    assert errors == []
    assert all(found for found in outputs.values()), "every code cell shows something"
    snapshots = text_of(outputs["snapshots"])
    assert all(demo_snapshot_id(day) in snapshots for day in range(DAYS))
    accounts = text_of(outputs["latest-accounts"])
    assert all(account["accountName"] in accounts for account in latest["accounts"])
    outline = text_of(outputs["navigation-outline"]).splitlines()
    top_level = [node["name"] for node in latest["nodes"] if node["parent_id"] is None]
    assert top_level and all(any(line.startswith(f"{name} (") for line in outline) for name in top_level)
    assert any(line.startswith("    ") and line.endswith(" markets)") for line in outline)
    watchlists = text_of(outputs["watchlists"])
    for watchlist in latest["watchlists"]:
        assert f"{watchlist['name']} ({len(watchlist['epics'])}): " in watchlists
    changes = text_of(outputs["listed-and-delisted"])
    known = set().union(*(expected_market_changes(a, b) for a, b in pairwise(universes)))
    listed_or_delisted = {(epic, change) for epic, change in known if change in {"listed", "delisted"}}
    assert any(change == "delisted" for _, change in listed_or_delisted), "the days delist a visible market"
    for epic, change in listed_or_delisted:
        assert any(epic in line.split() and change in line.split() for line in changes.splitlines()), (
            epic,
            change,
        )
    (plot,) = [
        output["data"]["image/png"]
        for output in outputs["markets-per-type-plot"]
        if "image/png" in output.get("data", {})
    ]
    if WRITE_DOCS:
        PLOT.write_bytes(base64.b64decode(plot))
