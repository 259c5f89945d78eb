"""Search everything a run leaves behind for secrets: a helper any suite can call after its runs.

``Secrets`` holds named values (password, API key, every token the simulator issued, anything else a test
made secret) and finds them, as written or in the forms a writer could turn them into (JSON-escaped,
URL-encoded, Python ``repr``), in text, files, exceptions, Dagster's storage and the warehouse. Each
``hits_in_*`` returns one line per (place, secret) found, so ``assert secrets.hits_in_x(...) == []`` shows
where a leak is and which secret it is, never the value.
"""

from __future__ import annotations

import json
import secrets
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from dagster import DagsterEventType, DagsterInstance
from dagster._serdes import serialize_value

from capital_pipeline.simulator import SimulatorHandle
from capital_pipeline.warehouse import Warehouse

__all__ = ["Secrets", "hostile_secret"]

_COLUMNS = (
    "SELECT table_name, column_name FROM information_schema.columns "
    "WHERE table_schema = :schema ORDER BY table_name, ordinal_position"
)


def _forms(value: str) -> set[str]:
    """The value as written, and as a JSON string, a URL component or a Python literal would spell it."""
    escaped = (json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1], repr(value)[1:-1])
    return {value, *escaped, quote(value, safe=""), quote(value)}


def _exception_texts(error: BaseException) -> Iterable[str]:
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield from (str(current), repr(current), repr(current.args), repr(vars(current)))
        yield "".join(traceback.format_exception(current))
        pending += [e for e in (current.__cause__, current.__context__) if e is not None]
        pending += getattr(current, "exceptions", [])


def hostile_secret(prefix: str) -> str:
    """A fresh secret that writers must escape: a leak found in any spelling proves the search reads it."""
    # Characters JSON ("\), URLs (/+&% and space) and reprs escape, and one outside ASCII.
    return f'{prefix} "q" \\ /+&% é {secrets.token_urlsafe(12)}'


@dataclass(frozen=True)
class Secrets:
    """Named secret values; ``with_`` adds more (e.g. a wrong password a test typed, a database password)."""

    values: Mapping[str, str]

    @classmethod
    def of(cls, simulator: SimulatorHandle) -> Secrets:
        """The simulator's password and API key, and every token it has issued so far."""
        credentials = simulator.credentials
        tokens = {f"token #{i}": token for i, token in enumerate(simulator.issued_tokens())}
        return cls({"password": credentials.password, "API key": credentials.api_key, **tokens})

    def with_(self, **more: str) -> Secrets:
        return Secrets({**self.values, **{name.replace("_", " "): value for name, value in more.items()}})

    def tokens(self) -> list[str]:
        return [value for name, value in self.values.items() if name.startswith("token #")]

    def hits_in_text(self, place: str, text: str) -> list[str]:
        return [
            f"{place} holds the {name}"
            for name, value in self.values.items()
            if any(form in text for form in _forms(value))
        ]

    def hits_in_bytes(self, place: str, data: bytes) -> list[str]:
        return self.hits_in_text(place, data.decode("utf-8", errors="replace"))

    def hits_in_files(self, root: Path) -> list[str]:
        """Every file under ``root``, read whole (databases, logs, staged frames, session files)."""
        assert root.is_dir(), f"nothing to search at {root}"
        return [hit for path in sorted(root.rglob("*")) if path.is_file() for hit in self._file_hits(path)]

    def _file_hits(self, path: Path) -> list[str]:
        try:
            return self.hits_in_bytes(str(path), path.read_bytes())
        except FileNotFoundError:  # a file removed while searching (a run's own clean-up) held nothing now
            return []

    def hits_in_exception(self, place: str, error: BaseException) -> list[str]:
        """Message, repr, arguments, attributes and traceback of ``error`` and every cause and context."""
        return self.hits_in_text(place, "\n".join(_exception_texts(error)))

    def hits_in_event_storage(self, instance: DagsterInstance) -> list[str]:
        """Every run (tags, config) and every event record of it, serialized whole (error infos with their
        causes and stacks included)."""
        hits = []
        for run in instance.get_runs():
            hits += self.hits_in_text(f"run {run.run_id}", serialize_value(run))
            records = instance.get_records_for_run(run.run_id, limit=1_000_000).records
            assert records, f"run {run.run_id} stored no events"
            text = "\n".join(serialize_value(record) for record in records)
            hits += self.hits_in_text(f"event records of run {run.run_id}", text)
        return hits

    def hits_in_compute_logs(self, instance: DagsterInstance) -> list[str]:
        """The stdout and stderr the instance captured for every run, found as the UI finds them: through
        each run's LOGS_CAPTURED events and the instance's compute log manager."""
        hits, captured = [], 0
        for run in instance.get_runs():
            records = instance.get_records_for_run(run.run_id, of_type=DagsterEventType.LOGS_CAPTURED).records
            for record in records:
                event = record.event_log_entry.dagster_event
                assert event is not None
                manager = instance.compute_log_manager
                key = manager.build_log_key_for_run(run.run_id, event.logs_captured_data.file_key)
                data = manager.get_log_data(key)
                for stream, content in (("stdout", data.stdout), ("stderr", data.stderr)):
                    captured += len(content or b"")
                    hits += self.hits_in_bytes(f"captured {stream} of run {run.run_id}", content or b"")
        assert captured, "the instance captured no compute logs"
        return hits

    def hits_in_warehouse(self, warehouse: Warehouse) -> list[str]:
        """Every column of every table and view of the warehouse's schema, cast to text."""
        columns: dict[str, list[str]] = {}
        listing = warehouse.query(_COLUMNS, {"schema": warehouse.schema})
        for table, column in listing.itertuples(index=False, name=None):
            columns.setdefault(table, []).append(column)
        assert columns, f"the warehouse has no tables in schema {warehouse.schema}"
        hits = []
        for table, names in columns.items():
            casts = ", ".join(f'CAST("{name}" AS TEXT) AS "{name}"' for name in names)
            frame = warehouse.query(f'SELECT {casts} FROM "{table}"')
            text = "\n".join(str(value) for value in frame.to_numpy().ravel() if value is not None)
            hits += self.hits_in_text(f"table {table}", text)
        return hits
