"""The reference snapshot with a public Capital.com client from the package index, against our client.

``capitalcom-python`` (0.2.3, the most complete such package on PyPI: every REST endpoint, plain login,
one ``requests`` call per method, no pacing or retries) runs in a virtual environment of its own
(``benchmarks/.public-client-venv``, made on first use), pointed at the simulator by rebinding the endpoint
URLs it builds at import time. It does what its README shows, one call after another: login, accounts, each
account's preferences with the switches, the navigation tree node by node, the watchlists, and the market
details one epic per call (timed on a sample and extrapolated, as in ``client_crawl``). Our client does the
same snapshot through ``CapitalClient``; both against one simulator at 150 ms latency and strict 10/s.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import _scorecard
from benchmarks.client_crawl import LATENCY_MS, RATE, crawl_at, print_rows
from capital_pipeline.simulator import SimulatorConfig, run_simulator

PACKAGE = "capitalcom-python==0.2.3"
SAMPLE = 200
HERE = Path(__file__).parent
VENV = HERE / ".public-client-venv"


def baseline_python() -> Path:
    """The baseline's interpreter, installing the package into its own environment the first time."""
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", PACKAGE], check=True)
    return python


def main() -> None:
    python = baseline_python()
    with run_simulator(SimulatorConfig(latency_ms=LATENCY_MS, rate_limit=RATE), in_subprocess=True) as sim:
        sizes, stats, ours, _ = crawl_at(sim, LATENCY_MS)
        epics = sorted(sim.universe()["markets"])[:SAMPLE]
        time.sleep(1.1)
        sim.reset_stats()
        c = sim.credentials
        worker = HERE / "_public_client_worker.py"
        answer = subprocess.run(
            [str(python), str(worker), sim.api_url, c.identifier, c.password, c.api_key, *epics],
            capture_output=True,
            text=True,
            check=True,
        )
        server = sim.stats()
    baseline = json.loads(answer.stdout.strip().splitlines()[-1])
    # The reference part was timed whole; the epics would take one call each.
    seconds = baseline["reference_seconds"] + sizes["epics"] * baseline["seconds_per_epic"]
    requests = baseline["reference_requests"] + sizes["epics"]
    print_rows(
        [
            ("package", f"{PACKAGE} in {VENV.name}, plain login, requests.get per call"),
            ("simulator", f"{LATENCY_MS:.0f} ms latency, strict {RATE} requests/s per user"),
            (
                "public client: reference part",
                f"{baseline['reference_requests']} requests, {baseline['reference_seconds']:.1f} s "
                f"({baseline['nodes']} nodes, {baseline['accounts']} accounts, "
                f"{baseline['watchlists']} watchlists)",
            ),
            (
                "public client: market details",
                f"{baseline['seconds_per_epic'] * 1000:.0f} ms per epic (sample {baseline['epic_sample']}), "
                f"{sizes['epics']} epics",
            ),
            ("public client: whole snapshot", f"{requests} requests, {seconds:.0f} s (extrapolated)"),
            ("public client: error answers", f"{len(baseline['errors'])} {sorted(set(baseline['errors']))}"),
            ("public client: 429s at the simulator", f"{server['too_many_requests']}"),
            ("our client: whole snapshot", f"{stats['total']} requests, {ours:.1f} s"),
            ("speed-up over the public client", f"{seconds / ours:.1f}x"),
        ]
    )
    _scorecard.record(
        "public_client",
        f"against {PACKAGE} at {LATENCY_MS:.0f} ms (one call after another)",
        f"{seconds:.0f} s / {ours:.1f} s = {seconds / ours:.1f}x",
        "≥ 20x",
        _scorecard.at_least(seconds / ours, 20),
    )
