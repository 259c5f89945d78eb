"""Values come back exactly as published: JSON, hostile text, floats; NUL too (U+FFFD in PostgreSQL text)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capital_pipeline.warehouse import Warehouse

from .factory import frames, market, snapshot

HOSTILE = [
    "O'Brien",
    'say "hi"',
    "Robert'); DROP TABLE markets; --",
    "emoji 😀 flag 🏳️‍🌈 and ñ, 中文, עברית",
    "back\\slash and \\N and \\.",
    "\\.",
    "",
    "comma, newline\nsecond line\r\nthird",
    "tab\there",
    ":name $1 ? %s %(x)s {braces}",
]
RAW = {
    "epic": "SILVER",
    "quotes": 'it\'s "quoted"',
    "unicode": "café 😀 \u2028",
    "nested": {"list": [1, 2.5, -0.0001, 1e-300, 10**20, True, False, None, [], {}], "empty": ""},
    "escapes": "back\\slash / tab\t newline\n",
    'key "with" quotes': {"ñ": "中文"},
}
TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=30)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(TEXT, children, max_size=3),
    max_leaves=12,
)


def stored_markets(warehouse: Warehouse) -> list[dict[str, Any]]:
    frame = warehouse.query("SELECT epic, instrument_name, symbol, bid, raw FROM markets ORDER BY epic")
    return frame.to_dict("records")


def test_raw_json_round_trips_exactly(warehouse: Warehouse) -> None:
    warehouse.publish_snapshot(snapshot(1), frames([market("SILVER", raw=RAW)], {}))
    stored = stored_markets(warehouse)[0]["raw"]
    assert json.loads(stored) == RAW
    assert stored == json.dumps(RAW, ensure_ascii=False, separators=(",", ":"))


def test_hostile_strings_are_stored_exactly(warehouse: Warehouse) -> None:
    rows = [market(f"E{i:02}", name=text, raw={"name": text}) for i, text in enumerate(HOSTILE)]
    warehouse.publish_snapshot(snapshot(1), frames(rows, {}))
    stored = stored_markets(warehouse)
    assert [row["instrument_name"] for row in stored] == HOSTILE
    assert [json.loads(row["raw"])["name"] for row in stored] == HOSTILE
    assert len(warehouse.query("SELECT * FROM markets")) == len(HOSTILE)


def test_nul_in_json_is_stored_exactly_everywhere(warehouse: Warehouse) -> None:
    warehouse.publish_snapshot(snapshot(1), frames([market("SILVER", raw={"name": "Sil\x00ver"})], {}))
    assert json.loads(stored_markets(warehouse)[0]["raw"]) == {"name": "Sil\x00ver"}


def test_nul_in_text_is_stored_by_duckdb_and_replaced_by_postgresql(
    warehouse: Warehouse, is_postgres: bool
) -> None:
    with_nul = frames([market("SILVER", name="Sil\x00ver", raw={"name": "Sil\x00ver"})], {})
    warehouse.publish_snapshot(snapshot(1), with_nul)
    stored = stored_markets(warehouse)[0]
    assert stored["instrument_name"] == ("Sil\ufffdver" if is_postgres else "Sil\x00ver")
    assert json.loads(stored["raw"]) == {"name": "Sil\x00ver"}


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.tuples(TEXT, st.floats(allow_nan=False), JSON), min_size=1, max_size=8))
def test_any_text_float_and_json_round_trips(
    warehouse: Warehouse, values: list[tuple[str, float, Any]]
) -> None:
    rows = [
        {**market(f"E{i}", raw={"value": value}), "symbol": text, "bid": bid}
        for i, (text, bid, value) in enumerate(values)
    ]
    warehouse.publish_snapshot(snapshot(1), frames(rows, {}))
    stored = stored_markets(warehouse)
    assert [row["symbol"] for row in stored] == [text for text, _, _ in values]
    for row, (_, bid, value) in zip(stored, values, strict=True):
        assert row["bid"] == bid
        assert json.loads(row["raw"]) == {"value": value}
