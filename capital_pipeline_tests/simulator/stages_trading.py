"""Staging the examples of the position, working order and confirmation requests."""

from __future__ import annotations

import httpx

from capital_pipeline_tests.simulator.staging import MOVED_EPIC, MOVED_LEVELS, Stage, stage


# Positions -----------------------------------------------------------------------------------------
@stage("All positions", "Successful response", "open positions closed, then one opened")
def _positions(s: Stage) -> httpx.Response:
    s.close_all_positions()
    s.open_position()
    return s.send("GET", "/positions")


@stage("Single position", "Successful response", "a position opened first")
def _position(s: Stage) -> httpx.Response:
    deal_id, _ = s.open_position()
    return s.send("GET", f"/positions/{deal_id}")


_UNKNOWN_DEAL = "006011e7-0001-54c4-0000-000080560069"


@stage("Single position", "Error: Position not found")
def _position_unknown(s: Stage) -> httpx.Response:
    return s.send("GET", f"/positions/{_UNKNOWN_DEAL}")


@stage("Create position", "Success: Create simple position", MOVED_EPIC)
def _create_position(s: Stage) -> httpx.Response:
    return s.send("POST", "/positions", json={"epic": s.epic, "direction": "BUY", "size": 1})


@stage(
    "Create position",
    "Success: Create position with stop loss, take profit and guaranteed stop",
    MOVED_LEVELS,
)
def _create_position_protected(s: Stage) -> httpx.Response:
    levels = {
        "guaranteedStop": True,
        "stopLevel": round(s.price * 0.8, 2),
        "profitLevel": round(s.price * 1.1, 2),
    }
    return s.send("POST", "/positions", json={"epic": s.epic, "direction": "BUY", "size": 1} | levels)


@stage("Create position", "Error: Too small stop loss value", MOVED_EPIC)
def _create_position_low_stop(s: Stage) -> httpx.Response:
    return s.send("POST", "/positions", json={"epic": s.epic, "direction": "BUY", "size": 1, "stopLevel": 1})


@stage("Create position", "Error: Too high take profit value", MOVED_LEVELS)
def _create_position_high_profit(s: Stage) -> httpx.Response:
    body = {"epic": s.epic, "direction": "BUY", "size": 1, "profitLevel": s.price * 10}
    return s.send("POST", "/positions", json=body)


_AMENDMENT = {"guaranteedStop": True, "stopDistance": 3, "profitAmount": 2}


@stage(
    "Update position", "Success: Update stop loss, take profit and guaranteed stop", "a position opened first"
)
def _update_position(s: Stage) -> httpx.Response:
    deal_id, _ = s.open_position()
    distance = round(s.price * 0.1, 2)
    return s.send("PUT", f"/positions/{deal_id}", json=_AMENDMENT | {"stopDistance": distance})


@stage("Update position", "Error: Too high stop loss value", "a position opened first; " + MOVED_LEVELS)
def _update_position_high_stop(s: Stage) -> httpx.Response:
    deal_id, _ = s.open_position()
    return s.send("PUT", f"/positions/{deal_id}", json={"stopLevel": s.price * 10})


@stage("Update position", "Error: Too low take profit value", "a position opened first")
def _update_position_low_profit(s: Stage) -> httpx.Response:
    deal_id, _ = s.open_position()
    return s.send("PUT", f"/positions/{deal_id}", json={"profitLevel": 1})


@stage("Update position", "Error: Position not found")
def _update_position_unknown(s: Stage) -> httpx.Response:
    return s.send("PUT", f"/positions/{_UNKNOWN_DEAL}", json=_AMENDMENT)


@stage("Close position", "Successful response", "a position opened first")
def _close_position(s: Stage) -> httpx.Response:
    deal_id, _ = s.open_position()
    return s.send("DELETE", f"/positions/{deal_id}")


@stage("Close position", "Error: Position not found")
def _close_position_unknown(s: Stage) -> httpx.Response:
    return s.send("DELETE", "/positions/006011e7-0001-54c4-0000-000080560068")


# Working orders ------------------------------------------------------------------------------------
@stage("All working orders", "Successful response", "an order with cancellation date, stop and profit first")
def _orders(s: Stage) -> httpx.Response:
    level = s.order_body()["level"]
    s.create_order(
        goodTillDate=s.future(), stopLevel=round(level * 0.9, 2), profitLevel=round(level * 1.1, 2)
    )
    return s.send("GET", "/workingorders")


@stage("Create working order", "Success: Create limit order", MOVED_LEVELS)
def _create_order(s: Stage) -> httpx.Response:
    return s.send("POST", "/workingorders", json=s.order_body())


@stage(
    "Create working order",
    "Success: Create order with stop loss, take profit, guaranteed stop and cancellation date",
    MOVED_LEVELS + "; cancellation date moved into the future",
)
def _create_order_protected(s: Stage) -> httpx.Response:
    level = s.order_body()["level"]
    protection = {"stopLevel": round(level * 0.85, 2), "profitLevel": round(level * 1.15, 2)}
    body = s.order_body(goodTillDate=s.future(), guaranteedStop=True, **protection)
    return s.send("POST", "/workingorders", json=body)


@stage("Create working order", "Error: Cancellation date in the past", MOVED_EPIC)
def _create_order_past(s: Stage) -> httpx.Response:
    return s.send("POST", "/workingorders", json=s.order_body(goodTillDate="2020-06-09T01:01:00"))


_ORDER_AMENDMENT = {"guaranteedStop": True, "stopDistance": 4, "profitDistance": 4}


@stage(
    "Update working order",
    "Success: Update stop loss, take profit, guaranteed stop and cancellation date",
    "an order created first; cancellation date moved into the future",
)
def _update_order(s: Stage) -> httpx.Response:
    deal_id = s.create_order()
    return s.send("PUT", f"/workingorders/{deal_id}", json=_ORDER_AMENDMENT | {"goodTillDate": s.future()})


@stage("Update working order", "Error: Order not found")
def _update_order_unknown(s: Stage) -> httpx.Response:
    body = _ORDER_AMENDMENT | {"goodTillDate": s.future()}
    return s.send("PUT", f"/workingorders/{_UNKNOWN_DEAL}", json=body)


@stage("Delete working order", "Successful response", "an order created first")
def _delete_order(s: Stage) -> httpx.Response:
    return s.send("DELETE", f"/workingorders/{s.create_order()}")


@stage("Delete working order", "Error: Order not found")
def _delete_order_unknown(s: Stage) -> httpx.Response:
    return s.send("DELETE", f"/workingorders/{_UNKNOWN_DEAL}")


@stage("Position/Order confirmation", "Successful response", "a position opened first")
def _confirm(s: Stage) -> httpx.Response:
    _, reference = s.open_position()
    return s.send("GET", f"/confirms/{reference}")


@stage("Position/Order confirmation", "Error: Deal confirmation not found")
def _confirm_unknown(s: Stage) -> httpx.Response:
    return s.send("GET", "/confirms/o_fcc7e6c0-c150-48aa-bf66-d6c6da071f2b")
