"""The session seen by requests: an ``httpx.Auth`` flow over a ``SessionManager`` and the pace.

The flow injects ``CST``/``X-SECURITY-TOKEN``, adopts tokens from any response that carries them (REFERENCE.md
section 2), and on a 401 ``error.invalid.session.token`` (or ``error.security.token-invalid``, section 3) logs
in once and replays the request. Logins are serialized under one asyncio lock: concurrent requests that all
hit an expired session wait for the first one's login instead of logging in themselves.

A request takes its slot under the pace before its tokens: tokens are checked once the slot is ours, so
requests queued behind a refused session wait for the new one instead of going out with tokens known dead
(the slot goes back to the pace meanwhile).

While a chain of account switches is away from the session's account (``SessionManager.away``), the session's
requests wait: whether ``PUT /session`` moves only the new token or the whole session is unconfirmed
(REFERENCE.md sections 6 and 10), and in the second case a request answered meanwhile would read another
account. The chain starts once the requests already sent are answered.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Generator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import replace
from typing import Protocol

import httpx

from capital_pipeline.capital.errors import SESSION_EXPIRED_CODES, AuthenticationFailed, error_code_of
from capital_pipeline.capital.login import Logins, session_headers
from capital_pipeline.capital.pacing import Clock, Pacer
from capital_pipeline.capital.session import SessionLifetime, TokenBundle
from capital_pipeline.capital.transport import PACED

__all__ = ["ANONYMOUS", "SessionAuth", "SessionManager", "SessionStore", "StoredSession"]

# A request extension: send without tokens (GET /time needs none, REFERENCE.md section 2).
ANONYMOUS = "capital_pipeline.anonymous"
# Another process's idea of "last used" only needs to be roughly current: write it at most this often.
_STORE_TOUCH_SECONDS = 60.0


class StoredSession(Protocol):
    def read(self) -> TokenBundle | None: ...

    def write(self, bundle: TokenBundle) -> None: ...

    def refusal(self) -> AuthenticationFailed | None: ...

    def write_refusal(self, error: AuthenticationFailed) -> None: ...


class SessionStore(Protocol):
    """Where several processes share one session (``shared_session.SharedSessionStore``)."""

    def locked(self) -> AbstractAsyncContextManager[StoredSession]: ...


class SessionManager:
    """Holds the current token bundle and replaces it, at most one login at a time."""

    def __init__(
        self,
        logins: Logins,
        lifetime: SessionLifetime,
        clock: Clock,
        *,
        bundle: TokenBundle | None = None,
        store: SessionStore | None = None,
    ) -> None:
        self._logins, self._lifetime, self._clock, self._store = logins, lifetime, clock, store
        self._bundle = bundle
        self._refused: TokenBundle | None = None
        self._lock = asyncio.Lock()
        self._published_at = clock.now()
        # The account a caller switched to: a fresh login lands on the default one and must switch back.
        self.desired_account_id: str | None = None
        # Requests wait while ``_home`` is clear (a switch chain is away); ``_quiet`` is set when none is out.
        self._home, self._quiet = asyncio.Event(), asyncio.Event()
        self._home.set()
        self._quiet.set()
        self._sending = 0
        self._away_lock = asyncio.Lock()

    @property
    def bundle(self) -> TokenBundle | None:
        return self._bundle

    def forget(self) -> None:
        """Drop the session (after logout): the next request logs in afresh."""
        self._bundle, self.desired_account_id = None, None

    def switched_to(self, account_id: str) -> None:
        """Record a successful account switch, so a later re-login switches back to it."""
        self.desired_account_id = account_id
        if self._bundle is not None:
            self._bundle = replace(self._bundle, account_id=account_id)

    async def resumable(self) -> TokenBundle | None:
        """The session this process would use, without logging in: its own, else the shared one."""
        if self._bundle is not None or self._store is None:
            return self._bundle
        async with self._store.locked() as stored:
            return stored.read()

    @asynccontextmanager
    async def away(self) -> AsyncIterator[None]:
        """Hold this process's session requests for the block, which starts once those sent are answered."""
        async with self._away_lock:
            self._home.clear()
            try:
                await self._quiet.wait()
                yield
            finally:
                self._home.set()

    async def at_home(self) -> None:
        """Wait while a switch chain is away."""
        await self._home.wait()

    def start_sending(self) -> bool:
        """Count one request as sent now; ``False`` (nothing counted) while a switch chain is away."""
        if not self._home.is_set():
            return False
        self._sending += 1
        self._quiet.clear()
        return True

    def done_sending(self) -> None:
        """A request counted by ``start_sending`` is answered (or failed)."""
        self._sending -= 1
        if self._sending == 0:
            self._quiet.set()

    def is_current(self, bundle: TokenBundle) -> bool:
        """Whether ``bundle`` is still the session to use (not replaced, refused or too old meanwhile)."""
        return bundle.same_tokens(self._bundle) and self._usable(bundle, self._refused)

    def refused(self, bundle: TokenBundle) -> None:
        """The server refused ``bundle``: nobody sends with it any more; the next ``current`` replaces it."""
        self._refused = bundle

    async def current(self) -> TokenBundle:
        """A bundle fresh enough for one more request, logging in first if needed; marks it used now."""
        bundle = self._bundle
        if bundle is None or not self._usable(bundle, self._refused):
            bundle = await self.refresh(stale=bundle)
        now = self._clock.now()
        self._bundle = bundle.used_at(now)
        if self._store is not None and now - self._published_at >= _STORE_TOUCH_SECONDS:
            await self._publish(self._bundle, replacing=bundle)
        return self._bundle

    async def refresh(self, *, stale: TokenBundle | None) -> TokenBundle:
        """Replace ``stale`` (None: no session yet) unless someone already did; log in only if nobody has."""
        async with self._lock:
            current = self._bundle
            if self._usable(current, stale):
                assert current is not None
                return current
            if self._store is None:
                self._bundle = await self._log_in()
                return self._bundle
            async with self._store.locked() as stored:
                shared = stored.read()
                if self._usable(shared, stale):
                    assert shared is not None
                    self._bundle = shared
                else:
                    self._bundle = await self._log_in_shared(stored)
                    self._published_at = self._clock.now()
            return self._bundle

    async def _log_in_shared(self, stored: StoredSession) -> TokenBundle:
        # Credentials another process saw refused are refused here too, without another login request.
        refusal = stored.refusal()
        if refusal is not None:
            raise refusal
        try:
            bundle = await self._log_in()
        except AuthenticationFailed as error:
            stored.write_refusal(error)
            raise
        stored.write(bundle)
        return bundle

    def _usable(self, candidate: TokenBundle | None, stale: TokenBundle | None) -> bool:
        return (
            candidate is not None
            and not candidate.same_tokens(stale)
            and self._lifetime.is_fresh(candidate, self._clock.now())
        )

    async def _log_in(self) -> TokenBundle:
        bundle = await self._logins.log_in()
        if self.desired_account_id is not None and bundle.account_id != self.desired_account_id:
            bundle = await self._logins.switch(bundle, self.desired_account_id)
        return bundle

    async def took_over(self, forked_from: TokenBundle, successor: TokenBundle) -> None:
        """Use ``successor``'s tokens (same account) from now on if the session still has ``forked_from``."""
        current = self._bundle
        if current is None or not current.same_tokens(forked_from):
            return
        updated = current.with_tokens(successor.cst, successor.security_token)
        if not updated.same_tokens(current):
            self._bundle = updated
            if self._store is not None:
                await self._publish(updated, replacing=current)

    async def adopt(self, response: httpx.Response, sent_with: TokenBundle) -> None:
        """Take the tokens a response carries, unless it answers a request sent with an older session."""
        cst, security_token = response.headers.get("CST"), response.headers.get("X-SECURITY-TOKEN")
        current = self._bundle
        if not (cst or security_token) or current is None or not current.same_tokens(sent_with):
            return
        updated = current.with_tokens(cst, security_token)
        if not updated.same_tokens(current):
            self._bundle = updated
            if self._store is not None:
                await self._publish(updated, replacing=current)

    async def _publish(self, bundle: TokenBundle, *, replacing: TokenBundle) -> None:
        assert self._store is not None
        async with self._store.locked() as stored:
            shared = stored.read()
            # Only overwrite the session we replaced: a newer one written by another process wins.
            if shared is None or shared.same_tokens(replacing) or shared.same_tokens(bundle):
                stored.write(bundle)
        self._published_at = self._clock.now()


