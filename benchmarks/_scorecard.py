"""The issue's targets in one table at the end of ``make bench``: every figure measured in this one run.

Each benchmark prints its own detailed tables as it goes; the figures that issue 7 sets a target for are also
recorded here (``record``), and ``python -m benchmarks`` prints them together once every chosen benchmark
has run, each with its target and whether this run met it. A figure without a target (a ceiling measured on
this machine, say) is shown for context, marked neither way. Nothing here is asserted: a missed target is a
finding to report, not a failure.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Score", "at_least", "at_most", "clear", "record", "render", "scores", "within"]


@dataclass(frozen=True)
class Score:
    """One measured figure: which benchmark measured it, what it is, and against which target."""

    benchmark: str
    what: str
    figure: str
    target: str = ""
    # None: context without a target of its own (a ceiling, a baseline's speed).
    met: bool | None = None


_SCORES: list[Score] = []


def record(benchmark: str, what: str, figure: str, target: str = "", met: bool | None = None) -> Score:
    """Keep a figure for the closing table (in the order recorded) and return it."""
    score = Score(benchmark, what, figure, target, met)
    _SCORES.append(score)
    return score


def scores() -> list[Score]:
    """Everything recorded so far in this process."""
    return list(_SCORES)


def clear() -> None:
    _SCORES.clear()


def at_most(value: float, limit: float) -> bool:
    return value <= limit


def at_least(value: float, floor: float) -> bool:
    return value >= floor


def within(value: float, reference: float, fraction: float) -> bool:
    """``value`` no more than ``fraction`` above ``reference`` (a ratio to a bound: lower is better)."""
    return value <= reference * (1 + fraction)


def _verdict(met: bool | None) -> str:
    return "" if met is None else ("met" if met else "**missed**")


def render(recorded: list[Score]) -> str:
    """A Markdown table, one row per figure, and a count of targets met; empty when nothing was recorded."""
    if not recorded:
        return ""
    lines = ["| benchmark | what | figure | target | |", "|---|---|---|---|---|"]
    lines += [f"| {s.benchmark} | {s.what} | {s.figure} | {s.target} | {_verdict(s.met)} |" for s in recorded]
    judged = [s for s in recorded if s.met is not None]
    met = sum(1 for s in judged if s.met)
    lines.append(f"\n{met} of {len(judged)} targets met in this run.")
    return "\n".join(lines)
