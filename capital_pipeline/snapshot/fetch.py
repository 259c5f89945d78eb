"""The reads of one snapshot, each the fewest requests the API allows (the client issue's minimal plan).

A snapshot is all or nothing: a node, batch or watchlist that cannot be read after the client's retries
raises ``SnapshotIncomplete`` instead of leaving a hole that would look like a delisting.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from capital_pipeline.capital import (
    Account,
    CapitalClient,
    MarketSummary,
    NavigationCrawl,
    Preferences,
    ProgressCallback,
    Watchlist,
)
from capital_pipeline.capital.errors import RequestFailure
from capital_pipeline.capital.progress import no_progress

__all__ = [
    "AccountsPart",
    "SnapshotIncomplete",
    "WatchlistsPart",
    "fetch_accounts",
    "fetch_navigation",
    "fetch_watchlists",
]


class SnapshotIncomplete(Exception):
    """Part of the snapshot could not be read; nothing of it may be published."""

    def __init__(self, what: str, failures: list[RequestFailure]) -> None:
        shown = "; ".join(f"{_short(failure.subject)}: {failure.message}" for failure in failures[:3])
        more = f" (and {len(failures) - 3} more)" if len(failures) > 3 else ""
        super().__init__(f"{len(failures)} {what} could not be read: {shown}{more}")
        self.failures = failures


def _short(subject: str) -> str:
    # A batch's subject is its 50 epics: the first few say which batch it was.
    return subject if len(subject) <= 60 else f"{subject[:57]}..."


@dataclass(frozen=True)
class AccountsPart:
    accounts: list[Account]
    preferences: dict[str, Preferences]


@dataclass(frozen=True)
class WatchlistsPart:
    watchlists: list[Watchlist]
    markets: dict[str, list[MarketSummary]]


async def fetch_accounts(client: CapitalClient) -> AccountsPart:
    """Every account and each one's preferences: 1 + 2A requests for A accounts.

    Preferences belong to the active account, so each other account is switched to once and back at the end,
    on tokens forked from the session (``CapitalClient.preferences_of``): whoever shares the session, in this
    process or another, keeps reading the account it logged in on meanwhile.
    """
    await client.login()
    accounts = await client.accounts()
    preferences = await client.preferences_of([account.account_id for account in accounts])
    return AccountsPart(
        accounts, {account.account_id: preferences[account.account_id] for account in accounts}
    )


async def fetch_navigation(
    client: CapitalClient, on_progress: ProgressCallback = no_progress
) -> NavigationCrawl:
    """The whole tree: 1 + N requests for N nodes; any node that failed makes the snapshot incomplete."""
    crawl = await client.crawl_navigation(on_progress=on_progress)
    if crawl.failures:
        raise SnapshotIncomplete("navigation nodes", crawl.failures)
    return crawl


async def fetch_watchlists(client: CapitalClient) -> WatchlistsPart:
    """Every watchlist and its markets: 1 + W requests, the W concurrently within the pace."""
    watchlists = await client.watchlists()
    members = await asyncio.gather(*(client.watchlist_markets(w.watchlist_id) for w in watchlists))
    return WatchlistsPart(watchlists, {w.watchlist_id: m for w, m in zip(watchlists, members, strict=True)})
