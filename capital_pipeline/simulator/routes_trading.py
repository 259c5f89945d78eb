"""Position endpoints and deal confirmations, all in the simulator's own book (``trading.py``).

Every deal is accepted and confirmed at once (``GET /confirms/{dealReference}``). A rejected stop or profit
amendment still writes a REJECTED ``EDIT_STOP_AND_LIMIT`` activity, as the live history shows such entries.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from capital_pipeline.simulator.dealing import deal_request, protection
from capital_pipeline.simulator.responses import ApiError, json_response
from capital_pipeline.simulator.routing import ApiRoute, auth_of, json_object, runtime_of
from capital_pipeline.simulator.sessions import Authenticated
from capital_pipeline.simulator.state import SimulatorState
from capital_pipeline.simulator.trading import Position

__all__ = ["ROUTES"]


def _context(request: Request) -> tuple[SimulatorState, Authenticated]:
    return runtime_of(request).state, auth_of(request)


async def all_positions(request: Request) -> Response:
    state, auth = _context(request)
    book, summaries = state.book, state.catalogue.summaries
    mine = book.of_account(book.positions, auth.account_id)
    return json_response({"positions": [p.as_json(state.timezone_offset, summaries[p.epic]) for p in mine]})


async def one_position(request: Request) -> Response:
    state, auth = _context(request)
    position = state.book.owned(state.book.positions, request.path_params["dealId"], auth.account_id)
    return json_response(position.as_json(state.timezone_offset, state.catalogue.summaries[position.epic]))


async def create_position(request: Request) -> Response:
    """``POST /positions``: open at the offer (BUY) or bid (SELL)."""
    state, auth = _context(request)
    body = await json_object(request)
    deal = deal_request(body, state.catalogue.details)
    level = deal.details["snapshot"]["offer" if deal.direction == "BUY" else "bid"]
    levels = protection(body, deal.details, direction=deal.direction, reference=level, size=deal.size)
    book = state.book
    position = Position(
        account_id=auth.account_id,
        deal_id=book.new_deal_id(),
        working_order_id=book.new_deal_id(),
        epic=deal.epic,
        direction=deal.direction,
        size=deal.size,
        level=level,
        leverage=state.leverage(auth.account_id, deal.details["instrument"]["type"]),
        currency=deal.details["instrument"]["currency"],
        guaranteed_stop=bool(body.get("guaranteedStop", False)),
        stop_level=levels.stop_level,
        profit_level=levels.profit_level,
    )
    book.positions[position.deal_id] = position
    reference = book.new_order_reference()
    book.confirm(reference, position, "OPEN", "OPENED", opened=True)
    state.record_activity(position, "POSITION", "ACCEPTED")
    return json_response({"dealReference": reference})


async def update_position(request: Request) -> Response:
    """``PUT /positions/{dealId}``: new stop and profit, checked against the closing price."""
    state, auth = _context(request)
    position: Position = state.book.owned(
        state.book.positions, request.path_params["dealId"], auth.account_id
    )
    body = await json_object(request)
    details = state.catalogue.universe.markets[position.epic]
    close = details["snapshot"]["bid" if position.direction == "BUY" else "offer"]
    try:
        levels = protection(body, details, direction=position.direction, reference=close, size=position.size)
    except ApiError:
        state.record_activity(position, "EDIT_STOP_AND_LIMIT", "REJECTED")
        raise
    if levels.stop_level is not None:
        position.stop_level = levels.stop_level
    if levels.profit_level is not None:
        position.profit_level = levels.profit_level
    position.guaranteed_stop = bool(body.get("guaranteedStop", position.guaranteed_stop))
    state.book.confirm("p_" + position.deal_id, position, "AMENDED", "AMENDED")
    state.record_activity(position, "EDIT_STOP_AND_LIMIT", "ACCEPTED")
    return json_response({"dealReference": "p_" + position.deal_id})


async def close_position(request: Request) -> Response:
    """``DELETE /positions/{dealId}``: close at the current price, book the result as a TRADE transaction."""
    state, auth = _context(request)
    book = state.book
    position: Position = book.owned(book.positions, request.path_params["dealId"], auth.account_id)
    result = position.as_json(state.timezone_offset, state.catalogue.summaries[position.epic])
    del book.positions[position.deal_id]
    book.confirm("p_" + position.deal_id, position, "CLOSED", "FULLY_CLOSED")
    state.record_activity(position, "POSITION", "ACCEPTED")
    transaction = {
        "instrumentName": position.epic,
        "transactionType": "TRADE",
        "note": "Trade closed",
        "reference": position.deal_id.rsplit("-", 1)[1],
        "size": str(round(result["position"]["upl"], 2)),
        "currency": position.currency,
    }
    book.history.add_transaction(auth.account_id, state.timezone_offset, transaction)
    return json_response({"dealReference": "p_" + position.deal_id})


async def confirmation(request: Request) -> Response:
    confirm = runtime_of(request).state.book.confirms.get(request.path_params["dealReference"])
    if confirm is None:
        raise ApiError(404, "error.not-found.dealReference")
    return json_response(confirm)


ROUTES = [
    ApiRoute("GET", "/positions", all_positions),
    ApiRoute("GET", "/positions/{dealId}", one_position),
    ApiRoute("POST", "/positions", create_position, editing=True),
    ApiRoute("PUT", "/positions/{dealId}", update_position, editing=True),
    ApiRoute("DELETE", "/positions/{dealId}", close_position, editing=True),
    ApiRoute("GET", "/confirms/{dealReference}", confirmation),
]
