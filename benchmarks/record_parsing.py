"""Record parsing CPU: microseconds per record for the bodies a snapshot reads most (issue 7 at x30: 95,000
market details and 7,450 navigation pages read at 200 requests per second).

Bodies are the simulator's own (universe x1, day 0) through a JSON round trip, as the client decodes them:
``GET /markets?epics=`` answers of 50 details, navigation leaves of up to 500 market summaries, and single
summaries. Each body's records are dropped once parsed, as the markets step does (holding 10,000 details
alive instead triples the time: the garbage collector rescans them). Each figure is the best of five runs, in
process CPU time (other processes' load mostly stays out of it; the load average is printed beside it).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from typing import Any

from capital_pipeline.capital.parsing import ParseContext, parse_record, parse_records
from capital_pipeline.capital.records import MarketDetails, MarketSummary, NavigationPage
from capital_pipeline.simulator.universe import build_universe

REPEATS = 5


def _bodies() -> tuple[list[list[Any]], list[dict[str, Any]], list[dict[str, Any]], float]:
    universe = build_universe(scale=1)
    epics = list(universe.markets)
    batches = [[universe.markets[epic] for epic in epics[i : i + 50]] for i in range(0, len(epics), 50)]
    leaves = [node.epics[:500] for node in universe.nodes.values() if node.epics]
    pages = [{"markets": [universe.market_summary(epic) for epic in leaf]} for leaf in leaves]
    summaries = [universe.market_summary(epic) for epic in epics]
    decoded = json.loads(json.dumps([batches, pages, summaries]))
    return decoded[0], decoded[1], decoded[2], float(universe.client["timezoneOffset"])


def _best(parse: Callable[[Any], object], bodies: list[Any]) -> float:
    times = []
    for _ in range(REPEATS):
        started = time.process_time()
        for body in bodies:
            parse(body)
        times.append(time.process_time() - started)
    return min(times)


def main() -> None:
    batches, pages, summaries, offset = _bodies()
    context = ParseContext(offset)
    details = sum(map(len, batches))
    in_pages = sum(len(page["markets"]) for page in pages)
    rows = [
        (
            "market details (GET /markets?epics=, 50 a batch)",
            details,
            _best(lambda batch: parse_records(MarketDetails, batch, context), batches),
        ),
        (
            f"navigation page ({in_pages / len(pages):.0f} summaries on average)",
            len(pages),
            _best(lambda page: parse_record(NavigationPage, page, context), pages),
        ),
        (
            "market summary",
            len(summaries),
            _best(lambda summary: parse_record(MarketSummary, summary, context), summaries),
        ),
    ]
    print(f"load average {os.getloadavg()[0]:.2f} (2 cores); best of {REPEATS}, process CPU time\n")
    print("| record | count | µs each |\n|---|---|---|")
    for name, count, seconds in rows:
        print(f"| {name} | {count:,} | {seconds / count * 1e6:.1f} |")


if __name__ == "__main__":
    main()
