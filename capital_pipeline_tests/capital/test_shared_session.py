"""One session shared by processes through a locked file: one login per expiry, however many processes."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import pytest

from capital_pipeline.capital import (
    AuthenticationFailed,
    CapitalClient,
    Credentials,
    SharedSessionStore,
    TokenBundle,
)
from capital_pipeline_tests.capital.fake_api import CREDENTIALS, FakeCapital, FakeClock, settings


def process(api: FakeCapital, path: Path) -> CapitalClient:
    """A client as one Dagster step process would build it: its own store object on the shared file."""
    return CapitalClient(
        CREDENTIALS,
        settings(),
        session_store=SharedSessionStore(path),
        transport=api.transport(),
        clock=api.clock,
    )


def logins(api: FakeCapital) -> int:
    return len(api.arrivals("POST /session"))


@pytest.mark.anyio
async def test_the_first_process_logs_in_and_the_others_resume(tmp_path: Path) -> None:
    api = FakeCapital(FakeClock())
    path = tmp_path / "run" / "session.json"
    clients = [process(api, path) for _ in range(4)]
    await asyncio.gather(*(client.accounts() for client in clients))
    assert logins(api) == 1
    assert TokenBundle.from_json(path.read_text()).same_tokens(clients[0].export_session())
    for client in clients:
        await client.aclose()


@pytest.mark.anyio
async def test_the_session_file_is_private(tmp_path: Path) -> None:
    api = FakeCapital(FakeClock())
    path = tmp_path / "run" / "session.json"
    async with process(api, path) as client:
        await client.login()
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


@pytest.mark.anyio
async def test_after_expiry_a_process_adopts_tokens_another_process_already_renewed(tmp_path: Path) -> None:
    api = FakeCapital(FakeClock())
    path = tmp_path / "session.json"
    first, second = process(api, path), process(api, path)
    await first.accounts()
    await second.accounts()
    api.expire_sessions()
    await first.accounts()  # refused, logs in again, rewrites the file
    await second.accounts()  # refused, re-reads the file, adopts the new tokens: no login of its own
    assert logins(api) == 2
    assert second.export_session().same_tokens(first.export_session())
    await first.aclose()
    await second.aclose()


@pytest.mark.anyio
async def test_processes_hitting_one_expiry_together_log_in_once(tmp_path: Path) -> None:
    api = FakeCapital(FakeClock())
    path = tmp_path / "session.json"
    clients = [process(api, path) for _ in range(3)]
    await asyncio.gather(*(client.accounts() for client in clients))
    api.expire_sessions()
    await asyncio.gather(*(client.accounts() for client in clients for _ in range(3)))
    assert logins(api) == 2
    for client in clients:
        await client.aclose()


@pytest.mark.anyio
async def test_a_damaged_session_file_means_a_fresh_login(tmp_path: Path) -> None:
    api = FakeCapital(FakeClock())
    path = tmp_path / "session.json"
    path.write_text("{garbage")
    async with process(api, path) as client:
        await client.accounts()
    assert logins(api) == 1
    assert TokenBundle.from_json(path.read_text()) is not None


@pytest.mark.anyio
async def test_close_logs_the_shared_session_out_and_removes_the_file(tmp_path: Path) -> None:
    api = FakeCapital(FakeClock())
    path = tmp_path / "session.json"
    async with process(api, path) as worker:
        await worker.accounts()
    store = SharedSessionStore(path)
    async with process(api, path) as finisher:
        await store.close(finisher)
    assert len(api.arrivals("DELETE /session")) == 1
    assert api.sessions == {} and not path.exists()
    assert logins(api) == 1


def test_the_store_repr_shows_the_path_and_no_tokens(tmp_path: Path) -> None:
    assert (
        repr(SharedSessionStore(tmp_path / "s.json")) == f"SharedSessionStore({str(tmp_path / 's.json')!r})"
    )


@pytest.mark.anyio
async def test_credentials_refused_once_are_refused_for_every_process_without_another_login(
    tmp_path: Path,
) -> None:
    api = FakeCapital(FakeClock())
    path = tmp_path / "run" / "session.json"
    wrong = Credentials(CREDENTIALS.api_key, CREDENTIALS.identifier, "not-the-password")
    clients = [
        CapitalClient(
            wrong,
            settings(),
            session_store=SharedSessionStore(path),
            transport=api.transport(),
            clock=api.clock,
        )
        for _ in range(3)
    ]
    for client in clients:
        with pytest.raises(AuthenticationFailed, match="CAPITAL_PASSWORD") as raised:
            await client.accounts()
        assert raised.value.error_code == "error.invalid.details"
        await client.aclose()
    assert logins(api) == 1
    assert "not-the-password" not in path.read_text()