def _session_refused(response: httpx.Response) -> bool:
    return response.status_code == 401 and error_code_of(response) in SESSION_EXPIRED_CODES


class SessionAuth(httpx.Auth):
    """Paces, injects the session's tokens, adopts new ones, and re-logs in once on an expired session."""

    def __init__(self, manager: SessionManager, pacer: Pacer) -> None:
        self._manager, self._pacer = manager, pacer

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("the Capital.com client is async only")

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if request.extensions.get(ANONYMOUS):
            yield request
            return
        for attempt in (1, 2):
            bundle = await self._paced_session(request)
            try:
                response = yield request
                await response.aread()
            finally:
                self._manager.done_sending()
            await self._manager.adopt(response, bundle)
            if attempt == 2 or not _session_refused(response):
                return
            self._manager.refused(bundle)

    async def _paced_session(self, request: httpx.Request) -> TokenBundle:
        """A slot under the pace and a session still good (and at home) once the slot is ours, set on
        ``request``; the request is then counted as sent."""
        while True:
            await self._manager.at_home()
            bundle = await self._manager.current()
            reservation = await self._pacer.before_send(is_login=False)
            if self._manager.is_current(bundle) and self._manager.start_sending():
                request.headers.update(session_headers(bundle))
                request.extensions[PACED] = reservation
                return bundle
            await reservation.withdraw()
