"""Watchlist endpoints: list, get, create, add a market, remove a market, delete.

Codes (REFERENCE §6, §7): unknown watchlist is 404 ``error.invalid.watchlist`` on GET but
``error.not-found.watchlist`` on the management calls (PUT, DELETE; the collection shows it for DELETE);
unknown or absent epic is 404 ``error.not-found.epic``; a name outside 1..20 characters (or none) is 400
``error.size.createwatchlistrequest.name``. Editing a watchlist marked not editable (or deleting one marked
not deleteable) is 400 ``error.not-editable.watchlist`` / ``error.not-deleteable.watchlist`` (a simulator
choice: no source shows it).
"""

from __future__ import annotations

import dataclasses

from starlette.requests import Request
from starlette.responses import Response

from capital_pipeline.simulator.responses import ApiError, json_response
from capital_pipeline.simulator.routing import ApiRoute, json_object, runtime_of
from capital_pipeline.simulator.state import SimulatorState
from capital_pipeline.simulator.universe import Watchlist

__all__ = ["ROUTES"]

NAME_LENGTH = range(1, 21)


def _managed(state: SimulatorState, watchlist_id: str, *, need: str) -> Watchlist:
    watchlist = state.watchlists.get(watchlist_id)
    if watchlist is None:
        raise ApiError(404, "error.not-found.watchlist")
    if not getattr(watchlist, need):
        raise ApiError(400, f"error.not-{need}.watchlist")
    return watchlist


async def all_watchlists(request: Request) -> Response:
    watchlists = runtime_of(request).state.watchlists.values()
    return json_response(
        {
            "watchlists": [
                {
                    "id": watchlist.id,
                    "name": watchlist.name,
                    "editable": watchlist.editable,
                    "deleteable": watchlist.deleteable,
                    "defaultSystemWatchlist": watchlist.default_system_watchlist,
                }
                for watchlist in watchlists
            ]
        }
    )


async def one_watchlist(request: Request) -> Response:
    state = runtime_of(request).state
    watchlist = state.watchlists.get(request.path_params["watchlistId"])
    if watchlist is None:
        raise ApiError(404, "error.invalid.watchlist")
    summaries = state.catalogue.summaries
    return json_response({"markets": [summaries[epic] for epic in watchlist.epics if epic in summaries]})


async def create_watchlist(request: Request) -> Response:
    """``POST /watchlists``: unknown epics are skipped and reported in ``status``."""
    state = runtime_of(request).state
    body = await json_object(request)
    name, epics = body.get("name"), body.get("epics", [])
    if not isinstance(name, str) or len(name) not in NAME_LENGTH:
        raise ApiError(400, "error.size.createwatchlistrequest.name")
    if not isinstance(epics, list) or not all(isinstance(epic, str) for epic in epics):
        raise ApiError(400, "error.invalid.epics")
    known = tuple(dict.fromkeys(epic for epic in epics if epic in state.catalogue.summaries))
    watchlist = Watchlist(state.next_watchlist_id(), name, True, True, False, known)
    state.watchlists[watchlist.id] = watchlist
    status = "SUCCESS" if len(known) == len(set(epics)) else "SUCCESS_NOT_ALL_INSTRUMENTS_ADDED"
    return json_response({"watchlistId": watchlist.id, "status": status})


async def add_market(request: Request) -> Response:
    state = runtime_of(request).state
    watchlist = _managed(state, request.path_params["watchlistId"], need="editable")
    epic = (await json_object(request)).get("epic")
    if not isinstance(epic, str) or epic not in state.catalogue.summaries:
        raise ApiError(404, "error.not-found.epic")
    if epic not in watchlist.epics:
        state.watchlists[watchlist.id] = dataclasses.replace(watchlist, epics=(*watchlist.epics, epic))
    return json_response({"status": "SUCCESS"})


async def remove_market(request: Request) -> Response:
    state = runtime_of(request).state
    watchlist = _managed(state, request.path_params["watchlistId"], need="editable")
    epic = request.path_params["epic"]
    if epic not in watchlist.epics:
        raise ApiError(404, "error.not-found.epic")
    remaining = tuple(kept for kept in watchlist.epics if kept != epic)
    state.watchlists[watchlist.id] = dataclasses.replace(watchlist, epics=remaining)
    return json_response({"status": "SUCCESS"})


async def delete_watchlist(request: Request) -> Response:
    state = runtime_of(request).state
    watchlist = _managed(state, request.path_params["watchlistId"], need="deleteable")
    del state.watchlists[watchlist.id]
    return json_response({"status": "SUCCESS"})


ROUTES = [
    ApiRoute("GET", "/watchlists", all_watchlists),
    ApiRoute("GET", "/watchlists/{watchlistId}", one_watchlist),
    ApiRoute("POST", "/watchlists", create_watchlist, editing=True),
    ApiRoute("PUT", "/watchlists/{watchlistId}", add_market, editing=True),
    ApiRoute("DELETE", "/watchlists/{watchlistId}/{epic}", remove_market, editing=True),
    ApiRoute("DELETE", "/watchlists/{watchlistId}", delete_watchlist, editing=True),
]
