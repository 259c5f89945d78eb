"""The Capital.com client: read-only, paced, retried, re-logged-in as needed (issue 3).

Plain Python on httpx and cryptography: nothing here knows Dagster, pandas or SQL.

    async with CapitalClient(Credentials.from_env(), ClientSettings("demo")) as client:
        crawl = await client.crawl_navigation()
        details = await client.market_details(crawl.markets)
"""

from capital_pipeline.capital.client import CapitalClient
from capital_pipeline.capital.config import DEMO_URL, LIVE_URL, ClientSettings, Credentials, resolve_base_url
from capital_pipeline.capital.errors import (
    AuthenticationFailed,
    BadRequest,
    CapitalError,
    ConfigurationError,
    MalformedResponse,
    NotFound,
    RateLimited,
    ReadOnlyViolation,
    RequestFailure,
    ServerError,
    SessionExpired,
    TransportError,
)
from capital_pipeline.capital.markets import MarketDetailsBatch
from capital_pipeline.capital.navigation import CrawledNode, NavigationCrawl, NodeMembership
from capital_pipeline.capital.pacing import Clock, SystemClock
from capital_pipeline.capital.progress import ProgressCallback
from capital_pipeline.capital.records import (
    Account,
    MarketDetails,
    MarketSummary,
    NavigationNode,
    Preferences,
    SessionDetails,
    Watchlist,
)
from capital_pipeline.capital.session import TokenBundle
from capital_pipeline.capital.shared_session import SharedSessionStore
from capital_pipeline.capital.transport import RequestStats

__all__ = [
    "DEMO_URL",
    "LIVE_URL",
    "Account",
    "AuthenticationFailed",
    "BadRequest",
    "CapitalClient",
    "CapitalError",
    "ClientSettings",
    "Clock",
    "ConfigurationError",
    "CrawledNode",
    "Credentials",
    "MalformedResponse",
    "MarketDetails",
    "MarketDetailsBatch",
    "MarketSummary",
    "NavigationCrawl",
    "NavigationNode",
    "NodeMembership",
    "NotFound",
    "Preferences",
    "ProgressCallback",
    "RateLimited",
    "ReadOnlyViolation",
    "RequestFailure",
    "RequestStats",
    "ServerError",
    "SessionDetails",
    "SessionExpired",
    "SharedSessionStore",
    "SystemClock",
    "TokenBundle",
    "TransportError",
    "Watchlist",
    "resolve_base_url",
]
