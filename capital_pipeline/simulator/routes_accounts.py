"""Account endpoints: accounts, preferences (read and update), demo top-up, activity and transaction history.

Preferences, positions and history answer for the account of the ``X-SECURITY-TOKEN`` sent.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from capital_pipeline.simulator.history import activity_window, parse_filter, transaction_window
from capital_pipeline.simulator.responses import ApiError, json_response
from capital_pipeline.simulator.routing import ApiRoute, auth_of, json_object, runtime_of

__all__ = ["ROUTES", "TRANSACTION_TYPES"]

# REFERENCE §6, GET /history/transactions `type`.
TRANSACTION_TYPES = frozenset(
    (
        "INACTIVITY_FEE", "RESERVE", "VOID", "UNRESERVE", "WRITE_OFF_OR_CREDIT", "CREDIT_FACILITY",
        "FX_COMMISSION", "COMPLAINT_SETTLEMENT", "DEPOSIT", "WITHDRAWAL", "REFUND", "WITHDRAWAL_MONEY_BACK",
        "TRADE", "SWAP", "TRADE_COMMISSION", "TRADE_COMMISSION_GSL", "NEGATIVE_BALANCE_PROTECTION",
        "TRADE_CORRECTION", "CHARGEBACK", "ADJUSTMENT", "BONUS", "TRANSFER", "CORPORATE_ACTION", "CONVERSION",
        "REBATE", "TRADE_SLIPPAGE_PROTECTION",
    )
)  # fmt: skip
# POST /accounts/topUp bounds (REFERENCE §4): amount within ±400000, a demo balance never above 100000.
TOP_UP_LIMIT = 400000
DEMO_BALANCE_CAP = 100000


async def all_accounts(request: Request) -> Response:
    return json_response({"accounts": list(runtime_of(request).state.accounts.values())})


async def preferences(request: Request) -> Response:
    return json_response(runtime_of(request).state.preferences[auth_of(request).account_id])


async def update_preferences(request: Request) -> Response:
    """``PUT /accounts/preferences``: every leverage must be one the account offers for that type."""
    current = runtime_of(request).state.preferences[auth_of(request).account_id]
    body = await json_object(request)
    leverages = body.get("leverages", {})
    hedging = body.get("hedgingMode", current["hedgingMode"])
    if not isinstance(leverages, dict) or any(
        kind not in current["leverages"] or value not in current["leverages"][kind]["available"]
        for kind, value in leverages.items()
    ):
        raise ApiError(400, "error.invalid.leverage.value")
    if not isinstance(hedging, bool):
        raise ApiError(400, "error.invalid.hedgingMode")
    for kind, value in leverages.items():
        current["leverages"][kind]["current"] = value
    current["hedgingMode"] = hedging
    return json_response({"status": "SUCCESS"})


async def top_up(request: Request) -> Response:
    """``POST /accounts/topUp`` (demo): move the balance, write a DEPOSIT or WITHDRAWAL transaction."""
    state, auth = runtime_of(request).state, auth_of(request)
    amount = (await json_object(request)).get("amount")
    account = state.accounts[auth.account_id]
    balance = account["balance"]
    if (
        isinstance(amount, bool)
        or not isinstance(amount, int | float)
        or abs(amount) > TOP_UP_LIMIT
        or balance["balance"] + amount > DEMO_BALANCE_CAP
    ):
        raise ApiError(400, "error.invalid.amount")
    for key in ("balance", "deposit", "available"):
        balance[key] = round(balance[key] + amount, 2)
    kind = "DEPOSIT" if amount >= 0 else "WITHDRAWAL"
    reference = state.book.new_deal_id().rsplit("-", 1)[1]
    state.book.history.add_transaction(
        auth.account_id,
        state.timezone_offset,
        {
            "transactionType": kind,
            "note": kind.capitalize(),
            "reference": reference,
            "size": str(float(amount)),
            "currency": account["currency"],
        },
    )
    return json_response({"successful": True})


async def activity(request: Request) -> Response:
    """``GET /history/activity``: window, FIQL filter, dealId and detailed view (rules in ``history.py``)."""
    state, auth = runtime_of(request).state, auth_of(request)
    params = dict(request.query_params)
    window = activity_window(params)
    clauses = parse_filter(params.get("filter"))
    detailed = params.get("detailed", "false").lower()
    if detailed not in ("true", "false"):
        raise ApiError(400, "error.invalid.detailed")
    found = state.book.history.activity(
        auth.account_id, window, clauses, params.get("dealId"), detailed == "true"
    )
    return json_response({"activities": found})


async def transactions(request: Request) -> Response:
    """``GET /history/transactions``: window and type (rules in ``history.py``)."""
    state, auth = runtime_of(request).state, auth_of(request)
    params = dict(request.query_params)
    window = transaction_window(params)
    kind = params.get("type")
    if kind is not None and kind not in TRANSACTION_TYPES:
        raise ApiError(400, "error.invalid.type")
    return json_response({"transactions": state.book.history.transactions_of(auth.account_id, window, kind)})


ROUTES = [
    ApiRoute("GET", "/accounts", all_accounts),
    ApiRoute("GET", "/accounts/preferences", preferences),
    ApiRoute("PUT", "/accounts/preferences", update_preferences, editing=True),
    ApiRoute("POST", "/accounts/topUp", top_up, editing=True),
    ApiRoute("GET", "/history/activity", activity),
    ApiRoute("GET", "/history/transactions", transactions),
]
