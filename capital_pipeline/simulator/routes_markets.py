"""Market data endpoints: navigation tree, market searches and details, prices, client sentiment.

Choices where the sources are silent (REFERENCE §11): navigation ``limit`` defaults to 500, must be an integer
in 1..``navigation_max_limit`` (500 as documented; a knob, since one client saw 500 refused, §6 and §10; else
400 ``error.invalid.limit``, checked before the node), and a leaf with more markets answers its first
``limit``; an unknown node is 404 ``error.not-found.nodeId``. ``GET /markets`` with no parameter
lists every market; ``searchTerm`` wins over ``epics``; more than 50 epics is 400 ``error.invalid.epics``;
unknown epics are left out. Client sentiment leaves unknown ids out too, and is 404 ``error.not-found.epic``
when none is known (the collection's example asks for one unknown id).
"""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import Response

from capital_pipeline.simulator.clock import utc_now
from capital_pipeline.simulator.prices import price_bars, price_history
from capital_pipeline.simulator.responses import ApiError, json_response
from capital_pipeline.simulator.routing import ApiRoute, runtime_of

__all__ = ["ROUTES"]

# The documented default of navigation's ``limit`` (REFERENCE §6).
NAVIGATION_LIMIT = 500
EPICS_PER_CALL = 50
# Navigation answers carried this header in every collection example (REFERENCE §2).
_NAVIGATION_HEADERS = {"Content-Disposition": "inline;filename=f.txt"}


async def top_navigation(request: Request) -> Response:
    catalogue = runtime_of(request).state.catalogue
    nodes = [catalogue.universe.nodes[node_id] for node_id in catalogue.universe.top_node_ids]
    body = {"nodes": [{"id": node.id, "name": node.name} for node in nodes]}
    return json_response(body, headers=_NAVIGATION_HEADERS)


async def navigation_node(request: Request) -> Response:
    """``GET /marketnavigation/{nodeId}?limit=N``."""
    runtime = runtime_of(request)
    most = runtime.config.navigation_max_limit
    # No limit asks for the server's own default, which a server never refuses: 500, or its ceiling if lower.
    text = request.query_params.get("limit", str(min(NAVIGATION_LIMIT, most)))
    if not text.isdecimal() or not 1 <= int(text) <= most:  # isdigit() would pass "²", which int() refuses
        raise ApiError(400, "error.invalid.limit", _NAVIGATION_HEADERS)
    catalogue = runtime.state.catalogue
    node = catalogue.universe.nodes.get(request.path_params["nodeId"])
    if node is None:
        raise ApiError(404, "error.not-found.nodeId", _NAVIGATION_HEADERS)
    return json_response(catalogue.navigation_body(node, int(text)), headers=_NAVIGATION_HEADERS)


async def markets(request: Request) -> Response:
    """``GET /markets``: by ``searchTerm``, by ``epics`` (full details), or every market summary."""
    catalogue = runtime_of(request).state.catalogue
    params = request.query_params
    if "searchTerm" in params:
        if not params["searchTerm"].strip():
            raise ApiError(400, "error.null.searchTerm")
        return json_response({"markets": catalogue.search(params["searchTerm"].strip())})
    if "epics" in params:
        epics = [epic.strip() for epic in params["epics"].split(",") if epic.strip()]
        if not epics:
            raise ApiError(400, "error.null.epic")
        if len(epics) > EPICS_PER_CALL:
            raise ApiError(400, "error.invalid.epics")
        found = [body for body in map(catalogue.details_body, epics) if body is not None]
        return json_response(b'{"marketDetails":[' + b",".join(found) + b"]}")
    return json_response(catalogue.all_markets_body)


async def market(request: Request) -> Response:
    body = runtime_of(request).state.catalogue.details_body(request.path_params["epic"])
    if body is None:
        raise ApiError(404, "error.not-found.epic")
    return json_response(body)


async def prices(request: Request) -> Response:
    """``GET /prices/{epic}``: synthetic bars (rules in ``prices.py``)."""
    state = runtime_of(request).state
    epic = request.path_params["epic"]
    details = state.catalogue.details(epic)
    if details is None:
        raise ApiError(404, "error.not-found.epic")
    step, starts = price_history(dict(request.query_params), utc_now())
    bars = price_bars(epic, details, step, starts, state.timezone_offset)
    return json_response({"prices": bars, "instrumentType": details["instrument"]["type"]})


def _sentiment(epic: str) -> dict:
    # Stable per epic: the same market always shows the same crowd.
    long_share = int.from_bytes(hashlib.blake2b(epic.encode(), digest_size=2).digest(), "big") % 9000
    long_percentage = round(5 + long_share / 100, 2)
    return {
        "marketId": epic,
        "longPositionPercentage": long_percentage,
        "shortPositionPercentage": round(100 - long_percentage, 2),
    }


async def sentiments(request: Request) -> Response:
    catalogue = runtime_of(request).state.catalogue
    ids = [value.strip() for value in request.query_params.get("marketIds", "").split(",") if value.strip()]
    if not ids:
        raise ApiError(400, "error.null.marketIds")
    known = [_sentiment(epic) for epic in ids if catalogue.details(epic) is not None]
    if not known:
        raise ApiError(404, "error.not-found.epic")
    return json_response({"clientSentiments": known})


async def sentiment(request: Request) -> Response:
    epic = request.path_params["marketId"]
    if runtime_of(request).state.catalogue.details(epic) is None:
        raise ApiError(404, "error.not-found.epic")
    return json_response(_sentiment(epic))


ROUTES = [
    ApiRoute("GET", "/marketnavigation", top_navigation),
    ApiRoute("GET", "/marketnavigation/{nodeId}", navigation_node),
    ApiRoute("GET", "/markets", markets),
    ApiRoute("GET", "/markets/{epic}", market),
    ApiRoute("GET", "/prices/{epic}", prices),
    ApiRoute("GET", "/clientsentiment", sentiments),
    ApiRoute("GET", "/clientsentiment/{marketId}", sentiment),
]
