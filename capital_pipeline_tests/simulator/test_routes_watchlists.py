"""Watchlist endpoints (``routes_watchlists.py``): the two not-found codes, name length, editability."""

from __future__ import annotations

from capital_pipeline_tests.simulator.conftest import ApiClient


def _system_watchlist(client: ApiClient) -> str:
    return next(w["id"] for w in client.get("/watchlists").json()["watchlists"] if not w["editable"])


def test_unknown_watchlist_codes_differ_between_reading_and_managing(client: ApiClient) -> None:
    read = client.get("/watchlists/00001")
    deleted = client.request("DELETE", "/watchlists/00001")
    added = client.request("PUT", "/watchlists/00001", json={"epic": "SILVER"})
    assert (read.status_code, read.json()) == (404, {"errorCode": "error.invalid.watchlist"})
    assert (deleted.status_code, deleted.json()) == (404, {"errorCode": "error.not-found.watchlist"})
    assert (added.status_code, added.json()) == (404, {"errorCode": "error.not-found.watchlist"})


def test_watchlist_name_must_be_1_to_20_characters(client: ApiClient) -> None:
    for name in ("", "x" * 21, None):
        answer = client.request("POST", "/watchlists", json={"name": name})
        assert (answer.status_code, answer.json()) == (
            400,
            {"errorCode": "error.size.createwatchlistrequest.name"},
        )
    assert client.request("POST", "/watchlists", json={"name": "x" * 20}).json()["status"] == "SUCCESS"


def test_markets_are_added_once_and_removed(client: ApiClient) -> None:
    created = client.request("POST", "/watchlists", json={"name": "mine", "epics": ["SILVER", "NOPE"]}).json()
    assert created["status"] == "SUCCESS_NOT_ALL_INSTRUMENTS_ADDED"
    watchlist = created["watchlistId"]
    for _ in range(2):
        assert client.request("PUT", f"/watchlists/{watchlist}", json={"epic": "GOLD"}).json() == {
            "status": "SUCCESS"
        }
    assert [m["epic"] for m in client.get(f"/watchlists/{watchlist}").json()["markets"]] == ["SILVER", "GOLD"]
    assert client.request("DELETE", f"/watchlists/{watchlist}/SILVER").json() == {"status": "SUCCESS"}
    absent = client.request("DELETE", f"/watchlists/{watchlist}/SILVER")
    assert (absent.status_code, absent.json()) == (404, {"errorCode": "error.not-found.epic"})
    assert client.request("DELETE", f"/watchlists/{watchlist}").json() == {"status": "SUCCESS"}
    assert client.get(f"/watchlists/{watchlist}").status_code == 404


def test_system_watchlist_can_be_neither_edited_nor_deleted(client: ApiClient) -> None:
    system = _system_watchlist(client)
    edited = client.request("PUT", f"/watchlists/{system}", json={"epic": "SILVER"})
    deleted = client.request("DELETE", f"/watchlists/{system}")
    assert (edited.status_code, edited.json()) == (400, {"errorCode": "error.not-editable.watchlist"})
    assert (deleted.status_code, deleted.json()) == (400, {"errorCode": "error.not-deleteable.watchlist"})
