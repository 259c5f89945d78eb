"""The gate in front of every ``/api/v1`` request: count, authenticate, rate-limit, delay, inject faults, add
the headers every answer of the API carries.

Order, per request: (1) count the arrival under its route template; (2) check credentials: the API key on
``api_key`` routes (missing: 400 ``error.null.api.key``, unknown or expired: 401 ``error.invalid.api.key``),
both tokens on ``session`` routes (``sessions.py``); (3) rate limits, at arrival: requests on ``api_key``
routes count for the user owning the key, requests on ``session`` routes for the session's user, ``GET /time``
and requests refused in step 2 for nobody; ``POST /session`` also counts against the per-key login limit; (4)
draw a fault; (5) sleep the latency; (6) answer. The gate is the outermost ASGI app, so a connection reset
reaches uvicorn's own ``send``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from capital_pipeline.simulator import faults as broken
from capital_pipeline.simulator.config import Fault, SimulatorUser
from capital_pipeline.simulator.responses import (
    STANDARD_HEADERS,
    TOKEN_EXPOSE_HEADER,
    ApiError,
    json_response,
)
from capital_pipeline.simulator.routing import API_PREFIX, ApiRoute
from capital_pipeline.simulator.runtime import SimulatorRuntime
from capital_pipeline.simulator.sessions import Authenticated

__all__ = ["ApiGate"]


class ApiGate:
    """Pure ASGI app wrapping the Starlette app that routes and answers."""

    def __init__(self, app: ASGIApp, runtime: SimulatorRuntime, routes: list[ApiRoute]) -> None:
        self.app = app
        self.runtime = runtime
        self._routes: list[tuple[ApiRoute, Route]] = [(route, route.starlette_route()) for route in routes]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        now = time.monotonic()
        # The collection itself calls `/clientsentiment/?marketIds=`: a trailing slash names the same route.
        scope = dict(scope, path=scope["path"].rstrip("/"))
        route = self._match(scope)
        stats = self.runtime.stats
        if route is None:
            stats.record_arrival(f"{scope['method']} unmatched", editing=False, login=False)
            await self.app(scope, receive, self._decorated(send, None))
            return
        login = route.method == "POST" and route.path == "/session"
        stats.record_arrival(f"{route.method} {route.template}", editing=route.editing, login=login)
        auth: Authenticated | None = None
        try:
            auth, user = self._authenticate(route, scope, now)
            if user is not None:
                self._limit(user, now, login=login)
        except ApiError as error:
            await self._delay()
            await self._answer_error(error, scope, receive, self._decorated(send, auth))
            return
        fault = self.runtime.faults.draw(route.method, route.template)
        await self._delay()
        if fault is None:
            await self.app(scope, receive, self._decorated(send, auth))
        else:
            stats.record_fault(fault.kind)
            await self._inject(fault, auth, scope, receive, send)

    def _match(self, scope: Scope) -> ApiRoute | None:
        for route, starlette_route in self._routes:
            if starlette_route.matches(scope)[0] is Match.FULL:
                return route
        return None

    def _authenticate(
        self, route: ApiRoute, scope: Scope, now: float
    ) -> tuple[Authenticated | None, SimulatorUser | None]:
        headers = Headers(scope=scope)
        config = self.runtime.config
        if route.auth == "api_key":
            api_key = headers.get("x-cap-api-key")
            if not api_key:
                raise ApiError(400, "error.null.api.key")
            user = self.runtime.user_with_api_key(api_key)
            # Capital.com deletes an expired key (S2 FAQ), so it can only answer as for an unknown key.
            if user is None or config.api_key_expired:
                raise ApiError(401, "error.invalid.api.key")
            scope["capital.user"] = user
            return None, user
        if route.auth == "session":
            auth = self.runtime.sessions.authenticate(
                headers.get("cst"),
                headers.get("x-security-token"),
                now,
                config.session_idle_seconds,
                config.session_max_seconds,
                whole_session_switches=config.account_switch_scope == "session",
            )
            scope["capital.auth"] = auth
            return auth, auth.session.user
        return None, None

    def _limit(self, user: SimulatorUser, now: float, *, login: bool) -> None:
        runtime, config = self.runtime, self.runtime.config
        runtime.stats.record_user_arrival(user.identifier, now)
        checks: list[tuple[Any, int]] = [(("requests", user.identifier), config.rate_limit)]
        if login:
            checks.append((("logins", user.identifier), config.login_rate_limit))
        if not runtime.limiter.admit(checks, now):
            raise ApiError(429, "error.too-many.requests", self._retry_after())

    def _retry_after(self) -> dict[str, str]:
        seconds = self.runtime.config.retry_after
        return {} if seconds is None else {"Retry-After": str(seconds)}

    async def _delay(self) -> None:
        delay = self.runtime.latency.delay_seconds()
        if delay > 0:
            await asyncio.sleep(delay)

    def _decorated(self, send: Send, auth: Authenticated | None, *, api_headers: bool = True) -> Send:
        """``send`` adding the API's standard headers (and echoed tokens) and counting the status."""
        extra = list(STANDARD_HEADERS) if api_headers else []
        if auth is not None and api_headers:
            extra += [
                (b"cst", auth.session.cst.encode()),
                (b"x-security-token", auth.security_token.encode()),
                TOKEN_EXPOSE_HEADER,
            ]
        stats = self.runtime.stats

        async def decorated(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name for name, _ in headers}
                headers += [header for header in extra if header[0] not in present]
                stats.record_status(message["status"])
                message = {**message, "headers": headers}
            await send(message)

        return decorated

    async def _answer_error(self, error: ApiError, scope: Scope, receive: Receive, send: Send) -> None:
        await json_response({"errorCode": error.code}, error.status, error.headers)(scope, receive, send)

    async def _inject(
        self, fault: Fault, auth: Authenticated | None, scope: Scope, receive: Receive, send: Send
    ) -> None:
        if fault.kind == "reset":
            await broken.reset_connection(send)
        elif fault.kind == "status":
            await self._fault_status(fault.status, scope, receive, send)
        elif fault.kind == "timeout":
            await asyncio.sleep(fault.seconds)
            await self.app(scope, receive, self._decorated(send, auth))
        elif fault.kind == "expired_session" and auth is not None:
            auth.session.ended = True
            error = ApiError(401, "error.invalid.session.token")
            await self._answer_error(error, scope, receive, self._decorated(send, None))
        elif fault.kind == "expired_session":
            await self.app(scope, receive, self._decorated(send, auth))
        else:
            await self._rewritten(fault, scope, receive, self._decorated(send, auth))

    async def _fault_status(self, status: int, scope: Scope, receive: Receive, send: Send) -> None:
        if status == 429:
            error = ApiError(429, "error.too-many.requests", self._retry_after())
            await self._answer_error(error, scope, receive, self._decorated(send, None))
        elif status == 500:
            body = broken.server_error_body(scope["path"])
            await json_response(body, 500)(scope, receive, self._decorated(send, None))
        else:
            page = Response(broken.gateway_page(status), status, media_type="text/html")
            await page(scope, receive, self._decorated(send, None, api_headers=False))

    async def _rewritten(self, fault: Fault, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the handler, then break its body: truncated, a field dropped, or a field added."""
        start, body = await _buffered(self.app, scope, receive)
        status = start["status"]
        headers = [(name, value) for name, value in start["headers"] if name != b"content-length"]
        if fault.kind == "malformed_json":
            status, body = 200, broken.truncated(body)
        else:
            change: Callable[[Any, str | None], Any] = (
                broken.without_field if fault.kind == "missing_field" else broken.with_extra_field
            )
            body = json.dumps(change(json.loads(body), fault.field), separators=(",", ":")).encode()
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def _buffered(app: ASGIApp, scope: Scope, receive: Receive) -> tuple[Message, bytes]:
    start: Message = {}
    chunks: list[bytes] = []

    async def capture(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        else:
            chunks.append(message.get("body", b""))

    await app(scope, receive, capture)
    return start, b"".join(chunks)
