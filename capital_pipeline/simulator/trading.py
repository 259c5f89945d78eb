"""The simulator's own trading book: positions, working orders, deal confirmations, the history they write.

Trading writes only change this in-memory book (never the universe). Deals are always accepted; orders never
trigger (prices do not move within a day); hedging mode does not net positions. Shapes follow REFERENCE §6
(S2): stop and profit fields appear only when set, as in the collection's second working order.
"""

from __future__ import annotations

import itertools
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from capital_pipeline.simulator.clock import format_timestamp, local, utc_now
from capital_pipeline.simulator.history import AccountHistory
from capital_pipeline.simulator.responses import ApiError

__all__ = ["Position", "TradingBook", "WorkingOrder"]


@dataclass
class Position:
    """An open position of one account."""

    account_id: str
    deal_id: str
    working_order_id: str
    epic: str
    direction: str
    size: float
    level: float
    leverage: int
    currency: str
    guaranteed_stop: bool
    stop_level: float | None = None
    profit_level: float | None = None
    created: datetime = field(default_factory=utc_now)

    def as_json(self, offset: float, summary: dict[str, Any]) -> dict[str, Any]:
        """``{"position": ..., "market": ...}`` with the profit or loss at the current price."""
        close = summary["bid"] if self.direction == "BUY" else summary["offer"]
        side = 1 if self.direction == "BUY" else -1
        position = {
            "contractSize": 1,
            "createdDate": format_timestamp(local(self.created, offset)),
            "createdDateUTC": format_timestamp(self.created),
            "dealId": self.deal_id,
            "dealReference": "p_" + self.deal_id,
            "workingOrderId": self.working_order_id,
            "size": self.size,
            "leverage": self.leverage,
            "upl": round(side * (close - self.level) * self.size, 4),
            "direction": self.direction,
            "level": self.level,
            "currency": self.currency,
            "guaranteedStop": self.guaranteed_stop,
        }
        _put_if_set(position, stopLevel=self.stop_level, profitLevel=self.profit_level)
        return {"position": position, "market": summary}


@dataclass
class WorkingOrder:
    """A working order (LIMIT or STOP) of one account."""

    account_id: str
    deal_id: str
    epic: str
    direction: str
    size: float
    level: float
    order_type: str
    leverage: int
    currency: str
    guaranteed_stop: bool
    good_till: datetime | None = None
    stop_distance: float | None = None
    profit_distance: float | None = None
    created: datetime = field(default_factory=utc_now)

    def as_json(self, offset: float, summary: dict[str, Any]) -> dict[str, Any]:
        """``{"workingOrderData": ..., "marketData": ...}``."""
        order: dict[str, Any] = {
            "dealId": self.deal_id,
            "direction": self.direction,
            "epic": self.epic,
            "orderSize": self.size,
            "leverage": self.leverage,
            "orderLevel": self.level,
            "timeInForce": "GOOD_TILL_DATE" if self.good_till else "GOOD_TILL_CANCELLED",
        }
        if self.good_till is not None:
            order["goodTillDate"] = format_timestamp(local(self.good_till, offset))
            order["goodTillDateUTC"] = format_timestamp(self.good_till)
        order |= {
            "createdDate": format_timestamp(local(self.created, offset)),
            "createdDateUTC": format_timestamp(self.created),
            "guaranteedStop": self.guaranteed_stop,
            "orderType": self.order_type,
        }
        _put_if_set(order, stopDistance=self.stop_distance, profitDistance=self.profit_distance)
        order |= {"trailingStop": False, "currencyCode": self.currency}
        return {"workingOrderData": order, "marketData": summary}


def _put_if_set(target: dict[str, Any], **values: Any) -> None:
    target.update({key: value for key, value in values.items() if value is not None})


class TradingBook:
    """Positions, orders and confirms of every account, plus the history they wrote."""

    def __init__(self, seed: int) -> None:
        self.positions: dict[str, Position] = {}
        self.orders: dict[str, WorkingOrder] = {}
        self.confirms: dict[str, dict[str, Any]] = {}
        self.history = AccountHistory()
        self._random = random.Random(f"deals:{seed}")
        # Deal ids look like the API's ("006011e7-0001-54c4-0000-000080560043", REFERENCE §2).
        self._serial = itertools.count(0x80560000)
        self._prefix = f"{seed & 0xFFFFFFFF:08x}"

    def new_deal_id(self) -> str:
        """A fresh deal id."""
        return f"{self._prefix}-0001-54c4-0000-{next(self._serial):012x}"

    def new_order_reference(self) -> str:
        """A fresh ``o_`` deal reference (order and position-creation references, REFERENCE §2)."""
        return "o_" + str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def confirm(
        self,
        reference: str,
        deal: Position | WorkingOrder,
        status: str,
        affected: str,
        *,
        opened: bool = False,
    ) -> None:
        """Record the accepted confirmation ``GET /confirms/{reference}`` answers.

        For a new position the confirm's ``dealId`` is its opening order and ``affectedDeals`` lists the
        position, as in the collection's example (REFERENCE §6).
        """
        deal_id = deal.working_order_id if opened and isinstance(deal, Position) else deal.deal_id
        self.confirms[reference] = {
            "date": format_timestamp(utc_now()),
            "status": status,
            "dealStatus": "ACCEPTED",
            "epic": deal.epic,
            "dealReference": reference,
            "dealId": deal_id,
            "affectedDeals": [{"dealId": deal.deal_id, "status": affected}],
            "level": deal.level,
            "size": deal.size,
            "direction": deal.direction,
            "guaranteedStop": deal.guaranteed_stop,
            "trailingStop": False,
        }

    def of_account(self, deals: dict[str, Any], account_id: str) -> list[Any]:
        """The positions or orders of one account, oldest first."""
        return [deal for deal in deals.values() if deal.account_id == account_id]

    def owned(self, deals: dict[str, Any], deal_id: str, account_id: str) -> Any:
        """The position or order ``deal_id`` of ``account_id``; 404 ``error.not-found.dealId`` otherwise."""
        deal = deals.get(deal_id)
        if deal is None or deal.account_id != account_id:
            raise ApiError(404, "error.not-found.dealId")
        return deal

    def record_activity(
        self, deal: Position | WorkingOrder, offset: float, kind: str, status: str, market_name: str
    ) -> None:
        """An activity entry for ``deal`` (source USER), with the details ``detailed=true`` shows."""
        details = {
            "dealReference": "p_" + deal.deal_id,
            "marketName": market_name,
            "currency": deal.currency,
            "size": deal.size,
            "direction": deal.direction,
            "level": deal.level,
            "guaranteedStop": deal.guaranteed_stop,
        }
        item = {"epic": deal.epic, "dealId": deal.deal_id, "source": "USER", "type": kind, "status": status}
        self.history.add_activity(deal.account_id, offset, item | {"details": details})
