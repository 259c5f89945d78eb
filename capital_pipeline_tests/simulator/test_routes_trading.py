"""Positions, working orders, confirms, preferences and top-ups in the simulator's own book."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from capital_pipeline_tests.simulator.conftest import ApiClient

BUY_SILVER = {"epic": "SILVER", "direction": "BUY", "size": 1}


def _other_account_tokens(client: ApiClient) -> dict[str, str]:
    current = client.get("/session").json()["accountId"]
    other = next(
        a["accountId"] for a in client.get("/accounts").json()["accounts"] if a["accountId"] != current
    )
    switched = client.request("PUT", "/session", json={"accountId": other})
    return {"CST": switched.headers["CST"], "X-SECURITY-TOKEN": switched.headers["X-SECURITY-TOKEN"]}


def test_position_lifecycle_confirms_and_writes_history(client: ApiClient) -> None:
    reference = client.request("POST", "/positions", json=BUY_SILVER).json()["dealReference"]
    confirm = client.get(f"/confirms/{reference}").json()
    deal_id = confirm["affectedDeals"][0]["dealId"]
    assert (confirm["dealStatus"], confirm["status"], confirm["affectedDeals"][0]["status"]) == (
        "ACCEPTED",
        "OPEN",
        "OPENED",
    )
    position = client.get(f"/positions/{deal_id}").json()
    assert (
        position["position"]["workingOrderId"] == confirm["dealId"] and position["market"]["epic"] == "SILVER"
    )
    level = position["position"]["level"]
    amended = client.request("PUT", f"/positions/{deal_id}", json={"stopLevel": round(level * 0.9, 3)}).json()
    assert amended == {"dealReference": f"p_{deal_id}"}
    assert client.get(f"/positions/{deal_id}").json()["position"]["stopLevel"] == round(level * 0.9, 3)
    assert client.request("DELETE", f"/positions/{deal_id}").json() == {"dealReference": f"p_{deal_id}"}
    assert client.get(f"/confirms/p_{deal_id}").json()["affectedDeals"][0]["status"] == "FULLY_CLOSED"
    assert client.get(f"/positions/{deal_id}").json() == {"errorCode": "error.not-found.dealId"}
    activity = client.get("/history/activity", params={"dealId": deal_id}).json()["activities"]
    assert [a["type"] for a in activity] == ["POSITION", "EDIT_STOP_AND_LIMIT", "POSITION"]
    trades = client.get("/history/transactions", params={"type": "TRADE"}).json()["transactions"]
    assert trades[0]["instrumentName"] == "SILVER" and isinstance(trades[0]["size"], str)


def test_positions_belong_to_the_account_of_the_token(client: ApiClient) -> None:
    reference = client.request("POST", "/positions", json=BUY_SILVER).json()["dealReference"]
    deal_id = client.get(f"/confirms/{reference}").json()["affectedDeals"][0]["dealId"]
    other = _other_account_tokens(client)
    assert deal_id not in {
        p["position"]["dealId"] for p in client.get("/positions", headers=other).json()["positions"]
    }
    assert client.get(f"/positions/{deal_id}", headers=other).status_code == 404
    assert client.get(f"/positions/{deal_id}").status_code == 200


def test_new_deals_are_checked_against_the_market(client: ApiClient) -> None:
    cases = [
        ({"epic": "NOPE", "direction": "BUY", "size": 1}, 404, "error.not-found.epic"),
        ({"epic": "SILVER", "direction": "HOLD", "size": 1}, 400, "error.invalid.direction"),
        ({"epic": "SILVER", "direction": "BUY"}, 400, "error.null.size"),
        ({"epic": "SILVER", "direction": "BUY", "size": 0.001}, 400, "error.invalid.size.minvalue"),
        (
            {"epic": "SILVER", "direction": "BUY", "size": 1, "stopLevel": 0.01},
            400,
            "error.invalid.stoploss.minvalue",
        ),
    ]
    for body, status, code in cases:
        answer = client.request("POST", "/positions", json=body)
        assert (answer.status_code, answer.json()["errorCode"].split(":")[0]) == (status, code)


def test_working_orders_show_cancellation_dates_only_when_set(client: ApiClient) -> None:
    future = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%S")
    order = {"epic": "SILVER", "direction": "BUY", "size": 1, "level": 20, "type": "LIMIT"}
    gtc = client.request("POST", "/workingorders", json=order).json()["dealReference"]
    gtd = client.request("POST", "/workingorders", json=order | {"goodTillDate": future, "stopDistance": 2})
    orders = {
        o["workingOrderData"]["dealId"]: o["workingOrderData"]
        for o in client.get("/workingorders").json()["workingOrders"]
    }
    gtc_order = orders[client.get(f"/confirms/{gtc}").json()["dealId"]]
    gtd_order = orders[client.get(f"/confirms/{gtd.json()['dealReference']}").json()["dealId"]]
    assert gtc_order["timeInForce"] == "GOOD_TILL_CANCELLED" and "goodTillDate" not in gtc_order
    assert gtd_order["timeInForce"] == "GOOD_TILL_DATE" and gtd_order["goodTillDateUTC"].startswith(future)
    assert gtd_order["stopDistance"] == 2 and "stopDistance" not in gtc_order
    deleted = client.request("DELETE", f"/workingorders/{gtc_order['dealId']}")
    assert client.get(f"/confirms/{deleted.json()['dealReference']}").json()["status"] == "DELETED"


def test_working_order_errors(client: ApiClient) -> None:
    order = {"epic": "SILVER", "direction": "BUY", "size": 1, "level": 20, "type": "LIMIT"}
    cases = [
        (order | {"goodTillDate": "2020-06-09T01:01:00"}, "error.not-in-future.goodTillDate"),
        (order | {"goodTillDate": "tomorrow"}, "error.invalid.goodTillDate"),
        (order | {"type": "MARKET"}, "error.invalid.type"),
        ({k: v for k, v in order.items() if k != "level"}, "error.null.level"),
    ]
    for body, code in cases:
        assert client.request("POST", "/workingorders", json=body).json() == {"errorCode": code}


def test_rejected_order_amendment_leaves_the_order_unchanged(client: ApiClient) -> None:
    order = {"epic": "SILVER", "direction": "BUY", "size": 1, "level": 20, "type": "LIMIT"}
    reference = client.request("POST", "/workingorders", json=order).json()["dealReference"]
    deal_id = client.get(f"/confirms/{reference}").json()["dealId"]
    refused = client.request("PUT", f"/workingorders/{deal_id}", json={"level": 25, "stopLevel": 1})
    assert refused.status_code == 400
    orders = client.get("/workingorders").json()["workingOrders"]
    assert (
        next(o for o in orders if o["workingOrderData"]["dealId"] == deal_id)["workingOrderData"][
            "orderLevel"
        ]
        == 20
    )


def test_preferences_update_checks_offered_leverages_and_applies_to_new_positions(client: ApiClient) -> None:
    offered = client.get("/accounts/preferences").json()["leverages"]["COMMODITIES"]["available"]
    refused = client.request("PUT", "/accounts/preferences", json={"leverages": {"COMMODITIES": 600}})
    assert (refused.status_code, refused.json()) == (400, {"errorCode": "error.invalid.leverage.value"})
    assert (
        client.request(
            "PUT", "/accounts/preferences", json={"leverages": {"COMMODITIES": offered[0]}}
        ).status_code
        == 200
    )
    reference = client.request("POST", "/positions", json=BUY_SILVER).json()["dealReference"]
    deal_id = client.get(f"/confirms/{reference}").json()["affectedDeals"][0]["dealId"]
    assert client.get(f"/positions/{deal_id}").json()["position"]["leverage"] == offered[0]


def test_top_up_moves_the_balance_within_the_demo_bounds(client: ApiClient) -> None:
    before = client.get("/accounts").json()["accounts"][0]["balance"]["balance"]
    assert client.request("POST", "/accounts/topUp", json={"amount": 100}).json() == {"successful": True}
    assert client.get("/accounts").json()["accounts"][0]["balance"]["balance"] == round(before + 100, 2)
    assert client.request("POST", "/accounts/topUp", json={"amount": 500000}).json() == {
        "errorCode": "error.invalid.amount"
    }
    deposits = client.get("/history/transactions", params={"type": "DEPOSIT"}).json()["transactions"]
    assert deposits[0]["size"] == "100.0" and "instrumentName" not in deposits[0]
