"""The login's client details, accounts, per-account preferences and day-0 watchlists.

Account items have exactly the keys of the current ``GET /accounts`` example (REFERENCE section 6, S2);
preferences the keys of ``GET /accounts/preferences``. Accounts and preferences do not change with the day.
"""

from __future__ import annotations

import random

from capital_pipeline.simulator.universe_listing import Listing

__all__ = ["LEVERAGE_CHOICES", "WatchlistDraft", "build_accounts", "build_client", "build_watchlists"]

# leverages offered per instrument type: the reference's example lists
LEVERAGE_CHOICES: dict[str, list[int]] = {
    "SHARES": [1, 2, 3, 5],
    "CURRENCIES": [1, 10, 20, 30],
    "INDICES": [1, 10, 20],
    "CRYPTOCURRENCIES": [1, 2],
    "COMMODITIES": [1, 5, 10, 20],
}
_STREAMING_HOST = "wss://api-streaming-capital.backend-capital.com/"
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}
# (currency, accountType, accountName); the third account exists for some seeds only
_ACCOUNT_PLAN = (("USD", "CFD", "USD"), ("EUR", "SPREADBET", "EUR Spread Bet"), ("GBP", "CFD", "GBP"))


def build_client(rng: random.Random) -> dict:
    """Client-level session details (``GET /session`` without the per-account ``accountId``)."""
    return {
        "clientId": str(rng.randrange(10_000_000, 100_000_000)),
        "timezoneOffset": rng.choice((1, 2, 3)),  # never 0, so local and UTC times always differ
        "locale": "en",
        "currency": "USD",
        "streamingHost": _STREAMING_HOST,
        "hasActiveDemoAccounts": True,
        "hasActiveLiveAccounts": True,
        "trailingStopsEnabled": False,
    }


def _balance(rng: random.Random) -> dict:
    deposit = round(rng.uniform(100, 20000), 2)
    profit_loss = round(rng.uniform(-0.05, 0.05) * deposit, 2)
    balance = round(deposit + profit_loss, 2)
    return {
        "balance": balance,
        "deposit": deposit,
        "profitLoss": profit_loss,
        "available": round(balance * rng.uniform(0.5, 1.0), 2),
    }


def _preferences(rng: random.Random) -> dict:
    return {
        "hedgingMode": rng.random() < 0.3,
        "leverages": {
            kind: {"current": rng.choice(available), "available": list(available)}
            for kind, available in LEVERAGE_CHOICES.items()
        },
    }


def build_accounts(rng: random.Random) -> tuple[list[dict], dict[str, dict]]:
    """2-3 accounts (17-digit ids, the first preferred) and each one's preferences."""
    accounts, preferences = [], {}
    for index, (currency, account_type, name) in enumerate(_ACCOUNT_PLAN[: rng.choice((2, 3))]):
        account_id = str(rng.randrange(10**16, 10**17))
        accounts.append(
            {
                "accountId": account_id,
                "accountName": name,
                "status": "ENABLED",
                "accountType": account_type,
                "preferred": index == 0,
                "balance": _balance(rng),
                "currency": currency,
                "symbol": _SYMBOLS[currency],
            }
        )
        preferences[account_id] = _preferences(rng)
    return accounts, preferences


WatchlistDraft = dict  # {"id", "name", "editable", "deleteable", "defaultSystemWatchlist", "epics": list}

# (name, instrument types it draws from, size range); the first is the platform's default system list
_WATCHLIST_PLAN = (
    ("Popular Markets", ("SHARES", "CURRENCIES", "INDICES", "COMMODITIES", "CRYPTOCURRENCIES"), (20, 30)),
    ("Tech stocks", ("SHARES",), (10, 40)),
    ("Crypto", ("CRYPTOCURRENCIES",), (5, 25)),
    ("Forex", ("CURRENCIES",), (5, 12)),
    ("Energy & metals", ("COMMODITIES",), (5, 15)),
    ("Long-term picks", ("SHARES", "INDICES"), (30, 60)),
)


def build_watchlists(rng: random.Random, listings: dict[str, Listing]) -> list[WatchlistDraft]:
    """4-6 watchlists of 5-60 markets; the first is the non-editable default system watchlist."""
    by_kind: dict[str, list[str]] = {}
    for epic, listing in listings.items():
        if listing.mode == "REGULAR":
            by_kind.setdefault(listing.kind, []).append(epic)
    first_id = rng.randrange(100_000, 900_000)
    drafts = []
    for index, (name, kinds, (low, high)) in enumerate(_WATCHLIST_PLAN[: rng.randint(4, 6)]):
        pool = [epic for kind in kinds for epic in by_kind.get(kind, [])[:400]]
        system = index == 0
        drafts.append(
            {
                "id": str(first_id + index),
                "name": name,
                "editable": not system,
                "deleteable": not system,
                "defaultSystemWatchlist": system,
                "epics": rng.sample(pool, rng.randint(low, high)),
            }
        )
    return drafts
