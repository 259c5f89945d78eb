"""Introspection and control for tests, outside ``/api/v1``: never counted, delayed or faulted.

- ``GET /_simulator/stats``: the counters (``stats.py``); ``POST /_simulator/reset`` clears them.
- ``GET /_simulator/universe``: the ground truth of the current state (universe plus API edits).
- ``GET|POST /_simulator/faults``: the fault list; POST replaces it with a JSON list of ``Fault`` fields.
- ``GET /_simulator/tokens``: every CST and X-SECURITY-TOKEN issued since start, so leak tests can search.
- ``GET|POST /_simulator/config``: the settings without secrets; POST changes run-time settings
  (``config.RUNTIME_SETTINGS``). Invalid input is 400 ``{"error": "<why>"}``.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from capital_pipeline.simulator.config import Fault
from capital_pipeline.simulator.responses import json_response
from capital_pipeline.simulator.routing import runtime_of

__all__ = ["CONTROL_PREFIX", "ROUTES"]

CONTROL_PREFIX = "/_simulator"


async def stats(request: Request) -> Response:
    return json_response(runtime_of(request).stats.as_json())


async def reset_stats(request: Request) -> Response:
    runtime_of(request).stats.reset()
    return json_response({"status": "OK"})


async def universe(request: Request) -> Response:
    return json_response(runtime_of(request).state.ground_truth())


async def tokens(request: Request) -> Response:
    return json_response({"tokens": runtime_of(request).sessions.issued})


async def faults(request: Request) -> Response:
    runtime = runtime_of(request)
    if request.method == "POST":
        try:
            runtime.replace_faults([Fault(**item) for item in json.loads(await request.body())])
        except (ValueError, TypeError) as error:
            return JSONResponse({"error": str(error)}, status_code=400)
    return json_response([fault.to_dict() for fault in runtime.config.faults])


async def config(request: Request) -> Response:
    runtime = runtime_of(request)
    if request.method == "POST":
        try:
            changes = json.loads(await request.body())
            if not isinstance(changes, dict):
                raise ValueError("send a JSON object of settings")
            await runtime.change_settings(changes)
        except (ValueError, TypeError) as error:
            return JSONResponse({"error": str(error)}, status_code=400)
    return json_response(runtime.config.public_dict())


ROUTES = [
    Route(f"{CONTROL_PREFIX}/stats", stats, methods=["GET"]),
    Route(f"{CONTROL_PREFIX}/reset", reset_stats, methods=["POST"]),
    Route(f"{CONTROL_PREFIX}/universe", universe, methods=["GET"]),
    Route(f"{CONTROL_PREFIX}/tokens", tokens, methods=["GET"]),
    Route(f"{CONTROL_PREFIX}/faults", faults, methods=["GET", "POST"]),
    Route(f"{CONTROL_PREFIX}/config", config, methods=["GET", "POST"]),
]
