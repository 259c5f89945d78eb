"""Account activity and transaction history: what the simulator's own trading wrote, and the query rules.

Windows (REFERENCE §6): ``from``/``to`` are ``YYYY-MM-DDTHH:MM:SS`` UTC (bad format: ``error.invalid.from`` /
``error.invalid.to``). Activity: at most one day (``error.invalid.daterange``); one bound alone gives a
one-day window; no bound gives the last ``lastPeriod`` seconds (default 600, at most 86400). Transactions: no
documented cap; a missing ``from`` is ``to - lastPeriod``, a missing ``to`` is now. Activity ``filter`` is the
documented FIQL subset: ``;`` joins clauses, each ``field==a,b`` or ``field!=a,b`` over epic, source, status,
type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from capital_pipeline.simulator.clock import format_timestamp, local, parse_query_datetime, utc_now
from capital_pipeline.simulator.responses import ApiError

__all__ = ["AccountHistory", "activity_window", "parse_filter", "transaction_window"]

ONE_DAY = timedelta(days=1)
_FILTER_FIELDS = ("epic", "source", "status", "type")


@dataclass(frozen=True)
class _Entry:
    account_id: str
    when: datetime
    body: dict[str, Any]


@dataclass
class AccountHistory:
    """Every activity and transaction, newest last; queries answer newest first."""

    activities: list[_Entry] = field(default_factory=list)
    transactions: list[_Entry] = field(default_factory=list)

    def add_activity(self, account_id: str, offset: float, item: dict[str, Any]) -> None:
        """Record ``item`` (epic, dealId, source, type, status, optional details) as happening now."""
        now = utc_now()
        stamps = {"date": format_timestamp(local(now, offset)), "dateUTC": format_timestamp(now)}
        self.activities.append(_Entry(account_id, now, stamps | item))

    def add_transaction(self, account_id: str, offset: float, item: dict[str, Any]) -> None:
        """Record ``item`` (instrumentName, transactionType, note, reference, size, currency) as now."""
        now = utc_now()
        stamps = {"date": format_timestamp(local(now, offset)), "dateUtc": format_timestamp(now)}
        self.transactions.append(_Entry(account_id, now, stamps | item | {"status": "PROCESSED"}))

    def activity(
        self,
        account_id: str,
        window: tuple[datetime, datetime],
        clauses: list[tuple[str, bool, set[str]]],
        deal_id: str | None,
        detailed: bool,
    ) -> list[dict[str, Any]]:
        """Activities of ``account_id`` in ``window`` passing the filter, newest first."""
        found = []
        for entry in reversed(self.activities):
            body = entry.body
            if entry.account_id != account_id or not window[0] <= entry.when <= window[1]:
                continue
            if deal_id is not None and body["dealId"] != deal_id:
                continue
            if all((body[name] in values) == wanted for name, wanted, values in clauses):
                found.append(body if detailed else {k: v for k, v in body.items() if k != "details"})
        return found

    def transactions_of(
        self, account_id: str, window: tuple[datetime, datetime], kind: str | None
    ) -> list[dict[str, Any]]:
        """Transactions of ``account_id`` in ``window`` (of type ``kind`` if given), newest first."""
        return [
            entry.body
            for entry in reversed(self.transactions)
            if entry.account_id == account_id
            and window[0] <= entry.when <= window[1]
            and kind in (None, entry.body["transactionType"])
        ]


def _bound(params: dict[str, str], name: str) -> datetime | None:
    if name not in params:
        return None
    moment = parse_query_datetime(params[name])
    if moment is None:
        raise ApiError(400, f"error.invalid.{name}")
    return moment


def _last_period(params: dict[str, str], maximum: int | None) -> timedelta:
    text = params.get("lastPeriod", "600")
    if not text.isdigit():
        raise ApiError(400, "error.invalid.lastPeriod")
    if maximum is not None and int(text) > maximum:
        raise ApiError(400, "error.invalid.daterange")
    return timedelta(seconds=int(text))


def activity_window(params: dict[str, str]) -> tuple[datetime, datetime]:
    """The UTC window of ``GET /history/activity``."""
    start, end = _bound(params, "from"), _bound(params, "to")
    if start is None and end is None:
        now = utc_now()
        return now - _last_period(params, 86400), now
    if start is None:
        start = end - ONE_DAY
    if end is None:
        end = start + ONE_DAY
    if end < start or end - start > ONE_DAY:
        raise ApiError(400, "error.invalid.daterange")
    return start, end


def transaction_window(params: dict[str, str]) -> tuple[datetime, datetime]:
    """The UTC window of ``GET /history/transactions``."""
    start, end = _bound(params, "from"), _bound(params, "to")
    end = end if end is not None else utc_now()
    start = start if start is not None else end - _last_period(params, None)
    if end < start:
        raise ApiError(400, "error.invalid.daterange")
    return start, end


def parse_filter(text: str | None) -> list[tuple[str, bool, set[str]]]:
    """FIQL clauses as ``(field, wanted, values)``: ``wanted`` is False for ``!=``."""
    clauses = []
    for clause in text.split(";") if text else []:
        for operator, wanted in (("!=", False), ("==", True)):
            name, found, values = clause.partition(operator)
            if found and name in _FILTER_FIELDS and values:
                clauses.append((name, wanted, set(values.split(","))))
                break
        else:
            raise ApiError(400, "error.invalid.filter")
    return clauses
