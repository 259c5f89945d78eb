"""Client details, accounts, preferences and watchlists, held to the reference examples' keys."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

from capital_pipeline.simulator.universe import build_universe

universe = functools.cache(build_universe)  # one build per arguments per session; tests never mutate it
_COLLECTION = Path(__file__).parent / "data" / "capital.collection.json"


def _postman_example(request_name: str, response_name: str) -> dict:
    """One example response body of the official Postman collection (REFERENCE S1)."""
    pending = list(json.loads(_COLLECTION.read_text())["item"])
    while pending:
        item = pending.pop()
        pending += item.get("item", [])
        for response in item.get("response", []) if item["name"] == request_name else []:
            if response["name"] == response_name:
                return json.loads(response["body"])
    raise KeyError(request_name)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_a_login_has_two_or_three_accounts_with_17_digit_ids_one_preferred(seed: int) -> None:
    accounts = universe(seed, 1, 0).accounts
    assert 2 <= len(accounts) <= 3
    assert all(len(a["accountId"]) == 17 and a["accountId"].isdigit() for a in accounts)
    assert len({a["accountId"] for a in accounts}) == len(accounts)
    assert [a["preferred"] for a in accounts].count(True) == 1


def test_accounts_have_the_keys_of_the_current_accounts_example() -> None:
    example = _postman_example("All accounts", "Successfull response")["accounts"][0]
    # the current docs (S2) add "symbol" to the Postman (S1) item
    expected_keys = set(example) | {"symbol"}
    for account in universe(1, 1, 0).accounts:
        assert set(account) == expected_keys
        assert set(account["balance"]) == set(example["balance"])
        assert account["status"] == "ENABLED"
        assert account["accountType"] in {"CFD", "SPREADBET", "PHYSICAL"}
    assert {a["accountType"] for a in universe(1, 1, 0).accounts} == {"CFD", "SPREADBET"}


def test_each_account_has_its_own_preferences_shaped_like_the_example() -> None:
    example = _postman_example("Account preferences", "Successful response")
    default = universe(1, 1, 0)
    assert set(default.preferences) == {a["accountId"] for a in default.accounts}
    for preferences in default.preferences.values():
        assert set(preferences) == set(example)
        assert isinstance(preferences["hedgingMode"], bool)
        assert set(preferences["leverages"]) == set(example["leverages"])
        for kind, leverage in preferences["leverages"].items():
            assert leverage["available"] == example["leverages"][kind]["available"]
            assert leverage["current"] in leverage["available"]


def test_client_carries_the_session_fields_the_server_needs() -> None:
    client = universe(1, 1, 0).client
    assert client["clientId"].isdigit()
    assert client["timezoneOffset"] in {1, 2, 3}
    assert client["locale"] == "en" and client["currency"] == "USD"
    assert client["streamingHost"] == "wss://api-streaming-capital.backend-capital.com/"


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_four_to_six_watchlists_of_5_to_60_markets_with_one_default_system_list(seed: int) -> None:
    default = universe(seed, 1, 0)
    watchlists = default.watchlists
    assert 4 <= len(watchlists) <= 6
    assert len({w.id for w in watchlists}) == len(watchlists)
    for watchlist in watchlists:
        assert watchlist.id.isdigit() and 1 <= len(watchlist.name) <= 20
        assert 5 <= len(watchlist.epics) <= 60
        assert len(set(watchlist.epics)) == len(watchlist.epics)
        assert set(watchlist.epics) <= set(default.markets)
    system = [w for w in watchlists if w.default_system_watchlist]
    assert len(system) == 1 and not system[0].editable and not system[0].deleteable
    assert all(w.editable and w.deleteable for w in watchlists if not w.default_system_watchlist)


def test_watchlists_serialise_with_the_keys_of_the_example() -> None:
    example = _postman_example("All watchlists", "Successful response")["watchlists"][0]
    for watchlist in universe(1, 1, 0).ground_truth()["watchlists"]:
        assert set(watchlist) == set(example) | {"epics"}
