"""Market data endpoints (``routes_markets.py``): navigation limits, searches, epics lists, sentiment."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from capital_pipeline_tests.simulator.conftest import ApiClient


@pytest.fixture(scope="module")
def truth(shared_simulator) -> dict:
    return shared_simulator.universe()


def _leaves(truth: dict) -> list[dict]:
    return sorted((n for n in truth["nodes"] if not n["children"]), key=lambda node: len(node["epics"]))


@pytest.fixture
def ceiling_100(shared_simulator) -> Iterator[None]:
    """The shared simulator refusing navigation limits above 100 (as one client saw, REFERENCE §6)."""
    shared_simulator.set_config(navigation_max_limit=100)
    yield
    shared_simulator.set_config(navigation_max_limit=500)


@pytest.mark.parametrize("limit", ["0", "501", "-1", "abc", "2.5", "²"])
def test_navigation_limit_outside_1_to_500_is_invalid(client: ApiClient, truth: dict, limit: str) -> None:
    answer = client.get(f"/marketnavigation/{_leaves(truth)[-1]['id']}", params={"limit": limit})
    assert (answer.status_code, answer.json()) == (400, {"errorCode": "error.invalid.limit"})
    assert answer.headers["Content-Disposition"] == "inline;filename=f.txt"


def test_leaf_with_more_markets_than_the_limit_answers_the_first_limit(
    client: ApiClient, truth: dict
) -> None:
    biggest = _leaves(truth)[-1]
    assert len(biggest["epics"]) > 500
    default = client.get(f"/marketnavigation/{biggest['id']}").json()
    three = client.get(f"/marketnavigation/{biggest['id']}", params={"limit": "3"}).json()
    assert default["nodes"] == []
    assert [m["epic"] for m in default["markets"]] == biggest["epics"][:500]
    assert [m["epic"] for m in three["markets"]] == biggest["epics"][:3]


@pytest.mark.parametrize("limit", ["101", "500", "1000"])
def test_navigation_limit_above_the_ceiling_knob_is_invalid(
    client: ApiClient, truth: dict, ceiling_100: None, limit: str
) -> None:
    answer = client.get(f"/marketnavigation/{_leaves(truth)[-1]['id']}", params={"limit": limit})
    assert (answer.status_code, answer.json()) == (400, {"errorCode": "error.invalid.limit"})


def test_under_a_lower_ceiling_the_ceiling_and_an_absent_limit_are_accepted(
    client: ApiClient, truth: dict, ceiling_100: None
) -> None:
    biggest = _leaves(truth)[-1]
    at_ceiling = client.get(f"/marketnavigation/{biggest['id']}", params={"limit": "100"}).json()
    absent = client.get(f"/marketnavigation/{biggest['id']}").json()
    assert [m["epic"] for m in at_ceiling["markets"]] == biggest["epics"][:100]
    assert absent == at_ceiling  # the server's own default never exceeds what it accepts


def test_branch_answers_its_children_only(client: ApiClient, truth: dict) -> None:
    branch = next(n for n in truth["nodes"] if n["children"] and not n["epics"])
    answer = client.get(f"/marketnavigation/{branch['id']}").json()
    assert list(answer) == ["nodes"]
    assert [node["id"] for node in answer["nodes"]] == branch["children"]


def test_top_level_lists_the_universe_top_nodes(client: ApiClient, truth: dict) -> None:
    top = [n["id"] for n in truth["nodes"] if n["parent_id"] is None]
    assert [node["id"] for node in client.get("/marketnavigation").json()["nodes"]] == top


def test_unknown_node_is_404_not_found_node_id(client: ApiClient) -> None:
    answer = client.get("/marketnavigation/hierarchy_v1.nowhere")
    assert (answer.status_code, answer.json()) == (404, {"errorCode": "error.not-found.nodeId"})


def test_markets_without_parameters_lists_every_market(client: ApiClient, truth: dict) -> None:
    assert [m["epic"] for m in client.get("/markets").json()["markets"]] == list(truth["markets"])


def test_epics_list_leaves_unknown_epics_out_and_refuses_more_than_50(client: ApiClient, truth: dict) -> None:
    epics = list(truth["markets"])
    found = client.get("/markets", params={"epics": f"{epics[0]},NOT_A_MARKET,{epics[1]}"}).json()
    assert [d["instrument"]["epic"] for d in found["marketDetails"]] == epics[:2]
    assert client.get("/markets", params={"epics": ",".join(epics[:50])}).status_code == 200
    too_many = client.get("/markets", params={"epics": ",".join(epics[:51])})
    assert (too_many.status_code, too_many.json()) == (400, {"errorCode": "error.invalid.epics"})


def test_search_term_wins_over_epics_and_ignores_case(client: ApiClient) -> None:
    both = client.get("/markets", params={"searchTerm": "SiLvEr", "epics": "GOLD"}).json()
    assert "markets" in both and "marketDetails" not in both
    assert "SILVER" in [m["epic"] for m in both["markets"]]


@pytest.mark.parametrize(
    ("params", "code"), [({"searchTerm": ""}, "error.null.searchTerm"), ({"epics": ""}, "error.null.epic")]
)
def test_empty_search_parameters_are_400(client: ApiClient, params: dict, code: str) -> None:
    answer = client.get("/markets", params=params)
    assert (answer.status_code, answer.json()) == (400, {"errorCode": code})


def test_single_market_is_the_universe_details(client: ApiClient, truth: dict) -> None:
    assert client.get("/markets/SILVER").json() == truth["markets"]["SILVER"]
    missing = client.get("/markets/silver")  # epics are case-sensitive (REFERENCE §2)
    assert (missing.status_code, missing.json()) == (404, {"errorCode": "error.not-found.epic"})


def test_client_sentiment_leaves_unknown_ids_out_and_is_404_when_none_is_known(client: ApiClient) -> None:
    answer = client.get("/clientsentiment", params={"marketIds": "SILVER,NOPE,GOLD"}).json()[
        "clientSentiments"
    ]
    assert [s["marketId"] for s in answer] == ["SILVER", "GOLD"]
    assert all(
        s["longPositionPercentage"] + s["shortPositionPercentage"] == pytest.approx(100) for s in answer
    )
    assert client.get("/clientsentiment", params={"marketIds": "NOPE"}).status_code == 404
    assert client.get("/clientsentiment/SILVER").json() == answer[0]


def test_prices_of_an_unknown_epic_are_404(client: ApiClient) -> None:
    answer = client.get("/prices/NOT_A_MARKET")
    assert (answer.status_code, answer.json()) == (404, {"errorCode": "error.not-found.epic"})
