"""The rows ``market_changes`` and ``watchlist_changes`` must show for one simulated day, values included.

Built from the simulator's ground truth (``/_simulator/universe``) of the day before and the day itself: its
``changes`` name what happened, its ``markets`` give the names, margins and dealing rules the views print.
Only markets a snapshot can see count (``universe_views.visible_epics``).
"""

from __future__ import annotations

import json
from typing import Any

from capital_pipeline_tests.defs.universe_views import (
    expected_market_changes,
    expected_watchlist_changes,
    visible_epics,
)

# (epic, change, old_value, new_value); dealing rules compare parsed, so their values are JSON text here.
MarketChange = tuple[str, str, str | None, str | None]


def _number_text(number: float) -> str:
    # As the view prints a number: whole numbers without ".0".
    return str(int(number)) if float(number).is_integer() else repr(float(number))


def _margin(market: dict[str, Any]) -> str:
    instrument = market["instrument"]
    return f"{_number_text(instrument['marginFactor'])} {instrument['marginFactorUnit']}"


def _name(market: dict[str, Any]) -> str:
    return market["instrument"]["name"]


def _rules(market: dict[str, Any]) -> str:
    return json.dumps(market["dealingRules"], sort_keys=True)


def market_change_rows(before: dict[str, Any], after: dict[str, Any]) -> set[MarketChange]:
    """Every row ``market_changes`` must hold for ``after``'s snapshot, with the old and new value."""
    old, new = before["markets"], after["markets"]
    values = {
        "listed": lambda epic: (None, _name(new[epic])),
        "delisted": lambda epic: (_name(old[epic]), None),
        "renamed": lambda epic: (_name(old[epic]), _name(new[epic])),
        "margin_changed": lambda epic: (_margin(old[epic]), _margin(new[epic])),
        "dealing_rules_changed": lambda epic: (_rules(old[epic]), _rules(new[epic])),
    }
    return {(epic, change, *values[change](epic)) for epic, change in expected_market_changes(before, after)}


def normalized_market_change(epic: str, change: str, old: str | None, new: str | None) -> MarketChange:
    """A ``market_changes`` row as ``market_change_rows`` writes it (dealing rules re-serialized)."""
    if change == "dealing_rules_changed":
        old = json.dumps(json.loads(old), sort_keys=True) if old is not None else None
        new = json.dumps(json.loads(new), sort_keys=True) if new is not None else None
    return (epic, change, old, new)


def reported_rule_fields(before: dict[str, Any], after: dict[str, Any]) -> set[tuple[str, str]]:
    """(epic, dealing rule) pairs the simulator says changed, among markets both snapshots see."""
    visible = visible_epics(before) & visible_epics(after)
    return {
        (i["epic"], i["field"]) for i in after["changes"]["dealing_rules_changed"] if i["epic"] in visible
    }


def rule_fields_between(epic: str, old_rules: str, new_rules: str) -> set[tuple[str, str]]:
    """(epic, dealing rule) pairs that differ between two ``dealing_rules`` JSON texts."""
    old, new = json.loads(old_rules), json.loads(new_rules)
    return {(epic, field) for field in old.keys() | new.keys() if old.get(field) != new.get(field)}


def watchlist_change_rows(after: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(watchlist_id, epic, change) rows ``watchlist_changes`` must hold for ``after``'s snapshot."""
    return expected_watchlist_changes(after)


__all__ = [
    "MarketChange",
    "market_change_rows",
    "normalized_market_change",
    "reported_rule_fields",
    "rule_fields_between",
    "watchlist_change_rows",
]
