"""Login (plain or encrypted), the token model, session lifetimes (``sessions.py``, ``routes_session.py``)."""

from __future__ import annotations

import base64
import json
import re
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from capital_pipeline.simulator.config import SimulatorUser
from capital_pipeline.simulator.responses import ApiError
from capital_pipeline.simulator.sessions import SessionStore
from capital_pipeline_tests.simulator.conformance import COLLECTION
from capital_pipeline_tests.simulator.conftest import ApiClient, encrypt_password

DOCS_TIMESTAMP = 1647440528194
DOCS_PASSWORD = "1111qqqq"


def _docs_example_key() -> str:
    """The worked example's key, quoted in the collection's description (REFERENCE §5)."""
    description = json.loads(COLLECTION.read_text())["info"]["description"]
    found = re.search(r'encryptionKey = "([A-Za-z0-9+/=]+)"', description)
    assert found is not None
    return found.group(1)


def test_docs_example_key_is_rsa_2048_and_encrypts_to_the_documented_length() -> None:
    key = serialization.load_der_public_key(base64.b64decode(_docs_example_key()))
    assert isinstance(key, rsa.RSAPublicKey)
    assert (key.key_size, key.public_numbers().e) == (2048, 65537)
    assert (
        base64.b64encode(f"{DOCS_PASSWORD}|{DOCS_TIMESTAMP}".encode()) == b"MTExMXFxcXF8MTY0NzQ0MDUyODE5NA=="
    )
    assert len(encrypt_password(_docs_example_key(), DOCS_TIMESTAMP, DOCS_PASSWORD)) == 344


def test_encryption_key_endpoint_serves_a_real_rsa_2048_key_and_a_fresh_timestamp(client: ApiClient) -> None:
    answer = client.get(
        "/session/encryptionKey", headers={"X-CAP-API-KEY": client.simulator.credentials.api_key}
    )
    key = serialization.load_der_public_key(base64.b64decode(answer.json()["encryptionKey"]))
    assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 2048
    assert abs(answer.json()["timeStamp"] - time.time() * 1000) < 60_000


def _encrypted(client: ApiClient, password: str, *, age_ms: int = 0) -> str:
    key = client.get(
        "/session/encryptionKey", headers={"X-CAP-API-KEY": client.simulator.credentials.api_key}
    )
    return encrypt_password(key.json()["encryptionKey"], key.json()["timeStamp"] - age_ms, password)


@pytest.mark.parametrize("flag", [True, "true", "TRUE"])
def test_password_encrypted_as_documented_logs_in(client: ApiClient, flag: bool | str) -> None:
    password = _encrypted(client, client.simulator.credentials.password)
    answer = client.login(password=password, encryptedPassword=flag)
    assert answer.status_code == 200
    assert answer.headers["CST"] and answer.headers["X-SECURITY-TOKEN"]


def test_plain_password_logs_in_with_encrypted_password_false_as_a_string(client: ApiClient) -> None:
    assert client.login(encryptedPassword="false").status_code == 200


@pytest.mark.parametrize(
    "case",
    ["wrong password", "stale timestamp", "not encrypted at all"],
)
def test_bad_encrypted_passwords_are_invalid_details(client: ApiClient, case: str) -> None:
    password = {
        "wrong password": lambda: _encrypted(client, "not-the-password"),
        "stale timestamp": lambda: _encrypted(client, client.simulator.credentials.password, age_ms=61_000),
        "not encrypted at all": lambda: client.simulator.credentials.password,
    }[case]()
    answer = client.login(password=password, encryptedPassword=True)
    assert (answer.status_code, answer.json()) == (401, {"errorCode": "error.invalid.details"})


