"""The API's route table entries and what a route handler reads from its request."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from capital_pipeline.simulator.responses import ApiError
from capital_pipeline.simulator.runtime import SimulatorRuntime
from capital_pipeline.simulator.sessions import Authenticated

__all__ = ["API_PREFIX", "ApiRoute", "auth_of", "json_object", "runtime_of"]

API_PREFIX = "/api/v1"
AUTH_KINDS = ("none", "api_key", "session")


@dataclass(frozen=True)
class ApiRoute:
    """One request of the API: method, path under ``/api/v1``, handler, the credentials it needs, and whether
    it trades or edits (counted apart in the stats)."""

    method: str
    path: str
    endpoint: Callable[[Request], Awaitable[Response]]
    auth: str = "session"
    editing: bool = False

    def __post_init__(self) -> None:
        if self.auth not in AUTH_KINDS:
            raise ValueError(f"auth must be one of {AUTH_KINDS}")

    @property
    def template(self) -> str:
        """The full route template, as stats and faults name routes: ``/api/v1/markets/{epic}``."""
        return API_PREFIX + self.path

    def starlette_route(self) -> Route:
        return Route(
            self.template, self.endpoint, methods=[self.method], name=f"{self.method} {self.template}"
        )


def runtime_of(request: Request) -> SimulatorRuntime:
    """The running simulator behind a request."""
    runtime: SimulatorRuntime = request.app.state.runtime
    return runtime


def auth_of(request: Request) -> Authenticated:
    """The session and account of an authenticated request (checked by the gate before the handler)."""
    auth: Authenticated = request.scope["capital.auth"]
    return auth


async def json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object; anything else is 400 ``error.invalid.json``."""
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise ApiError(400, "error.invalid.json") from None
    if not isinstance(body, dict):
        raise ApiError(400, "error.invalid.json")
    return body
