"""Comparing the simulator's answers with the official collection's examples, and reporting the result.

An answer conforms to an example when it has the example's status, the same JSON shape (the same keys and
JSON types, recursively; each list item of the answer has the shape of some item of the example's list; an
empty example list constrains nothing but the type), the same ``errorCode`` for error examples (the part
before any ``:``), and every response header the example shows (framing headers aside).

The collection is the 2022-2023 (S1) shape; the simulator serves the current docs' (S2) shape. The only
allowed differences are the ones REFERENCE §6 documents, listed in ``S2_DIFFERENCES``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

__all__ = [
    "COLLECTION",
    "S2_DIFFERENCES",
    "Difference",
    "Example",
    "Verdict",
    "load_examples",
    "render_report",
    "verdict",
]

COLLECTION = Path(__file__).parent / "data" / "capital.collection.json"
# Framing and per-response headers: they say nothing about the API's contract.
_IGNORED_HEADERS = {"date", "transfer-encoding", "connection", "content-length", "content-type"}


@dataclass(frozen=True)
class Difference:
    """One documented S1 -> S2 change of the objects found under ``key`` (``"x[]"``: items of list ``x``)."""

    what: str
    key: str
    source: str
    requests: tuple[str, ...] = ()
    renamed: dict[str, str] = field(default_factory=dict)
    added: dict[str, Any] = field(default_factory=dict)
    removed: tuple[str, ...] = ()


# marketModes may be empty (REFERENCE §6: REGULAR, VIEW_ONLY or []), so an empty list stands for its type.
_SUMMARY_ADDED = {"symbol": "Silver", "marketModes": [], "pipPosition": 2, "tickSize": 0.001}
_SUMMARY_SOURCE = "REFERENCE §6 market summary: symbol, marketModes, pipPosition, tickSize are newer (S2)"
_POINTS = {"unit": "POINTS", "value": 1}
S2_DIFFERENCES: tuple[Difference, ...] = (
    Difference("market summary", "markets[]", _SUMMARY_SOURCE, added=_SUMMARY_ADDED),
    Difference("position market", "market", _SUMMARY_SOURCE, added=_SUMMARY_ADDED),
    Difference("order market", "marketData", _SUMMARY_SOURCE, added=_SUMMARY_ADDED),
    Difference(
        "instrument",
        "instrument",
        "REFERENCE §6 GET /markets/{epic}: controlledRiskAllowed became guaranteedStopAllowed; symbol and "
        "overnightFee are new",
        renamed={"controlledRiskAllowed": "guaranteedStopAllowed"},
        added={
            "symbol": "Silver",
            "overnightFee": {
                "longRate": -0.02,
                "shortRate": 0.01,
                "swapChargeTimestamp": 1707948000000,
                "swapChargeInterval": 1440,
            },
        },
    ),
    Difference(
        "dealing rules",
        "dealingRules",
        "REFERENCE §6 GET /markets/{epic}: S1 stop rules renamed; maxDealSize and minSizeIncrement are new",
        renamed={
            "minControlledRiskStopDistance": "minGuaranteedStopDistance",
            "minNormalStopOrLimitDistance": "minStopOrProfitDistance",
            "maxStopOrLimitDistance": "maxStopOrProfitDistance",
        },
        added={"maxDealSize": _POINTS, "minSizeIncrement": _POINTS},
    ),
    Difference(
        "snapshot",
        "snapshot",
        "REFERENCE §6 GET /markets/{epic}: marketModes is new",
        added={"marketModes": []},
    ),
    Difference(
        "login accounts",
        "accounts[]",
        "REFERENCE §6 POST /session: S2 account items add currency, symbol, balance",
        requests=("Create new session",),
        added={
            "currency": "USD",
            "symbol": "$",
            "balance": {"balance": 1, "deposit": 1, "profitLoss": 0, "available": 1},
        },
    ),
    Difference(
        "accounts",
        "accounts[]",
        "REFERENCE §6 GET /accounts: symbol is new vs S1",
        requests=("All accounts",),
        added={"symbol": "$"},
    ),
    Difference(
        "working order",
        "workingOrderData",
        "REFERENCE §6 GET /workingorders: leverage and trailingStop are newer than S1",
        added={"leverage": 20, "trailingStop": False},
    ),
    Difference(
        "transaction",
        "transactions[]",
        "REFERENCE §6 GET /history/transactions: status is new vs S1",
        added={"status": "PROCESSED"},
    ),
    Difference(
        "confirmation",
        "",
        "REFERENCE §6 GET /confirms: the S2 example is identical minus reason",
        requests=("Position/Order confirmation",),
        removed=("reason",),
    ),
)


@dataclass(frozen=True)
class Example:
    """One example response of the collection, with the request it answers."""

    request: str
    name: str
    status: int
    body: Any
    headers: tuple[str, ...]
    content_type: str | None


def load_examples(path: Path = COLLECTION) -> tuple[list[str], list[Example]]:
    """The collection's request names (in order) and all its example responses."""
    requests: list[str] = []
    examples: list[Example] = []

    def walk(items: list[dict[str, Any]]) -> None:
        for item in items:
            if "item" in item:
                walk(item["item"])
                continue
            requests.append(item["name"])
            for response in item.get("response", []):
                headers = [header["key"] for header in response.get("header") or []]
                content_type = next(
                    (h["value"] for h in response.get("header") or [] if h["key"].lower() == "content-type"),
                    None,
                )
                body = json.loads(response["body"]) if response.get("body") else None
                examples.append(
                    Example(
                        item["name"], response["name"], response["code"], body, tuple(headers), content_type
                    )
                )

    walk(json.loads(path.read_text())["item"])
    return requests, examples