def test_missing_unknown_and_expired_api_keys_get_the_reference_errors(start_simulator, api_client) -> None:
    simulator = start_simulator(login_rate_limit=100)
    api = api_client(simulator)
    body = {"identifier": simulator.credentials.identifier, "password": simulator.credentials.password}
    missing = api.http.post("/session", json=body)
    unknown = api.http.post("/session", json=body, headers={"X-CAP-API-KEY": "someone-else"})
    key_missing = api.http.get("/session/encryptionKey")
    simulator.set_config(api_key_expired=True)
    expired = api.login()
    assert (missing.status_code, missing.json()["errorCode"]) == (400, "error.null.api.key")
    assert (key_missing.status_code, key_missing.json()["errorCode"]) == (400, "error.null.api.key")
    assert (unknown.status_code, unknown.json()["errorCode"]) == (401, "error.invalid.api.key")
    assert (expired.status_code, expired.json()["errorCode"]) == (401, "error.invalid.api.key")


def test_wrong_identifier_or_password_is_invalid_details(client: ApiClient) -> None:
    for changes in ({"password": "wrong"}, {"identifier": "other@example.test"}):
        answer = client.login(**changes)
        assert (answer.status_code, answer.json()) == (401, {"errorCode": "error.invalid.details"})


def test_missing_tokens_are_400_and_unknown_tokens_401(client: ApiClient) -> None:
    cst, token = client.tokens["CST"], client.tokens["X-SECURITY-TOKEN"]
    no_cst = client.get("/ping", headers={"X-SECURITY-TOKEN": token})
    no_token = client.get("/ping", headers={"CST": cst})
    wrong_token = client.get("/ping", headers={"CST": cst, "X-SECURITY-TOKEN": "forged"})
    wrong_cst = client.get("/ping", headers={"CST": "forged", "X-SECURITY-TOKEN": token})
    assert (no_cst.status_code, no_cst.json()["errorCode"]) == (400, "error.null.client.token")
    assert (no_token.status_code, no_token.json()["errorCode"]) == (400, "error.null.security.token")
    for answer in (wrong_token, wrong_cst):
        assert (answer.status_code, answer.json()["errorCode"]) == (401, "error.invalid.session.token")


def test_authenticated_answers_echo_both_tokens(client: ApiClient) -> None:
    answer = client.get("/accounts")
    assert answer.headers["CST"] == client.tokens["CST"]
    assert answer.headers["X-SECURITY-TOKEN"] == client.tokens["X-SECURITY-TOKEN"]


def test_switch_issues_a_new_token_and_earlier_tokens_keep_their_account(client: ApiClient) -> None:
    first = dict(client.tokens)
    first_account = client.get("/session").json()["accountId"]
    accounts = [a["accountId"] for a in client.get("/accounts").json()["accounts"]]
    other = next(account for account in accounts if account != first_account)
    switched = client.request("PUT", "/session", json={"accountId": other})
    second = {"CST": switched.headers["CST"], "X-SECURITY-TOKEN": switched.headers["X-SECURITY-TOKEN"]}
    assert switched.status_code == 200 and second["CST"] == first["CST"]
    assert second["X-SECURITY-TOKEN"] != first["X-SECURITY-TOKEN"]
    assert client.get("/session", headers=first).json()["accountId"] == first_account
    assert client.get("/session", headers=second).json()["accountId"] == other


def test_with_the_session_scope_knob_a_switch_moves_every_token_of_the_session(
    start_simulator, api_client
) -> None:
    simulator = start_simulator()
    client = api_client(simulator)
    client.login()
    simulator.set_config(account_switch_scope="session")
    first = dict(client.tokens)
    first_account = client.get("/session").json()["accountId"]
    accounts = [a["accountId"] for a in client.get("/accounts").json()["accounts"]]
    other = next(account for account in accounts if account != first_account)
    switched = client.request("PUT", "/session", json={"accountId": other})
    assert switched.status_code == 200
    assert switched.headers["X-SECURITY-TOKEN"] == first["X-SECURITY-TOKEN"]
    assert client.get("/session", headers=first).json()["accountId"] == other
    back = client.request("PUT", "/session", json={"accountId": first_account}, headers=first)
    assert back.status_code == 200
    assert client.get("/session", headers=first).json()["accountId"] == first_account


