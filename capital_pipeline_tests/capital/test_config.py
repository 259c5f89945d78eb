"""Environments, base URLs, credentials and settings are validated before any request."""

from __future__ import annotations

import httpx
import pytest

from capital_pipeline.capital import CapitalClient, ClientSettings, ConfigurationError, Credentials
from capital_pipeline.capital.config import DEMO_URL, LIVE_URL, resolve_base_url
from capital_pipeline_tests.capital.fake_api import CREDENTIALS


@pytest.mark.parametrize(
    ("given", "resolved"),
    [
        ("demo", DEMO_URL),
        ("LIVE", LIVE_URL),
        ("https://demo-api-capital.backend-capital.com/api/v1", DEMO_URL),
        ("https://demo-api-capital.backend-capital.com/api/v1/", DEMO_URL),
        ("http://127.0.0.1:8123", "http://127.0.0.1:8123"),
        ("http://127.5.6.7:80/api/v1", "http://127.5.6.7"),
        ("http://localhost:9000", "http://localhost:9000"),
        ("http://[::1]:9000", "http://[::1]:9000"),
    ],
)
def test_environment_names_and_urls_resolve_to_scheme_host_port(given: str, resolved: str) -> None:
    assert resolve_base_url(given) == resolved


@pytest.mark.parametrize(
    "given",
    [
        "http://demo-api-capital.backend-capital.com",  # the password would cross the network in clear
        "http://10.0.0.5:8000",
        "ftp://127.0.0.1",
        "staging",
        "https://example.com/other/prefix",
        "https://user:pw@example.com",
    ],
)
def test_unsafe_or_unusable_base_urls_are_configuration_errors(given: str) -> None:
    with pytest.raises(ConfigurationError):
        resolve_base_url(given)


def test_plain_http_to_a_remote_host_fails_before_any_request() -> None:
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda request: sent.append(request) or httpx.Response(200))
    with pytest.raises(ConfigurationError):
        CapitalClient(CREDENTIALS, ClientSettings("http://api.example.com"), transport=transport)
    assert sent == []


def test_credentials_repr_hides_api_key_and_password() -> None:
    text = repr(Credentials("api-key-secret", "me@example.com", "hunter2-password"))
    assert "api-key-secret" not in text and "hunter2-password" not in text and "me@example.com" in text


def test_credentials_from_env_names_the_missing_variables() -> None:
    with pytest.raises(ConfigurationError, match="CAPITAL_PASSWORD"):
        Credentials.from_env({"CAPITAL_API_KEY": "k", "CAPITAL_IDENTIFIER": "me"})
    loaded = Credentials.from_env(
        {"CAPITAL_API_KEY": "k", "CAPITAL_IDENTIFIER": "me", "CAPITAL_PASSWORD": "p"}
    )
    assert loaded == Credentials("k", "me", "p")


def test_api_key_fingerprint_does_not_contain_the_key() -> None:
    fingerprint = Credentials("api-key-secret", "me", "p").api_key_fingerprint
    assert "api-key-secret" not in fingerprint and len(fingerprint) == 20


@pytest.mark.parametrize(
    "overrides",
    [
        {"requests_per_second": 0},
        {"max_attempts": 0},
        {"rate_margin": -0.1},
        {"session_refresh_margin": 700.0},
    ],
)
def test_impossible_settings_are_refused(overrides: dict) -> None:
    with pytest.raises(ConfigurationError):
        ClientSettings("demo", **overrides)


def test_timeout_and_backoff_come_from_their_variables_when_not_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CAPITAL_TIMEOUT_SECONDS", "2.5")
    monkeypatch.setenv("CAPITAL_RETRY_BACKOFF_SECONDS", "0.05")
    settings = ClientSettings("http://127.0.0.1:1")
    assert (settings.timeout, settings.backoff_base) == (2.5, 0.05)
    assert ClientSettings("http://127.0.0.1:1", timeout=7.0).timeout == 7.0


def test_a_timeout_variable_that_is_not_a_number_names_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAPITAL_TIMEOUT_SECONDS", "soon")
    with pytest.raises(ConfigurationError, match="CAPITAL_TIMEOUT_SECONDS"):
        ClientSettings("http://127.0.0.1:1")


def test_the_plain_http_refusal_says_the_login_would_cross_the_network_in_clear() -> None:
    with pytest.raises(ConfigurationError, match="in clear; use an https:// URL"):
        resolve_base_url("http://capital.example.com")


@pytest.mark.parametrize("blank", ["", "   ", "\t"])
def test_a_blank_api_key_is_refused_before_any_request(blank: str) -> None:
    with pytest.raises(ConfigurationError, match="CAPITAL_API_KEY is empty"):
        Credentials(blank, "me@example.com", "password")
