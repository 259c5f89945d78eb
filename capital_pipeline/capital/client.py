"""``CapitalClient``: the read side of the Capital.com REST API, paced, retried and re-logged-in as needed.

Async on ``httpx.AsyncClient`` because one event loop holds as many requests in flight as the pace allows (at
10 requests per second and 150-400 ms latency that is 2 to 5) with one lock for re-login and one limiter, and
no thread-safety questions. Synchronous callers (the Dagster layer) wrap a whole job in ``asyncio.run(...)``.

Every request crosses ``GuardedTransport`` (allow-list, pacing, accounting); every GET is retried on transient
failures; the session is handled by ``SessionAuth``. Nothing here opens, edits or closes anything."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar, overload
from urllib.parse import quote

import httpx

from capital_pipeline.capital import history
from capital_pipeline.capital.auth import ANONYMOUS, SessionAuth, SessionManager, SessionStore
from capital_pipeline.capital.config import API_PREFIX, ClientSettings, Credentials
from capital_pipeline.capital.errors import (
    BadRequest,
    MalformedResponse,
    SessionExpired,
    error_from_response,
)
from capital_pipeline.capital.login import Logins, check_switched, session_headers
from capital_pipeline.capital.markets import MarketDetailsBatch, fetch_market_details, itself
from capital_pipeline.capital.navigation import NavigationCrawl, walk_navigation
from capital_pipeline.capital.pacing import SYSTEM_CLOCK, Clock, Pacer
from capital_pipeline.capital.parsing import ApiRecord, ParseContext, parse_record, parse_records
from capital_pipeline.capital.progress import ProgressCallback, no_progress
from capital_pipeline.capital.records import (
    Account,
    MarketDetails,
    MarketSummary,
    NavigationNode,
    NavigationPage,
    Preferences,
    ServerTime,
    SessionDetails,
    Watchlist,
)
from capital_pipeline.capital.retries import RetryPolicy, send_with_retries
from capital_pipeline.capital.session import SessionLifetime, TokenBundle
from capital_pipeline.capital.trading_records import (
    Activity,
    ClientSentiment,
    OpenPosition,
    OpenWorkingOrder,
    PriceBar,
    Transaction,
)
from capital_pipeline.capital.transport import GuardedTransport, PooledTransport, RequestStats

__all__ = ["CapitalClient"]

R = TypeVar("R", bound=ApiRecord)
S = TypeVar("S")
# GET /marketnavigation/{nodeId}: default and maximum 500 markets (REFERENCE.md sections 6 and 11); one client
# saw 500 refused (section 6), so a walk refused with error.invalid.limit lowers it (navigation.py).
NAVIGATION_LIMIT = 500
# GET /markets?epics=: at most 50 epics per call (REFERENCE.md section 4).
EPICS_PER_CALL = 50
# The slowest round trip the connection pool is sized for: the pace lets `rate` requests leave per second, so
# about `rate` x this many are in flight at once, each on its own HTTP/1.1 connection.
ROUND_TRIP_ALLOWANCE_SECONDS = 2.0


def _segment(value: str) -> str:
    # One path segment, whatever the value holds: "/" in an id must not change the route, and an id "." or
    # ".." must not be resolved as a dot segment (RFC 3986 section 5.2.4) into another route.
    if not value:
        raise BadRequest("an empty id cannot name a resource: the request was not sent")
    quoted = quote(value, safe="")
    return quoted.replace(".", "%2E") if quoted in (".", "..") else quoted


def idle_connections_kept(requests_per_second: int) -> int:
    """How many idle connections to keep: every one the pace can fill, so none is reopened between bursts."""
    return max(20, math.ceil(requests_per_second * ROUND_TRIP_ALLOWANCE_SECONDS))


class CapitalClient:
    """A read-only Capital.com session. Use ``async with CapitalClient(credentials, settings) as client``.

    ``session`` resumes an exported ``TokenBundle``; ``session_store`` shares one session between processes;
    ``transport`` replaces the network (tests pass ``httpx.MockTransport``); ``clock`` replaces time.
    """

    def __init__(
        self,
        credentials: Credentials,
        settings: ClientSettings | None = None,
        *,
        session: TokenBundle | None = None,
        session_store: SessionStore | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = SYSTEM_CLOCK,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings = settings or ClientSettings()
        self.stats = RequestStats()
        pacer = Pacer.build(
            requests_per_second=settings.requests_per_second,
            logins_per_second=settings.logins_per_second,
            margin=settings.rate_margin,
            jitter_cap=settings.arrival_jitter_cap,
            directory=settings.pacing_directory,
            key_fingerprint=credentials.api_key_fingerprint,
            clock=clock,
        )
        guarded = GuardedTransport(
            transport or PooledTransport(max_idle=idle_connections_kept(settings.requests_per_second)),
            base_url=settings.base_url,
            pacer=pacer,
            stats=self.stats,
        )
        self._http = httpx.AsyncClient(
            base_url=settings.base_url + API_PREFIX, transport=guarded, timeout=settings.timeout
        )
        self._clock = clock
        self._policy = RetryPolicy(
            settings.max_attempts,
            settings.backoff_base,
            settings.backoff_cap,
            settings.max_retry_after,
            rng=rng or random.Random(),
        )
        self._logins = Logins(
            build=self._http.build_request,
            send=lambda request: self._http.send(request, auth=None),
            credentials=credentials,
            encrypted=settings.encrypted_login,
            policy=self._policy,
            clock=clock,
        )
        lifetime = SessionLifetime(
            settings.session_idle_limit, settings.session_hard_cap, settings.session_refresh_margin
        )
        self._session = SessionManager(self._logins, lifetime, clock, bundle=session, store=session_store)
        self._http.auth = SessionAuth(self._session, pacer)

    async def __aenter__(self) -> CapitalClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections. The session stays alive (export it, or ``logout`` first)."""
        await self._http.aclose()

    # --- plumbing shared by every endpoint -------------------------------------------------------------

    def parse_context(self) -> ParseContext:
        """How this session's records are parsed: its ``timezoneOffset`` turns local times into UTC."""
        bundle = self._session.bundle
        return ParseContext(bundle.timezone_offset if bundle else None)

    async def get_json(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        anonymous: bool = False,
        tokens: TokenBundle | None = None,
    ) -> Any:
        """One GET, retried on transient failures: the decoded JSON body, or a ``CapitalError``.

        ``tokens`` sends with exactly that bundle instead of the session's (no re-login, nothing adopted)."""
        extensions = {ANONYMOUS: True} if anonymous else None
        headers = session_headers(tokens) if tokens else None
        try:
            request = self._http.build_request(
                "GET", path, params=params, extensions=extensions, headers=headers
            )
        except httpx.InvalidURL as error:
            # httpx refuses URLs over 65,536 characters: an id that long cannot be asked for.
            raise BadRequest(f"the request URL cannot be built: {error}", path=path[:200]) from None

        def count_retry() -> None:
            self.stats.retries += 1

        decoded: list[Any] = []

        def readable(response: httpx.Response) -> bool:
            # A 2xx body cut short (a proxy or a dropped connection) is worth another GET, like a 502.
            try:
                decoded[:] = [json.loads(response.content)]
            except (ValueError, RecursionError):  # RecursionError: JSON nested deeper than the stack
                return False
            return True

        auth = None if tokens else httpx.USE_CLIENT_DEFAULT
        response, attempts = await send_with_retries(
            lambda: self._http.send(request, auth=auth),
            path=request.url.path,
            policy=self._policy,
            sleep=self._clock.sleep,
            on_retry=count_retry,
            readable=readable,
        )
        if not response.is_success:
            raise error_from_response(response, attempts=attempts)
        if not decoded:
            tried = f" after {attempts} attempts" if attempts > 1 else ""
            raise MalformedResponse(
                f"the body is not JSON{tried}", status=response.status_code, path=request.url.path
            )
        return decoded[0]

    async def _records(
        self, record_type: type[R], path: str, key: str, params: dict[str, Any] | None = None
    ) -> list[R]:
        body = await self.get_json(path, params)
        if not isinstance(body, dict):
            raise MalformedResponse(f"expected an object holding {key!r}", path=path)
        return parse_records(record_type, body.get(key, []), self.parse_context(), path=path)

    async def _record(self, record_type: type[R], path: str, params: dict[str, Any] | None = None) -> R:
        return parse_record(record_type, await self.get_json(path, params), self.parse_context(), path=path)

    # --- session -----------------------------------------------------------------------------------------

    async def server_time(self) -> datetime:
        """``GET /time`` (needs no session)."""
        body = await self.get_json("/time", anonymous=True)
        return parse_record(ServerTime, body, path="/time").server_time

    async def login(self) -> None:
        """Make sure a session exists now (requests log in by themselves when needed)."""
        await self._session.current()

    async def ping(self) -> None:
        """``GET /ping``: keeps the session alive."""
        await self.get_json("/ping")

    async def session_details(self) -> SessionDetails:
        """``GET /session``."""
        return await self._record(SessionDetails, "/session")

    async def switch_account(self, account_id: str) -> None:
        """``PUT /session``: make ``account_id`` active (already active is success); kept across re-logins.

        Retried like a read: switching is idempotent (a repeat lands on the account already active)."""
        request = self._http.build_request("PUT", "/session", json={"accountId": account_id})
        response, attempts = await send_with_retries(
            lambda: self._http.send(request),
            path=request.url.path,
            policy=self._policy,
            sleep=self._clock.sleep,
        )
        check_switched(response, attempts=attempts)
        self._session.switched_to(account_id)

    async def logout(self) -> None:
        """``DELETE /session`` for the current (or shared) session, if there is one; then forget it."""
        bundle = await self._session.resumable()
        if bundle is not None:
            await self._logins.log_out(bundle)
        self._session.forget()

    def export_session(self) -> TokenBundle | None:
        """The current token bundle, to resume elsewhere with ``CapitalClient(..., session=bundle)``."""
        return self._session.bundle

    # --- reference data ------------------------------------------------------------------------------------

    async def accounts(self) -> list[Account]:
        """``GET /accounts``."""
        return await self._records(Account, "/accounts", "accounts")

    async def preferences(self) -> Preferences:
        """``GET /accounts/preferences`` of the active account."""
        return await self._record(Preferences, "/accounts/preferences")

    async def preferences_of(self, account_ids: Sequence[str]) -> dict[str, Preferences]:
        """Each account's preferences: the session's account read as it is, then a switch and a read per other
        account, and a switch back (2A requests for A accounts, the session's own account among them).

        The switches run on a fork of the session's tokens, and while they are away from the session's account
        every other request of this client waits (``SessionManager.away``). ``PUT /session`` answers with
        tokens for the new account (REFERENCE.md section 6), but whether the earlier token keeps its account
        or the whole session moves is unconfirmed (section 10): in the second case a request answered
        meanwhile (the navigation crawl, market details, whose answers may differ per account) would read
        another account. The switch back's token then replaces the session's, in case the server retired the
        session's token when the fork first switched. If the chain fails while away, the session may have been
        left on another account, so it is not used again: the next request logs in afresh.
        """
        base = fork = await self._session.current()
        original = base.account_id
        preferences: dict[str, Preferences] = {}
        wanted = list(dict.fromkeys(account_ids))
        if original in wanted:
            base, fork, read = await self._on_fork(base, fork, original)
            assert read is not None
            preferences[original] = read
        others = [account_id for account_id in wanted if account_id != original]
        if not others:
            return preferences
        async with self._session.away():
            try:
                for account_id in others:
                    base, fork, read = await self._on_fork(base, fork, account_id)
                    assert read is not None
                    preferences[account_id] = read
                if fork.account_id != original and original is not None:
                    base, back, _ = await self._on_fork(base, fork, original, read=False)
                    await self._session.took_over(base, back)
            except BaseException:
                self._session.refused(base)
                raise
        return preferences

    async def _on_fork(
        self, base: TokenBundle, fork: TokenBundle, account_id: str, *, read: bool = True
    ) -> tuple[TokenBundle, TokenBundle, Preferences | None]:
        """Switch ``fork`` to ``account_id`` (if not there) and read its preferences. A session that expired
        meanwhile is replaced once, as for any request, and the fork starts again from the new one."""
        for attempt in (1, 2):
            try:
                if fork.account_id != account_id:
                    fork = await self._logins.switch(fork, account_id)
                return base, fork, await self._preferences_with(fork) if read else None
            except SessionExpired:
                if attempt == 2:
                    raise
                self._session.refused(base)
                base = fork = await self._session.current()
        raise AssertionError("unreachable")

    async def _preferences_with(self, tokens: TokenBundle) -> Preferences:
        path = "/accounts/preferences"
        return parse_record(
            Preferences, await self.get_json(path, tokens=tokens), self.parse_context(), path=path
        )

    async def navigation_top(self) -> list[NavigationNode]:
        """``GET /marketnavigation``: the top-level nodes."""
        return await self._records(NavigationNode, "/marketnavigation", "nodes")

    async def navigation_node(self, node_id: str, limit: int = NAVIGATION_LIMIT) -> NavigationPage:
        """``GET /marketnavigation/{nodeId}?limit=``: child nodes and/or at most ``limit`` markets."""
        return await self._record(NavigationPage, f"/marketnavigation/{_segment(node_id)}", {"limit": limit})

    async def crawl_navigation(
        self, limit: int = NAVIGATION_LIMIT, on_progress: ProgressCallback = no_progress
    ) -> NavigationCrawl:
        """The whole navigation tree: every node once, memberships, truncated and failed nodes."""
        return await walk_navigation(self, limit=limit, on_progress=on_progress)

    async def all_markets(self) -> list[MarketSummary]:
        """``GET /markets`` without parameters: every market summary in one response."""
        return await self._records(MarketSummary, "/markets", "markets")

    async def search_markets(self, term: str) -> list[MarketSummary]:
        """``GET /markets?searchTerm=``."""
        return await self._records(MarketSummary, "/markets", "markets", {"searchTerm": term})

    async def markets_batch(self, epics: Sequence[str]) -> list[MarketDetails]:
        """``GET /markets?epics=`` for at most 50 epics; unknown epics are simply absent from the answer."""
        if not 0 < len(epics) <= EPICS_PER_CALL:
            raise ValueError(f"between 1 and {EPICS_PER_CALL} epics per call, got {len(epics)}")
        return await self._records(MarketDetails, "/markets", "marketDetails", {"epics": ",".join(epics)})

    @overload
    async def market_details(
        self, epics: Iterable[str], on_progress: ProgressCallback = no_progress
    ) -> MarketDetailsBatch[MarketDetails]: ...

    @overload
    async def market_details(
        self,
        epics: Iterable[str],
        on_progress: ProgressCallback = no_progress,
        *,
        shape: Callable[[MarketDetails], S],
    ) -> MarketDetailsBatch[S]: ...

    async def market_details(
        self,
        epics: Iterable[str],
        on_progress: ProgressCallback = no_progress,
        *,
        shape: Callable[[MarketDetails], Any] = itself,
    ) -> MarketDetailsBatch[Any]:
        """Any number of epics, in concurrent batches of 50; reports the epics the API did not return.
        ``shape`` turns each record into what is kept, as its batch arrives (markets.py)."""
        return await fetch_market_details(
            self, epics, batch_size=EPICS_PER_CALL, on_progress=on_progress, shape=shape
        )

    async def market(self, epic: str) -> MarketDetails:
        """``GET /markets/{epic}``."""
        return await self._record(MarketDetails, f"/markets/{_segment(epic)}")

    async def watchlists(self) -> list[Watchlist]:
        """``GET /watchlists``."""
        return await self._records(Watchlist, "/watchlists", "watchlists")

    async def watchlist_markets(self, watchlist_id: str) -> list[MarketSummary]:
        """``GET /watchlists/{watchlistId}``: the watchlist's markets in its order."""
        return await self._records(MarketSummary, f"/watchlists/{_segment(watchlist_id)}", "markets")

    # --- trading side, read only ----------------------------------------------------------------------------

    async def prices(
        self,
        epic: str,
        resolution: str = "MINUTE",
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[PriceBar]:
        """``GET /prices/{epic}``; with ``start`` and ``end``, every bar between them, paging by 1000."""
        return await history.price_bars(self, f"/prices/{_segment(epic)}", resolution, start, end)

    async def client_sentiment(self, market_ids: Sequence[str]) -> list[ClientSentiment]:
        """``GET /clientsentiment?marketIds=``."""
        params = {"marketIds": ",".join(market_ids)}
        return await self._records(ClientSentiment, "/clientsentiment", "clientSentiments", params)

    async def positions(self) -> list[OpenPosition]:
        """``GET /positions``."""
        return await self._records(OpenPosition, "/positions", "positions")

    async def working_orders(self) -> list[OpenWorkingOrder]:
        """``GET /workingorders``."""
        return await self._records(OpenWorkingOrder, "/workingorders", "workingOrders")

    async def activity(self, start: datetime, end: datetime, *, detailed: bool = False) -> list[Activity]:
        """``GET /history/activity`` from ``start`` to ``end``, one day per request (the API's maximum)."""
        params = {"detailed": "true"} if detailed else {}
        return await history.in_day_windows(
            self, Activity, "/history/activity", "activities", start, end, params
        )

    async def transactions(
        self, start: datetime, end: datetime, *, transaction_type: str | None = None
    ) -> list[Transaction]:
        """``GET /history/transactions`` between ``start`` and ``end``, one day per request."""
        params = {"type": transaction_type} if transaction_type else {}
        return await history.in_day_windows(
            self, Transaction, "/history/transactions", "transactions", start, end, params
        )