def test_switch_to_the_same_or_an_unknown_account_is_refused(client: ApiClient) -> None:
    current = client.get("/session").json()["accountId"]
    same = client.request("PUT", "/session", json={"accountId": current})
    unknown = client.request("PUT", "/session", json={"accountId": "0000000000001"})
    assert (same.status_code, same.json()["errorCode"]) == (400, "error.not-different.accountId")
    assert (unknown.status_code, unknown.json()["errorCode"]) == (400, "error.invalid.accountId")


def test_logout_ends_every_token_of_the_session(client: ApiClient) -> None:
    first = dict(client.tokens)
    current = client.get("/session").json()["accountId"]
    accounts = [a["accountId"] for a in client.get("/accounts").json()["accounts"]]
    switched = client.request(
        "PUT", "/session", json={"accountId": next(a for a in accounts if a != current)}
    )
    second = {"CST": first["CST"], "X-SECURITY-TOKEN": switched.headers["X-SECURITY-TOKEN"]}
    assert client.request("DELETE", "/session").json() == {"status": "SUCCESS"}
    for tokens in (first, second):
        assert client.get("/ping", headers=tokens).json()["errorCode"] == "error.invalid.session.token"


def test_session_dies_after_idle_time_but_use_keeps_it_alive(start_simulator, api_client) -> None:
    api = api_client(start_simulator(session_idle_seconds=0.6))
    api.login()
    for _ in range(4):
        time.sleep(0.3)
        assert api.get("/ping").status_code == 200
    time.sleep(0.9)
    assert api.get("/ping").json() == {"errorCode": "error.invalid.session.token"}
    assert api.get("/ping").status_code == 401


def test_session_dies_at_the_hard_cap_despite_use(start_simulator, api_client) -> None:
    api = api_client(start_simulator(session_idle_seconds=60, session_max_seconds=1.0))
    api.login()
    assert api.get("/ping").status_code == 200
    time.sleep(0.6)
    assert api.get("/ping").status_code == 200
    time.sleep(0.6)
    assert api.get("/ping").json() == {"errorCode": "error.invalid.session.token"}


def test_second_login_keeps_earlier_sessions_unless_the_knob_is_set(start_simulator, api_client) -> None:
    simulator = start_simulator(login_rate_limit=100)
    first, second = api_client(simulator), api_client(simulator)
    first.login()
    second.login()
    assert first.get("/ping").status_code == 200
    simulator.set_config(single_session_per_user=True)
    second.login()
    assert first.get("/ping").json() == {"errorCode": "error.invalid.session.token"}
    assert second.get("/ping").status_code == 200


def test_session_store_checks_idle_and_hard_limits_against_the_given_clock() -> None:
    store = SessionStore()
    opened = store.open(SimulatorUser(), "A1", now=100.0, single_session=False)
    cst, token = opened.session.cst, opened.security_token
    assert store.authenticate(cst, token, now=105.0, idle=10, lifetime=30).account_id == "A1"
    assert store.authenticate(cst, token, now=114.0, idle=10, lifetime=30).account_id == "A1"
    with pytest.raises(ApiError, match=r"error\.invalid\.session\.token"):
        store.authenticate(cst, token, now=131.0, idle=60, lifetime=30)
    again = store.open(SimulatorUser(), "A1", now=200.0, single_session=False)
    with pytest.raises(ApiError, match=r"error\.invalid\.session\.token"):
        store.authenticate(again.session.cst, again.security_token, now=210.5, idle=10, lifetime=30)


def test_secrets_stay_out_of_reprs() -> None:
    user = SimulatorUser(api_key="key-123", identifier="me@example.test", password="pw-456")
    opened = SessionStore().open(user, "A1", now=0.0, single_session=False)
    text = repr(user) + repr(opened) + repr(opened.session)
    assert "key-123" not in text and "pw-456" not in text
    assert opened.session.cst not in text and opened.security_token not in text
