"""The fault matrix: every endpoint the snapshot job calls, crossed with every fault the simulator can inject,
transient and persistent, each through a real run of ``capital_snapshot_job``.

A run either completes with exactly the rows of a clean run of the same simulated day (every table compared
row by row without its snapshot id and time: rows lost 0, rows duplicated 0), or fails with a message naming
what failed and what to do, leaving no row of its snapshot in any table and every ``latest_*`` view as it was.

Cost: a run is seconds of Dagster and API time, so faults that a run must survive are stacked: in one run an
endpoint's first calls meet several kinds in turn, on every endpoint at once (the simulator's injected-fault
count proves each one fired). Faults a run must fail on get a run each, since the first one ends it.
``docs/fault-matrix.md`` is rewritten when the whole matrix ran (no timings in it: only the matrix moves it).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from dagster import DagsterInstance

from capital_pipeline.simulator import Fault, SimulatorHandle
from capital_pipeline.warehouse import DATA_TABLES, LogicalType, Warehouse, table_named
from capital_pipeline_tests.defs.conftest import WarehouseTarget
from capital_pipeline_tests.resilience.conftest import Attempt, attempt_snapshot, duckdb_target

pytestmark = pytest.mark.slow

REPORT = Path(__file__).resolve().parents[2] / "docs" / "fault-matrix.md"

ENCRYPTION_KEY = "GET /api/v1/session/encryptionKey"
LOGIN = "POST /api/v1/session"
ACCOUNTS = "GET /api/v1/accounts"
PREFERENCES = "GET /api/v1/accounts/preferences"
SWITCH = "PUT /api/v1/session"
NAVIGATION = "GET /api/v1/marketnavigation"
NODE = "GET /api/v1/marketnavigation/{nodeId}"
WATCHLISTS = "GET /api/v1/watchlists"
WATCHLIST = "GET /api/v1/watchlists/{watchlistId}"
MARKETS = "GET /api/v1/markets"
LOGOUT = "DELETE /api/v1/session"
ENDPOINTS = (
    ENCRYPTION_KEY,
    LOGIN,
    ACCOUNTS,
    PREFERENCES,
    SWITCH,
    NAVIGATION,
    NODE,
    WATCHLISTS,
    WATCHLIST,
    MARKETS,
    LOGOUT,
)
# Routes answered on the API key alone: no session there to expire.
SESSION_ENDPOINTS = tuple(route for route in ENDPOINTS if route not in (ENCRYPTION_KEY, LOGIN))
SNAPSHOT_COLUMNS = ("snapshot_id", "snapshot_at")
# Held longer than the client's timeout (1 s in conftest), so the client gives up on it.
HELD_SECONDS = 1.5

COMPLETES, FAILS = "completes", "fails with a clear error"
# What the simulator's extra_field fault adds by default (simulator/faults.py).
EXTRA_FIELD = "simulatorExtraField"


@dataclass(frozen=True)
class FaultKind:
    label: str
    kind: str
    status: int | None = None
    retry_after: int | None = None

    def fault(self, route: str, first_n: int | None) -> Fault:
        extra: dict[str, Any] = {"status": self.status} if self.status is not None else {}
        if self.kind == "timeout":
            extra["seconds"] = HELD_SECONDS
        return Fault(kind=self.kind, route=route, first_n=first_n, **extra)


RETRY_AFTER = FaultKind("429 with Retry-After", "status", 429, retry_after=1)
TOO_MANY = FaultKind("429 without Retry-After", "status", 429)
SERVER_ERROR = FaultKind("500", "status", 500)
GATEWAY = FaultKind("502 HTML gateway page", "status", 502)
UNAVAILABLE = FaultKind("503", "status", 503)
TIMEOUT = FaultKind("timeout", "timeout")
RESET = FaultKind("connection reset", "reset")
MALFORMED = FaultKind("malformed JSON", "malformed_json")
EXPIRED = FaultKind("expired session", "expired_session")
# Transient kinds stacked: an endpoint's first calls meet the kinds of a group in turn (call 1 the first kind,
# call 2 the second, ...), each answered on the next attempt. Retry-After is a simulator-wide setting, so the
# 429 that carries it has a run of its own.
TRANSIENT_GROUPS = (
    ("server", (SERVER_ERROR, GATEWAY, UNAVAILABLE)),
    ("connection", (RESET, MALFORMED, EXPIRED)),
    ("slow", (TIMEOUT, TOO_MANY)),
    ("retry-after", (RETRY_AFTER,)),
)


@dataclass(frozen=True)
class Case:
    endpoint: str
    fault: str
    mode: str
    expected: str
    why: str


@dataclass(frozen=True)
class MatrixRun:
    """One run of the job and the cases it decides."""

    name: str
    faults: tuple[Fault, ...]
    cases: tuple[Case, ...]
    retry_after: int | None = None
    # Columns the faults leave null (a dropped optional field); whether `raw` may differ from the clean run.
    null_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    raw_differs: bool = False
    # How many faults must fire for the run to decide its cases (each stacked fault once).
    injected: int | None = None
    # A field the faults add: JSON columns (`raw` first) must hold it, and equal the clean run without it.
    extra_field: str | None = None
    # The table whose `raw` must show the added field (the faulted endpoint's).
    extra_field_table: str = "accounts"
    # Why the run does not behave as expected yet (its test is an expected failure until it does).
    known_gap: str | None = None

    @property
    def expected(self) -> str:
        return self.cases[0].expected


def _applies(kind: FaultKind, route: str) -> bool:
    return kind is not EXPIRED or route in SESSION_ENDPOINTS


def _fires(kinds: tuple[FaultKind, ...], position: int, route: str) -> bool:
    """Whether ``route`` gets a call ``position`` (1-based) while the group is active: every faulted call is
    tried again, except a logout whose malformed body is never read (the logout is its route's only call)."""
    earlier = kinds[: position - 1]
    return not (route == LOGOUT and MALFORMED in earlier)


def _transient(name: str, kinds: tuple[FaultKind, ...]) -> MatrixRun:
    why = "retried (or re-logged in once), the run goes on"
    faults, cases, injected = [], [], 0
    for position, kind in enumerate(kinds, start=1):
        for route in ENDPOINTS:
            if not _applies(kind, route):
                continue
            # first_n counts every call of the route, so fault k fires on call k alone (the earlier ones won).
            faults.append(kind.fault(route, position))
            if _fires(kinds, position, route):
                injected += 1
                cases.append(Case(route, kind.label, f"call {position}", COMPLETES, why))
    return MatrixRun(
        f"transient-{name}",
        tuple(faults),
        tuple(cases),
        retry_after=kinds[0].retry_after,
        injected=injected,
    )


# A field the sources show as sometimes absent (simulator OPTIONAL_FIELDS), where each endpoint has one.
MISSING = {ACCOUNTS: "symbol", NODE: "netChange", WATCHLIST: "netChange", MARKETS: "netChange"}
MISSING_RUN = MatrixRun(
    "persistent-missing-optional-field",
    tuple(Fault(kind="missing_field", route=route, field=name) for route, name in MISSING.items()),
    tuple(
        Case(route, f"missing optional field `{name}`", "every call", COMPLETES, "the column is null")
        for route, name in MISSING.items()
    ),
    null_columns={"accounts": ("symbol",), "markets": ("net_change",)},
    raw_differs=True,
)
EXTRA_RUN = MatrixRun(
    "persistent-extra-field",
    tuple(Fault(kind="extra_field", route=route) for route in ENDPOINTS if route != PREFERENCES),
    tuple(
        Case(route, "unknown extra field", "every call", COMPLETES, "ignored in columns, kept in JSON ones")
        for route in ENDPOINTS
        if route != PREFERENCES
    ),
    extra_field=EXTRA_FIELD,
)
# The simulator adds the field to every object, `leverages` (a map of instrument type to {current, available})
# included: the client takes only objects as leverages, so the added key is not one (it stays in raw).
PREFERENCES_EXTRA_RUN = MatrixRun(
    "persistent-extra-field-preferences",
    (Fault(kind="extra_field", route=PREFERENCES),),
    (
        Case(
            PREFERENCES,
            "unknown extra field",
            "every call",
            COMPLETES,
            "ignored in columns, kept in JSON ones",
        ),
    ),
    extra_field=EXTRA_FIELD,
    extra_field_table="account_preferences",
)


def _persistent(endpoint: str, kind: FaultKind, expected: str = FAILS, why: str = "") -> MatrixRun:
    why = why or "retries run out: the run stops before publishing"
    return MatrixRun(
        f"persistent-{kind.kind}-{kind.status or ''}-{endpoint.split()[0]}-{endpoint.split('/')[-1]}",
        (kind.fault(endpoint, None),),
        (Case(endpoint, kind.label, "every call", expected, why),),
        retry_after=kind.retry_after,
    )


RELOGIN_ENDS = "the session dies again after one re-login: the loop ends and the run stops"
LOGOUT_IS_HOUSEKEEPING = "the snapshot is complete; a failed logout is a warning (the session expires)"
PERSISTENT_RUNS = (
    _persistent(ENCRYPTION_KEY, UNAVAILABLE),
    _persistent(LOGIN, SERVER_ERROR),
    _persistent(ACCOUNTS, RESET),
    _persistent(PREFERENCES, MALFORMED),
    _persistent(SWITCH, GATEWAY),
    _persistent(SWITCH, EXPIRED, why=RELOGIN_ENDS),
    _persistent(NAVIGATION, TIMEOUT),
    _persistent(NODE, EXPIRED, why=RELOGIN_ENDS),
    _persistent(WATCHLISTS, RETRY_AFTER),
    _persistent(WATCHLIST, RESET),
    _persistent(MARKETS, UNAVAILABLE),
    _persistent(MARKETS, EXPIRED, why=RELOGIN_ENDS),
    _persistent(LOGOUT, SERVER_ERROR, COMPLETES, LOGOUT_IS_HOUSEKEEPING),
    _persistent(LOGOUT, EXPIRED, COMPLETES, "an ended session counts as logged out"),
)
RUNS = (
    *(_transient(name, kinds) for name, kinds in TRANSIENT_GROUPS),
    MISSING_RUN,
    EXTRA_RUN,
    PREFERENCES_EXTRA_RUN,
    *PERSISTENT_RUNS,
)
# A login that keeps failing (not refused) is tried max_attempts times by each API step (4), never more.
MAX_LOGIN_ATTEMPTS = 5 * 4


@dataclass
class Outcome:
    run: MatrixRun
    passed: bool
    rows_lost: int = 0
    rows_duplicated: int = 0


@dataclass
class Matrix:
    target: WarehouseTarget
    reference: dict[str, Counter[tuple[Any, ...]]]
    reference_frames: dict[str, pd.DataFrame]
    outcomes: list[Outcome] = field(default_factory=list)


def _hashable(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, (list, dict)):
        return json.dumps(value, sort_keys=True)
    if hasattr(value, "tolist"):
        return json.dumps(value.tolist(), sort_keys=True)
    return value


def _table(warehouse: Warehouse, table: str, snapshot_id: str) -> pd.DataFrame:
    frame = warehouse.query(f"SELECT * FROM {table} WHERE snapshot_id = :id", {"id": snapshot_id})
    return frame.drop(columns=list(SNAPSHOT_COLUMNS))


def _rows(frame: pd.DataFrame) -> Counter[tuple[Any, ...]]:
    return Counter(tuple(_hashable(value) for value in row) for row in frame.itertuples(index=False))


def _without(value: Any, name: str) -> Any:
    if isinstance(value, dict):
        return {key: _without(item, name) for key, item in value.items() if key != name}
    if isinstance(value, list):
        return [_without(item, name) for item in value]
    return value


def _json_columns(table: str) -> list[str]:
    return [column.name for column in table_named(table).columns if column.type is LogicalType.JSON]


def _comparable(frame: pd.DataFrame, run: MatrixRun, table: str) -> pd.DataFrame:
    frame = frame.drop(columns=["raw"]) if run.raw_differs and "raw" in frame else frame.copy()
    for column in run.null_columns.get(table, ()):
        frame[column] = None
    if run.extra_field is not None:
        for column in _json_columns(table):
            frame[column] = frame[column].map(
                lambda text: None if text is None else json.dumps(_without(json.loads(text), EXTRA_FIELD))
            )
    return frame


def _latest_views(warehouse: Warehouse) -> dict[str, Counter[tuple[Any, ...]]]:
    return {t.name: _rows(warehouse.query(f"SELECT * FROM latest_{t.name}")) for t in DATA_TABLES}


@pytest.fixture(scope="module")
def matrix(
    capital_env: SimulatorHandle, instance: DagsterInstance, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Matrix]:
    """One clean reference run of day 0, then every matrix run into the same warehouse after it."""
    target = duckdb_target(tmp_path_factory.mktemp("fault_matrix"))
    capital_env.set_config(day=0, retry_after=None)
    capital_env.set_faults([])
    attempt = attempt_snapshot(instance, target, tags={"capital/snapshot_id": "reference"})
    assert attempt.success, attempt.message
    warehouse = target.warehouse()
    frames = {t.name: _table(warehouse, t.name, "reference") for t in DATA_TABLES}
    state = Matrix(target, {name: _rows(frame) for name, frame in frames.items()}, frames)
    yield state
    if len(state.outcomes) == len(RUNS):
        REPORT.write_text(_report(state.outcomes))


def _check_completed(matrix: Matrix, run: MatrixRun, attempt: Attempt, outcome: Outcome) -> None:
    assert attempt.success, f"{run.name} should complete:\n{attempt.message}"
    warehouse = matrix.target.warehouse()
    for table in (t.name for t in DATA_TABLES):
        got = _rows(_comparable(_table(warehouse, table, run.name), run, table))
        want = _rows(_comparable(matrix.reference_frames[table], run, table))
        outcome.rows_lost += sum((want - got).values())
        outcome.rows_duplicated += sum((got - want).values())
        assert got == want, f"{run.name}: {table} differs from the clean run"
        for column in run.null_columns.get(table, ()):
            stored = warehouse.query(
                f"SELECT {column} FROM {table} WHERE snapshot_id = :id", {"id": run.name}
            )
            assert stored[column].isna().all(), f"{table}.{column} should be null without its field"
    status = warehouse.query("SELECT status FROM snapshots WHERE snapshot_id = :id", {"id": run.name})
    assert status["status"].tolist() == ["succeeded"]
    if run.extra_field is not None:
        raw = warehouse.query(
            f"SELECT raw FROM {run.extra_field_table} WHERE snapshot_id = :id", {"id": run.name}
        )
        assert all(run.extra_field in json.loads(text) for text in raw["raw"]), "raw lost the extra field"


def _check_failed(matrix: Matrix, run: MatrixRun, attempt: Attempt, before: dict[str, Any]) -> None:
    assert not attempt.success, f"{run.name} should fail"
    message = attempt.message
    path = run.cases[0].endpoint.split(" ", 1)[1].split("/{", 1)[0]
    assert path in message, f"the failure should name {path}:\n{message}"
    assert "Nothing of this snapshot was published" in message and "run again" in message.lower(), message
    assert "Traceback" not in message and 'File "' not in message, message
    warehouse = matrix.target.warehouse()
    assert set(warehouse.table_counts(run.name).values()) == {0}
    status = warehouse.query("SELECT status, error FROM snapshots WHERE snapshot_id = :id", {"id": run.name})
    assert status["status"].tolist() == ["failed"]
    assert _latest_views(warehouse) == before, "a failed run changed what the latest views show"


def _param(run: MatrixRun) -> Any:
    marks = [pytest.mark.xfail(reason=run.known_gap, strict=True)] if run.known_gap else []
    return pytest.param(run, id=run.name, marks=marks)


@pytest.mark.parametrize("run", [_param(run) for run in RUNS])
def test_fault_run_completes_exactly_or_fails_clearly_leaving_the_previous_snapshot(
    run: MatrixRun, matrix: Matrix, capital_env: SimulatorHandle, instance: DagsterInstance
) -> None:
    capital_env.set_config(retry_after=run.retry_after)
    capital_env.set_faults(list(run.faults))
    capital_env.reset_stats()
    before = _latest_views(matrix.target.warehouse())
    outcome = Outcome(run, passed=False)
    matrix.outcomes.append(outcome)
    try:
        attempt = attempt_snapshot(instance, matrix.target, tags={"capital/snapshot_id": run.name})
    finally:
        capital_env.set_faults([])
    stats = capital_env.stats()
    if run.injected is not None:
        assert sum(stats["faults_injected"].values()) == run.injected, (
            stats["faults_injected"],
            run.injected,
        )
    assert stats["trading_or_editing_calls"] == 0
    # A session that keeps dying is re-logged in a bounded number of times, never in a loop.
    assert stats["logins"]["attempts"] <= MAX_LOGIN_ATTEMPTS, stats["logins"]
    # No session is left open, whatever the outcome: `snapshots` logs out after publishing, the failure hook
    # after a failed step (a logout the faults answer badly still reached the API).
    if stats["logins"]["successes"]:
        assert stats["requests"].get("DELETE /api/v1/session", 0) >= 1, stats["requests"]
    if run.expected == COMPLETES:
        _check_completed(matrix, run, attempt, outcome)
    else:
        _check_failed(matrix, run, attempt, before)
    outcome.passed = True


def _report(outcomes: list[Outcome]) -> str:
    cases = [(outcome, case) for outcome in outcomes for case in outcome.run.cases]
    passed = sum(outcome.passed for outcome, _ in cases)
    lost = sum(outcome.rows_lost for outcome in outcomes)
    duplicated = sum(outcome.rows_duplicated for outcome in outcomes)
    lines = [
        "# Fault matrix",
        "",
        "Written by `capital_pipeline_tests/resilience/test_fault_matrix.py` when the whole matrix ran; "
        "do not edit.",
        "",
        f"**{passed}/{len(cases)} cases passed** in {len(outcomes)} runs of `capital_snapshot_job` "
        f"(DuckDB, in-process executor, simulator day 0): **rows lost {lost}, rows duplicated {duplicated}** "
        "against one clean run, every table compared row by row without its snapshot id and time.",
        "",
        "Transient faults are stacked: in one run, each endpoint's first calls meet the kinds of a group in "
        "turn (call 1 a 500, call 2 a 502, call 3 a 503; or a reset, malformed JSON, an expired session; or "
        "a timeout, a 429), and the simulator's count of injected faults shows each fired. A persistent "
        "fault has a run of its own. A failing run leaves no row of its snapshot in any table, the "
        "`latest_*` views unchanged, and a `failed` row in `snapshots`. Known gaps are listed as such.",
        "",
        "| endpoint | fault | when | expected | why | result | run |",
        "|---|---|---|---|---|---|---|",
    ]
    for outcome, case in cases:
        result = "pass" if outcome.passed else "known gap" if outcome.run.known_gap else "FAIL"
        lines.append(
            f"| `{case.endpoint}` | {case.fault} | {case.mode} | {case.expected} | {case.why} | {result} | "
            f"{outcome.run.name} |"
        )
    return "\n".join(lines) + "\n"