def s2_expectation(example: Example) -> Any:
    """The example's body with the documented S2 differences applied."""
    return _transformed(json.loads(json.dumps(example.body)), "", example.request)


def _transformed(value: Any, key: str, request: str) -> Any:
    if isinstance(value, list):
        return [_transformed(item, key + "[]", request) for item in value]
    if not isinstance(value, dict):
        return value
    for difference in S2_DIFFERENCES:
        if difference.key == key and (not difference.requests or request in difference.requests):
            value = {difference.renamed.get(name, name): item for name, item in value.items()}
            value = {name: item for name, item in value.items() if name not in difference.removed}
            value |= difference.added
    return {name: _transformed(item, name, request) for name, item in value.items()}


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {dict: "object", list: "array", str: "string", type(None): "null"}[type(value)]


def shape_problems(expected: Any, actual: Any, where: str = "$") -> list[str]:
    """Where ``actual`` differs from ``expected`` in keys or JSON types (empty when the shapes agree)."""
    if _json_type(expected) != _json_type(actual):
        return [f"{where}: {_json_type(actual)} where the example has {_json_type(expected)}"]
    if isinstance(expected, dict):
        problems = [f"{where}.{key}: missing" for key in expected if key not in actual]
        problems += [f"{where}.{key}: not in the example" for key in actual if key not in expected]
        for key in expected.keys() & actual.keys():
            problems += shape_problems(expected[key], actual[key], f"{where}.{key}")
        return problems
    if isinstance(expected, list) and expected:
        if not actual:
            return [f"{where}: empty where the example has items"]
        problems = []
        for index, item in enumerate(actual):
            attempts = [shape_problems(candidate, item, f"{where}[{index}]") for candidate in expected]
            if all(attempts):
                problems += min(attempts, key=len)
        return problems
    return []


@dataclass(frozen=True)
class Verdict:
    """How one staged example compared."""

    example: Example
    status: int
    problems: tuple[str, ...]
    note: str = ""

    @property
    def conforms(self) -> bool:
        return not self.problems


def verdict(example: Example, response: httpx.Response, note: str = "") -> Verdict:
    """Compare a simulator answer with an example (see the module docstring for the rules)."""
    problems: list[str] = []
    if response.status_code != example.status:
        problems.append(f"status {response.status_code}, example {example.status}")
    try:
        body = response.json()
    except ValueError:
        return Verdict(example, response.status_code, (*problems, "body is not JSON"), note)
    problems += shape_problems(s2_expectation(example), body)
    if isinstance(example.body, dict) and "errorCode" in example.body and isinstance(body, dict):
        wanted, got = example.body["errorCode"].split(":")[0], str(body.get("errorCode")).split(":")[0]
        if wanted != got:
            problems.append(f"errorCode {got!r}, example {wanted!r}")
    present = {name.lower() for name in response.headers}
    problems += [
        f"header {name} missing" for name in example.headers if name.lower() not in present | _IGNORED_HEADERS
    ]
    if example.content_type and response.headers.get("content-type") != example.content_type:
        problems.append(
            f"content-type {response.headers.get('content-type')!r}, example {example.content_type!r}"
        )
    return Verdict(example, response.status_code, tuple(problems), note)


def render_report(requests: list[str], verdicts: list[Verdict], unstaged: dict[tuple[str, str], str]) -> str:
    """The markdown of ``docs/conformance.md``."""
    conforming = [v for v in verdicts if v.conforms]
    covered = {v.example.request for v in conforming}
    total = len(verdicts) + len(unstaged)
    lines = [
        "# Simulator conformance with the official Postman collection",
        "",
        "Written by `capital_pipeline_tests/simulator/test_conformance.py` from its last run; do not edit.",
        "",
        f"**{len(covered)}/{len(requests)} requests, {len(conforming)}/{total} examples** conform "
        "(status, JSON shape, errorCode, headers;",
        "rules in `capital_pipeline_tests/simulator/conformance.py`).",
        "",
        "## Documented S1 to S2 differences allowed",
        "",
        "| objects | renamed | added | removed | source |",
        "|---|---|---|---|---|",
    ]
    for d in S2_DIFFERENCES:
        renamed = ", ".join(f"{old} -> {new}" for old, new in d.renamed.items())
        scope = f"`{d.key or '(top level)'}`" + (f" in {', '.join(d.requests)}" if d.requests else "")
        lines.append(
            f"| {d.what}: {scope} | {renamed} | {', '.join(d.added)} | {', '.join(d.removed)} | {d.source} |"
        )
    lines += [
        "",
        "## Examples",
        "",
        "| request | example | status | result | staging note |",
        "|---|---|---|---|---|",
    ]
    for v in verdicts:
        result = "conforms" if v.conforms else "DIFFERS: " + "; ".join(v.problems)
        lines.append(f"| {v.example.request} | {v.example.name} | {v.example.status} | {result} | {v.note} |")
    lines += ["", "## Examples that cannot be staged", ""]
    lines += [f"- {request} / {name}: {why}" for (request, name), why in unstaged.items()] or ["None."]
    return "\n".join(lines) + "\n"
