"""The simulator as one ASGI app: the gate (``gate.py``) in front of a Starlette app with every route."""

from __future__ import annotations

from starlette.applications import Starlette

from capital_pipeline.simulator import (
    routes_accounts,
    routes_control,
    routes_markets,
    routes_orders,
    routes_session,
    routes_trading,
    routes_watchlists,
)
from capital_pipeline.simulator.config import SimulatorConfig
from capital_pipeline.simulator.gate import ApiGate
from capital_pipeline.simulator.responses import ApiError, api_error_response
from capital_pipeline.simulator.routing import ApiRoute
from capital_pipeline.simulator.runtime import SimulatorRuntime

__all__ = ["API_ROUTES", "create_app"]

# The 35 requests of the official collection, plus POST /accounts/topUp from the current docs (S2).
API_ROUTES: list[ApiRoute] = [
    *routes_session.ROUTES,
    *routes_accounts.ROUTES,
    *routes_trading.ROUTES,
    *routes_orders.ROUTES,
    *routes_markets.ROUTES,
    *routes_watchlists.ROUTES,
]


def create_app(config: SimulatorConfig) -> ApiGate:
    """A fresh simulator (universe built, RSA key generated) as an ASGI app for uvicorn."""
    runtime = SimulatorRuntime(config)
    starlette = Starlette(
        routes=[route.starlette_route() for route in API_ROUTES] + routes_control.ROUTES,
        exception_handlers={ApiError: api_error_response},
    )
    starlette.state.runtime = runtime
    return ApiGate(starlette, runtime, API_ROUTES)
