"""Hypothesis strategies for hostile API answers: wrong types, nulls, huge and odd strings, deep nesting,
non-finite numbers, missing keys, and mutations of the official collection's example responses.

Examples are bounded and derandomized so CI is repeatable; ``CAPITAL_PIPELINE_FUZZ_EXAMPLES`` scales every
fuzz test's example count for a longer local run (e.g. ``CAPITAL_PIPELINE_FUZZ_EXAMPLES=2000``).
"""

from __future__ import annotations

import json
import math
import os
from functools import cache
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from capital_pipeline.capital.parsing import unicode_text
from capital_pipeline_tests.simulator.conformance import load_examples

__all__ = [
    "HOSTILE_STRINGS",
    "body_text",
    "examples_of",
    "fuzz_settings",
    "hostile_json",
    "hostile_text",
    "mutated",
    "storable_json",
]

# A fixed per-test count keeps `make test` inside its time budget; the variable raises it for a long run.
SCALE_VARIABLE = "CAPITAL_PIPELINE_FUZZ_EXAMPLES"


def fuzz_settings(examples: int, *, fixtures: bool = False) -> settings:
    """Derandomized, no deadline, no example database, no shrinking (a failure is reported as found, in
    seconds, instead of minutes of shrinking past the test timeout); ``CAPITAL_PIPELINE_FUZZ_EXAMPLES``
    overrides the count. ``fixtures``: the test takes function-scoped fixtures, shared by its examples."""
    count = int(os.environ.get(SCALE_VARIABLE, "0")) or examples
    return settings(
        max_examples=count,
        deadline=None,
        derandomize=True,
        database=None,
        phases=(Phase.explicit, Phase.generate),
        report_multiple_bugs=False,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            *([HealthCheck.function_scoped_fixture] if fixtures else []),
        ],
    )


HOSTILE_STRINGS = (
    "",
    " ",
    "O'Brien",
    'say "hi"',
    "'); DROP TABLE markets; --",
    "Robert'); DROP TABLE snapshots; --",
    "back\\slash \\N \\. \\u0000",
    "nul\x00inside",
    "\x00",
    "lone \ud800 high",
    "lone \udfff low",
    "\udc00\ud800",
    "emoji 😀 flag 🏳️‍🌈 zwj",
    "rtl \u202eevil\u202c mark \u200f",
    "line\nbreak\r\nand\ttab \u2028 \u2029",
    "bom \ufeff and nonchar \uffff \U0010ffff",
    ":name $1 ? %s %(x)s {braces} {{}}",
    "..",
    "/",
    "a/b?c=d#e",
    "%2F%00",
    "x" * 100_000,
    "é" * 20_000,
    "2022-04-06T13:17:38.477",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "9999-12-31T23:59:59.999999",
    "0001-01-01T00:00:00",
)
HOSTILE_NUMBERS = (
    0,
    -1,
    2**53,
    2**63,
    -(2**64),
    10**400,
    -(10**4000),
    1e308,
    -1e-320,
    float("nan"),
    float("inf"),
    float("-inf"),
    1707948000000,
    253402300800000,
    -62135596800001,
)


@cache
def hostile_text() -> st.SearchStrategy[str]:
    """Any string, surrogates included, and the named hostile ones."""
    return st.one_of(
        st.sampled_from(HOSTILE_STRINGS),
        st.text(st.characters(exclude_categories=()), max_size=20),
    )


def _leaves() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.sampled_from(HOSTILE_NUMBERS),
        hostile_text(),
    )


def _nested(depth: int) -> Any:
    value: Any = "bottom"
    for level in range(depth):
        value = [value] if level % 2 else {"d": value}
    return value


@cache
def hostile_json(*, max_leaves: int = 10, deepest: int = 600) -> st.SearchStrategy[Any]:
    """Any decoded JSON value (NaN and Infinity included, as Python's decoder accepts them), some nested
    ``deepest`` levels (900 is about what ``json.loads`` accepts from a shallow stack; from the client's
    stack, inside pytest and asyncio, 600 always decodes)."""
    deep = st.sampled_from([50, deepest]).map(_nested)
    return st.recursive(
        _leaves() | deep,
        lambda children: (
            st.lists(children, max_size=3) | st.dictionaries(hostile_text(), children, max_size=3)
        ),
        max_leaves=max_leaves,
    )


@cache
def _collection() -> dict[str, list[Any]]:
    _, examples = load_examples()
    bodies: dict[str, list[Any]] = {}
    for example in examples:
        if example.status == 200 and example.body is not None:
            bodies.setdefault(example.request, []).append(example.body)
    return bodies


def examples_of(*requests: str) -> list[Any]:
    """The collection's 200 example bodies of these request names (as in the Postman collection)."""
    found = [body for request in requests for body in _collection()[request]]
    if not found:
        raise KeyError(f"no 200 example for {requests}")
    return found


@cache
def _hostile_leaf() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(HOSTILE_NUMBERS),
        st.sampled_from(HOSTILE_STRINGS),
        st.sampled_from([None, True, False, [], {}]),
    )


# Draws shrink toward 0, and derandomized runs favour small draws, so 0 means "keep as is".
_CHOICE = st.integers(0, 19)
_ONE_IN_FOUR = st.integers(0, 3)


def _mutate(draw: st.DrawFn, value: Any, deepest: int) -> Any:
    choice = draw(_CHOICE)
    if choice == 19:
        return draw(hostile_json(max_leaves=4, deepest=deepest))
    if isinstance(value, dict):
        mutated_value = {}
        for key, item in value.items():
            if draw(_CHOICE) == 19:  # the key goes missing
                continue
            mutated_value[key] = _mutate(draw, item, deepest)
        if draw(_ONE_IN_FOUR) == 3:
            mutated_value[draw(hostile_text())] = draw(hostile_json(max_leaves=3, deepest=deepest))
        return mutated_value
    if isinstance(value, list):
        items = [_mutate(draw, item, deepest) for item in value]
        if items and draw(_ONE_IN_FOUR) == 3:
            items = items + items  # repeated entries: the same epic, node or account twice
        return items
    # A scalar: often a near miss (a number out of range, NaN, an odd string, a null, a wrong type).
    return draw(_hostile_leaf()) if choice >= 12 else value


@st.composite
def _mutation(draw: st.DrawFn, requests: tuple[str, ...], deepest: int) -> Any:
    return _mutate(draw, draw(st.sampled_from(examples_of(*requests))), deepest)


def mutated(*requests: str, deepest: int = 600) -> st.SearchStrategy[Any]:
    """A collection example of one of ``requests``, with values replaced, keys dropped or added, types
    changed and list items repeated."""
    return _mutation(requests, deepest)


def body_text(value: Any) -> bytes:
    """``value`` as an HTTP body: JSON text as Python writes it (NaN and Infinity as bare words, lone
    surrogates as ``\\ud800`` escapes), which ``json.loads`` reads back to ``value``."""
    return json.dumps(value).encode()


def storable_json(value: Any) -> Any:
    """``value`` as a JSON database can hold it: non-finite numbers null, lone surrogates U+FFFD."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str):
        return unicode_text(value)
    if isinstance(value, list):
        return [storable_json(item) for item in value]
    if isinstance(value, dict):
        return {unicode_text(key): storable_json(item) for key, item in value.items()}
    return value
