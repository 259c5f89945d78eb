"""Runs inside the baseline's own virtual environment (no capital_pipeline there): the reference snapshot done
with ``capitalcom-python`` as its README shows, one call after another. Prints one JSON line of timings.

argv: api_url identifier password api_key epic [epic ...] (the sample of epics fetched one per call).
"""

import json
import sys
import time

import capitalcom.client_demo as library

LIBRARY_BASE = library.CapitalComConstants.BASE_URL


def point_at(api_url: str) -> None:
    """The library builds each endpoint from a fixed host at import time: rebind them to the simulator."""
    for name, value in vars(library.CapitalComConstants).items():
        if isinstance(value, str) and value.startswith(LIBRARY_BASE):
            setattr(library.CapitalComConstants, name, api_url.rstrip("/") + "/" + value[len(LIBRARY_BASE) :])


ERRORS: list[str] = []


def timed(calls: list[float], call, *args):
    """Call the library, timing it; the library hands error bodies back as answers, so note them."""
    started = time.perf_counter()
    result = call(*args)
    calls.append(time.perf_counter() - started)
    if isinstance(result, dict) and "errorCode" in result:
        ERRORS.append(result["errorCode"])
    return result


def main() -> None:
    api_url, identifier, password, api_key, *epics = sys.argv[1:]
    point_at(api_url)
    calls: list[float] = []
    started = time.perf_counter()
    client = timed(calls, library.Client, identifier, password, api_key)
    accounts = timed(calls, client.all_accounts)["accounts"]
    current = client.response.json()["currentAccountId"]
    timed(calls, client.account_preferences)
    others = [account["accountId"] for account in accounts if account["accountId"] != current]
    for account_id in others:
        timed(calls, client.switch_account, account_id)
        timed(calls, client.account_preferences)
    if others:
        timed(calls, client.switch_account, current)
    nodes, pending = 0, [""]
    while pending:
        answer = timed(calls, client.market_navigation, pending.pop())
        nodes += 1
        pending.extend(node["id"] for node in answer.get("nodes", []))
    lists = timed(calls, client.watchlist).get("watchlists", [])
    for watchlist in lists:
        timed(calls, client.watchlist, watchlist["id"])
    reference_seconds = time.perf_counter() - started
    epic_calls: list[float] = []
    for epic in epics:
        timed(epic_calls, client.single_market, epic)
    timed(calls, client.log_out_account)
    print(
        json.dumps(
            {
                "reference_requests": len(calls),
                "reference_seconds": reference_seconds,
                "nodes": nodes,
                "accounts": len(accounts),
                "watchlists": len(lists),
                "epic_sample": len(epic_calls),
                "seconds_per_epic": sum(epic_calls) / len(epic_calls),
                "errors": ERRORS,
            }
        )
    )


if __name__ == "__main__":
    main()
