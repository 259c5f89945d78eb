"""The resources' settings (``resources.py``): unset ones come from their environment variables when a step
runs, and a bad value is refused in words naming the variable."""

from __future__ import annotations

from typing import Any

import pytest

from capital_pipeline.capital import ConfigurationError
from capital_pipeline.defs.resources import CapitalApiResource, WarehouseResource
from capital_pipeline.warehouse import DEFAULT_LOCK_TIMEOUT, Warehouse

LOGIN = {"api_key": "key", "identifier": "me@example.com", "password": "secret"}


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The arguments the warehouse is opened with (nothing is opened)."""
    seen: dict[str, Any] = {}
    monkeypatch.setattr(Warehouse, "from_url", classmethod(lambda cls, url, **kwargs: seen.update(kwargs)))
    return seen


def test_lock_timeout_comes_from_its_variable_unless_configured(
    monkeypatch: pytest.MonkeyPatch, opened: dict[str, Any]
) -> None:
    monkeypatch.delenv("CAPITAL_PIPELINE_LOCK_TIMEOUT_SECONDS", raising=False)
    WarehouseResource().warehouse()
    assert opened["lock_timeout"] == DEFAULT_LOCK_TIMEOUT
    monkeypatch.setenv("CAPITAL_PIPELINE_LOCK_TIMEOUT_SECONDS", "3")
    WarehouseResource().warehouse()
    assert opened["lock_timeout"] == 3.0
    WarehouseResource(lock_timeout_seconds=7).warehouse()
    assert opened["lock_timeout"] == 7.0


def test_a_bad_lock_timeout_variable_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, opened: dict[str, Any]
) -> None:
    monkeypatch.setenv("CAPITAL_PIPELINE_LOCK_TIMEOUT_SECONDS", "soon")
    with pytest.raises(ConfigurationError, match="CAPITAL_PIPELINE_LOCK_TIMEOUT_SECONDS must be a number"):
        WarehouseResource().warehouse()
    assert opened == {}


@pytest.mark.parametrize("value", ["abc", "0", "-5", "2.5"])
def test_a_bad_request_rate_variable_is_refused_by_name(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CAPITAL_REQUESTS_PER_SECOND", value)
    with pytest.raises(ConfigurationError, match="CAPITAL_REQUESTS_PER_SECOND must be a whole number"):
        CapitalApiResource(**LOGIN).client_settings()


def test_request_rate_comes_from_its_variable_unless_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAPITAL_REQUESTS_PER_SECOND", raising=False)
    assert CapitalApiResource(**LOGIN).client_settings().requests_per_second == 10
    monkeypatch.setenv("CAPITAL_REQUESTS_PER_SECOND", "20")
    assert CapitalApiResource(**LOGIN).client_settings().requests_per_second == 20
    assert CapitalApiResource(**LOGIN, requests_per_second=5).client_settings().requests_per_second == 5
