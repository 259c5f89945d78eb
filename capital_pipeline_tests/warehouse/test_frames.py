"""Checking frames (DataFrames and Arrow tables) against their declaration and converting them, before any
database is involved. Tests taking ``kind`` run once per input kind: the same frame, or it as Arrow."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pandas as pd
import pyarrow as pa
import pytest

from capital_pipeline.warehouse import WarehouseError, table_named
from capital_pipeline.warehouse.dialects import DUCKDB, POSTGRESQL
from capital_pipeline.warehouse.frames import UTC_MICROSECONDS, snapshot_rows

from .factory import as_arrow, as_frame, frames, market

TAKEN = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
MARKETS = table_named("markets")


def convert(frame: pd.DataFrame | pa.Table, table: str = "markets", dialect=DUCKDB) -> pa.Table:  # type: ignore[no-untyped-def]
    return snapshot_rows(table_named(table), frame, "s1", TAKEN, dialect)


@pytest.fixture(params=["frame", "arrow"])
def kind(request: pytest.FixtureRequest) -> str:
    """The input kind a test body runs with: ``frame`` (pandas) or ``arrow`` (``pa.Table``)."""
    return str(request.param)


def given(kind: str, frame: pd.DataFrame, table: str = "markets") -> pd.DataFrame | pa.Table:
    """``frame`` as input of ``kind``."""
    return frame if kind == "frame" else as_arrow(table, frame)


def markets_frame(**overrides: object) -> pd.DataFrame:
    return as_frame("markets", [{**market("SILVER"), **overrides}])


def test_rows_are_stamped_with_the_snapshot_and_typed_as_declared(kind: str) -> None:
    rows = convert(given(kind, frames([market("SILVER"), market("GOLD")])["markets"]))
    assert rows.column_names == [column.name for column in MARKETS.columns]
    assert rows.column("snapshot_id").to_pylist() == ["s1", "s1"]
    assert rows.column("snapshot_at").to_pylist() == [TAKEN, TAKEN]
    assert rows.schema.field("snapshot_at").type == UTC_MICROSECONDS
    assert rows.schema.field("delay_time").type == pa.int64()
    assert rows.schema.field("market_modes").type == pa.string()


def test_json_values_are_serialized_and_json_text_is_kept_verbatim() -> None:
    raw_text = '{"epic": "SILVER",  "spaced": true}'
    rows = convert(markets_frame(raw=raw_text, opening_hours=None))
    assert rows.column("raw").to_pylist() == [raw_text]
    assert rows.column("opening_hours").to_pylist() == [None]
    assert json.loads(rows.column("market_modes")[0].as_py()) == ["REGULAR"]
    assert rows.column("dealing_rules")[0].as_py().startswith('{"minStepDistance":{"unit":"POINTS"')


def test_json_refuses_nan_because_no_database_can_parse_it() -> None:
    with pytest.raises(WarehouseError, match=r"^markets.raw: cannot store as json: Out of range float"):
        convert(markets_frame(raw={"bid": float("nan")}))


def test_timestamps_in_any_zone_are_stored_as_utc_microseconds(kind: str) -> None:
    tokyo = timezone(timedelta(hours=9))
    at_tokyo = pd.Timestamp("2026-11-02T15:00:00.123456789", tz=tokyo)
    rows = convert(given(kind, markets_frame(update_time=at_tokyo)))
    assert rows.column("update_time").to_pylist() == [datetime(2026, 11, 2, 6, 0, 0, 123456, tzinfo=UTC)]


@pytest.mark.parametrize("naive", [pd.Timestamp("2026-11-02T06:00"), datetime(2026, 11, 2, 6, 0)])
def test_naive_timestamps_are_refused_rather_than_guessed(kind: str, naive: object) -> None:
    frame = markets_frame()
    frame["update_time"] = pd.Series(
        [naive], dtype="datetime64[ns]" if isinstance(naive, pd.Timestamp) else object
    )
    with pytest.raises(
        WarehouseError, match=r"^markets.update_time: cannot store as timestamp \(UTC\): naive"
    ):
        convert(given(kind, frame))


def test_missing_and_unexpected_columns_are_named(kind: str) -> None:
    frame = markets_frame().drop(columns=["bid"]).assign(spread=0.02)
    with pytest.raises(
        WarehouseError, match=r"^markets: .*missing columns \['bid'\], unexpected columns \['spread'\]"
    ):
        convert(given(kind, frame))


def test_stamped_columns_in_a_frame_get_a_hint(kind: str) -> None:
    frame = markets_frame().assign(snapshot_id="s1")
    with pytest.raises(WarehouseError, match=r"snapshot_id are stamped by publishing; drop them"):
        convert(given(kind, frame))


def test_a_null_key_is_refused_naming_table_and_column(kind: str) -> None:
    with pytest.raises(WarehouseError, match=r"^markets.epic: 1 null value\(s\) in a key column"):
        convert(given(kind, markets_frame(epic=None)))


def test_a_null_in_a_non_nullable_column_is_refused(kind: str) -> None:
    with pytest.raises(WarehouseError, match=r"^markets.raw: 1 null value\(s\) in a non-nullable column"):
        convert(given(kind, markets_frame(raw=None)))


def test_repeated_keys_are_refused_with_an_example(kind: str) -> None:
    members = [("1", "A"), ("1", "B"), ("2", "A"), ("1", "B"), ("1", "B"), ("3", "C"), ("3", "C")]
    frame = as_frame(
        "watchlist_markets",
        [{"watchlist_id": w, "epic": e, "position": i} for i, (w, e) in enumerate(members)],
    )
    with pytest.raises(
        WarehouseError,
        match=r"^watchlist_markets: 5 rows share a key \(watchlist_id, epic\), "
        r"e\.g\. \{'watchlist_id': '1', 'epic': 'B'\}$",
    ):
        convert(given(kind, frame, "watchlist_markets"), "watchlist_markets")


@pytest.mark.parametrize(
    "members",
    [
        [("1", "A"), ("1", "B"), ("1", "B"), ("2", "A")],
        [("1", "B"), ("1", "B")],
        [("1", "A"), ("2", "A"), ("2", "B"), ("2", "B")],
    ],
)
def test_repeated_keys_in_key_order_are_refused_too(kind: str, members: list[tuple[str, str]]) -> None:
    frame = as_frame(
        "watchlist_markets",
        [{"watchlist_id": w, "epic": e, "position": i} for i, (w, e) in enumerate(members)],
    )
    with pytest.raises(WarehouseError, match=r"^watchlist_markets: 2 rows share a key"):
        convert(given(kind, frame, "watchlist_markets"), "watchlist_markets")


@pytest.mark.parametrize("order", ["sorted", "reversed"])
def test_unique_keys_pass_in_any_order(kind: str, order: str) -> None:
    members = [("1", "A"), ("1", "B"), ("10", "A"), ("2", "A"), ("2", "a")]
    if order == "reversed":
        members.reverse()
    frame = as_frame(
        "watchlist_markets",
        [{"watchlist_id": w, "epic": e, "position": i} for i, (w, e) in enumerate(members)],
    )
    assert convert(given(kind, frame, "watchlist_markets"), "watchlist_markets").num_rows == 5


def test_keys_differing_only_in_case_or_one_part_are_distinct(kind: str) -> None:
    members = [("1", "A"), ("1", "a"), ("2", "A"), ("A", "1")]
    frame = as_frame(
        "watchlist_markets",
        [{"watchlist_id": w, "epic": e, "position": i} for i, (w, e) in enumerate(members)],
    )
    assert convert(given(kind, frame, "watchlist_markets"), "watchlist_markets").num_rows == 4


def test_values_of_the_wrong_type_are_refused_naming_the_column(kind: str) -> None:
    with pytest.raises(WarehouseError, match=r"^markets.bid: cannot store as float"):
        convert(given(kind, markets_frame(bid="22.041")))
    with pytest.raises(WarehouseError, match=r"^markets.delay_time: cannot store as integer"):
        convert(given(kind, markets_frame(delay_time=0.5)))
    with pytest.raises(WarehouseError, match=r"^markets.guaranteed_stop_allowed: cannot store as boolean"):
        convert(given(kind, markets_frame(guaranteed_stop_allowed="yes")))


def test_missing_values_become_nulls(kind: str) -> None:
    frame = as_frame(
        "markets", [market("A"), {**market("B"), "bid": None, "delay_time": None, "symbol": float("nan")}]
    )
    rows = convert(given(kind, frame))
    assert rows.column("bid").to_pylist()[1] is None
    assert rows.column("delay_time").to_pylist() == [0, None]
    assert rows.column("symbol").to_pylist()[1] is None


def test_an_empty_frame_converts_to_zero_rows(kind: str) -> None:
    rows = convert(given(kind, as_frame("watchlists", []), "watchlists"), "watchlists")
    assert rows.num_rows == 0
    assert rows.schema == convert(frames([], {"1": ("Metals", [])})["watchlists"], "watchlists").schema


def test_nul_in_text_becomes_a_replacement_character_for_postgresql_only(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    rows_in = [market("A"), {**market("B"), "instrument_name": "Sil\x00ver\x00"}]
    frame = given(kind, as_frame("markets", rows_in))
    with caplog.at_level("WARNING", logger="capital_pipeline.warehouse.frames"):
        rows = convert(frame, dialect=POSTGRESQL)
    assert rows.column("instrument_name").to_pylist() == ["A", "Sil\ufffdver\ufffd"]
    assert caplog.messages == [
        "markets.instrument_name: 1 value(s) hold a NUL character (first at row 1), which postgresql text "
        "cannot store: replaced by U+FFFD; JSON columns keep it as \\u0000"
    ]
    assert convert(frame, dialect=DUCKDB).column("instrument_name").to_pylist()[1] == "Sil\x00ver\x00"


def test_text_that_is_not_unicode_is_refused_naming_table_and_column() -> None:
    with pytest.raises(WarehouseError, match=r"^markets.instrument_name: cannot store as text"):
        convert(markets_frame(instrument_name="lone \ud800"))


def test_nul_in_json_is_escaped_so_every_database_takes_it() -> None:
    rows = convert(markets_frame(raw={"name": "Sil\x00ver"}), dialect=POSTGRESQL)
    assert rows.column("raw").to_pylist() == ['{"name":"Sil\\u0000ver"}']


def test_nul_is_found_and_replaced_in_a_slice_of_an_arrow_backed_frame() -> None:
    names = {"A": "Silver", "B": "Gold", "C": "Oil", "D": "Co\x00pper"}
    rows = [{**market(epic), "instrument_name": name} for epic, name in names.items()]
    arrow_backed = as_frame("markets", rows).convert_dtypes(dtype_backend="pyarrow")
    stored = convert(arrow_backed.iloc[1:], dialect=POSTGRESQL).column("instrument_name").to_pylist()
    assert stored == ["Gold", "Oil", "Co\ufffdpper"]
    assert convert(arrow_backed.iloc[1:3], dialect=POSTGRESQL).num_rows == 2


def test_bytes_under_a_null_text_value_are_not_taken_for_a_nul() -> None:
    # Arrow lets a null slot span any bytes; only values count.
    offsets = pa.py_buffer(pa.array([0, 3, 4], pa.int32()).buffers()[1])
    validity = pa.array([True, False]).buffers()[1]
    names = pa.StringArray.from_buffers(2, offsets, pa.py_buffer(b"Oil\x00"), validity)
    frame = as_frame("markets", [market("A"), market("B")])
    frame["instrument_name"] = pd.Series(pd.arrays.ArrowExtensionArray(names))
    rows = convert(frame, dialect=POSTGRESQL)
    assert rows.column("instrument_name").to_pylist() == ["Oil", None]


def arrow_markets(**columns: pa.Array) -> pa.Table:
    """Two markets as an Arrow table, with ``columns`` replaced."""
    table = as_arrow("markets", frames([market("SILVER"), market("GOLD")])["markets"])
    for name, array in columns.items():
        table = table.set_column(table.column_names.index(name), name, array)
    return table


def test_arrow_columns_are_matched_by_name_in_any_order() -> None:
    table = arrow_markets()
    reversed_columns = table.select(table.column_names[::-1])
    assert convert(reversed_columns).equals(convert(table))


def test_arrow_repeated_columns_are_refused() -> None:
    table = arrow_markets()
    doubled = table.append_column("bid", table.column("bid"))
    with pytest.raises(
        WarehouseError, match=r"^markets: .*missing columns \[\], .*repeated columns \['bid'\]"
    ):
        convert(doubled)


def test_arrow_large_and_dictionary_strings_are_stored_as_text() -> None:
    table = arrow_markets(
        epic=pa.array(["SILVER", "GOLD"], pa.large_string()),
        instrument_type=pa.array(["COMMODITIES", "COMMODITIES"]).dictionary_encode(),
        raw=pa.array(['{"a": 1}', '{"b": 2}'], pa.large_string()),
        market_modes=pa.array(['["REGULAR"]', '["REGULAR"]']).dictionary_encode(),
        symbol=pa.array(["Ag", None], pa.string_view()),
    )
    rows = convert(table, dialect=POSTGRESQL)
    assert rows.schema == convert(arrow_markets()).schema
    assert rows.column("epic").to_pylist() == ["SILVER", "GOLD"]
    assert rows.column("instrument_type").to_pylist() == ["COMMODITIES", "COMMODITIES"]
    assert rows.column("raw").to_pylist() == ['{"a": 1}', '{"b": 2}']
    assert rows.column("market_modes").to_pylist() == ['["REGULAR"]', '["REGULAR"]']
    assert rows.column("symbol").to_pylist() == ["Ag", None]


def test_arrow_dictionary_keys_are_checked_for_repeats() -> None:
    with pytest.raises(WarehouseError, match=r"^markets: 2 rows share a key \(epic\)"):
        convert(arrow_markets(epic=pa.array(["GOLD", "GOLD"]).dictionary_encode()))


def test_arrow_nul_in_large_string_text_is_replaced_for_postgresql() -> None:
    names = pa.array(["Sil\x00ver", "Gold"], pa.large_string())
    rows = convert(arrow_markets(instrument_name=names), dialect=POSTGRESQL)
    assert rows.column("instrument_name").to_pylist() == ["Sil\ufffdver", "Gold"]


def test_arrow_numbers_cast_only_when_nothing_is_lost() -> None:
    rows = convert(arrow_markets(delay_time=pa.array([1.0, None]), bid=pa.array([22, 23], pa.int32())))
    assert rows.column("delay_time").to_pylist() == [1, None]
    assert rows.column("bid").to_pylist() == [22.0, 23.0]
    with pytest.raises(WarehouseError, match=r"^markets.delay_time: cannot store as integer"):
        convert(arrow_markets(delay_time=pa.array([2**63, 0], pa.uint64())))


@pytest.mark.parametrize(
    ("column", "array", "expected"),
    [
        ("instrument_name", pa.array([1, 2]), "text"),
        ("raw", pa.array([{"a": 1}, {"a": 2}]), "json"),
        ("bid", pa.array([True, False]), "float"),
        ("guaranteed_stop_allowed", pa.array([1, 0]), "boolean"),
        ("update_time", pa.array(["2026-11-02T06:00Z"] * 2), r"timestamp \(UTC\)"),
        ("update_time", pa.array([date(2026, 11, 2)] * 2), r"timestamp \(UTC\)"),
    ],
)
def test_arrow_columns_of_another_type_are_refused_not_reinterpreted(
    column: str, array: pa.Array, expected: str
) -> None:
    with pytest.raises(WarehouseError, match=rf"^markets.{column}: cannot store as {expected}: Arrow type"):
        convert(arrow_markets(**{column: array}))


def test_arrow_naive_timestamps_are_refused() -> None:
    naive = pa.array([datetime(2026, 11, 2, 6, 0)] * 2, pa.timestamp("us"))
    with pytest.raises(
        WarehouseError, match=r"^markets.update_time: cannot store as timestamp \(UTC\): naive"
    ):
        convert(arrow_markets(update_time=naive))


def test_arrow_json_text_is_kept_verbatim_and_not_parsed() -> None:
    texts = ['{"epic": "SILVER",  "spaced": true}', '{"n":6.905305246410621e+16}']
    rows = convert(arrow_markets(raw=pa.array(texts)))
    assert rows.column("raw").to_pylist() == texts
