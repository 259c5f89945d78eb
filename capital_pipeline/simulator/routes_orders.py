"""Working order endpoints: list, create, update, delete, in the simulator's own book (``trading.py``).

Stop and profit of an order are checked against the order level and stored as distances, the way
``GET /workingorders`` shows them. A STOP order must enter beyond the market (``dealing.check_stop_entry``).
``goodTillDate`` is UTC (REFERENCE §6); a past date is 400 ``error.not-in-future.goodTillDate``, a malformed
one 400 ``error.invalid.goodTillDate``.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from capital_pipeline.simulator.clock import parse_query_datetime, utc_now
from capital_pipeline.simulator.dealing import (
    check_stop_entry,
    deal_request,
    number_field,
    protection,
    rounded,
)
from capital_pipeline.simulator.responses import ApiError, json_response
from capital_pipeline.simulator.routing import ApiRoute, auth_of, json_object, runtime_of
from capital_pipeline.simulator.trading import WorkingOrder

__all__ = ["ROUTES"]

ORDER_TYPES = ("LIMIT", "STOP")


def _good_till(body: dict[str, Any]) -> datetime | None:
    text = body.get("goodTillDate")
    if text is None:
        return None
    moment = parse_query_datetime(text) if isinstance(text, str) else None
    if moment is None:
        raise ApiError(400, "error.invalid.goodTillDate")
    if moment <= utc_now():
        raise ApiError(400, "error.not-in-future.goodTillDate")
    return moment


def _set_distances(order: WorkingOrder, body: dict[str, Any], details: dict[str, Any]) -> None:
    levels = protection(body, details, direction=order.direction, reference=order.level, size=order.size)
    if levels.stop_level is not None:
        order.stop_distance = rounded(abs(order.level - levels.stop_level), details)
    if levels.profit_level is not None:
        order.profit_distance = rounded(abs(levels.profit_level - order.level), details)


async def all_orders(request: Request) -> Response:
    state, auth = runtime_of(request).state, auth_of(request)
    book, summaries = state.book, state.catalogue.summaries
    mine = book.of_account(book.orders, auth.account_id)
    return json_response(
        {"workingOrders": [o.as_json(state.timezone_offset, summaries[o.epic]) for o in mine]}
    )


async def create_order(request: Request) -> Response:
    """``POST /workingorders``: a LIMIT or STOP order at ``level``."""
    state, auth = runtime_of(request).state, auth_of(request)
    body = await json_object(request)
    deal = deal_request(body, state.catalogue.details)
    level = number_field(body, "level", required=True)
    assert level is not None  # required=True raised otherwise
    if body.get("type") not in ORDER_TYPES:
        raise ApiError(400, "error.null.type" if body.get("type") is None else "error.invalid.type")
    if body["type"] == "STOP":
        check_stop_entry(deal.direction, level, deal.details)
    order = WorkingOrder(
        account_id=auth.account_id,
        deal_id=state.book.new_deal_id(),
        epic=deal.epic,
        direction=deal.direction,
        size=deal.size,
        level=level,
        order_type=body["type"],
        leverage=state.leverage(auth.account_id, deal.details["instrument"]["type"]),
        currency=deal.details["instrument"]["currency"],
        guaranteed_stop=bool(body.get("guaranteedStop", False)),
        good_till=_good_till(body),
    )
    _set_distances(order, body, deal.details)
    state.book.orders[order.deal_id] = order
    reference = state.book.new_order_reference()
    state.book.confirm(reference, order, "OPEN", "OPENED")
    state.record_activity(order, "WORKING_ORDER", "ACCEPTED")
    return json_response({"dealReference": reference})


async def update_order(request: Request) -> Response:
    """``PUT /workingorders/{dealId}``: level, cancellation date, guaranteed stop, stop and profit."""
    state, auth = runtime_of(request).state, auth_of(request)
    order: WorkingOrder = state.book.owned(state.book.orders, request.path_params["dealId"], auth.account_id)
    body = await json_object(request)
    level, good_till = number_field(body, "level"), _good_till(body)
    # Changes go to a copy first, so a rejected amendment leaves the order as it was.
    amended = dataclasses.replace(
        order,
        level=order.level if level is None else level,
        good_till=order.good_till if good_till is None else good_till,
        guaranteed_stop=bool(body.get("guaranteedStop", order.guaranteed_stop)),
    )
    details = state.catalogue.universe.markets[order.epic]
    if amended.order_type == "STOP":
        check_stop_entry(amended.direction, amended.level, details)
    _set_distances(amended, body, details)
    state.book.orders[order.deal_id] = order = amended
    reference = state.book.new_order_reference()
    state.book.confirm(reference, order, "AMENDED", "AMENDED")
    state.record_activity(order, "WORKING_ORDER", "MODIFIED")
    return json_response({"dealReference": reference})


async def delete_order(request: Request) -> Response:
    state, auth = runtime_of(request).state, auth_of(request)
    order: WorkingOrder = state.book.owned(state.book.orders, request.path_params["dealId"], auth.account_id)
    del state.book.orders[order.deal_id]
    reference = state.book.new_order_reference()
    state.book.confirm(reference, order, "DELETED", "DELETED")
    state.record_activity(order, "WORKING_ORDER", "CANCELLED")
    return json_response({"dealReference": reference})


ROUTES = [
    ApiRoute("GET", "/workingorders", all_orders),
    ApiRoute("POST", "/workingorders", create_order, editing=True),
    ApiRoute("PUT", "/workingorders/{dealId}", update_order, editing=True),
    ApiRoute("DELETE", "/workingorders/{dealId}", delete_order, editing=True),
]
