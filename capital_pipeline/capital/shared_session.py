"""One session shared by every process of a run, through a small locked file.

Dagster runs each step in its own process; without sharing, each would log in (and a second login on the same
account may even end the first session, REFERENCE.md section 3). With a ``SharedSessionStore`` passed to each
process's ``CapitalClient``: the first process that needs a session logs in and writes the token bundle; the
others resume from it; a process refused with an expired session re-reads the file under the lock and adopts
newer tokens if another process already logged in again, and only otherwise logs in and rewrites the file. The
file is 0600 in a 0700 directory; removing it when the run ends is the caller's job (``close``).

Credentials refused at login are recorded in the file too: the other processes of the run then fail with the
same error without sending a login of their own, so a wrong password costs exactly one ``POST /session``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from capital_pipeline.capital.errors import AuthenticationFailed, MalformedResponse
from capital_pipeline.capital.private_files import LockedFile, ensure_private_directory, locked_file
from capital_pipeline.capital.session import TokenBundle

if TYPE_CHECKING:
    from capital_pipeline.capital.client import CapitalClient

__all__ = ["SharedSessionStore"]


_REFUSED = "refused_login"


class _StoredBundle:
    def __init__(self, state: LockedFile) -> None:
        self._state = state

    def read(self) -> TokenBundle | None:
        text = self._state.read_text()
        if not text or _REFUSED in text:
            return None
        try:
            return TokenBundle.from_json(text)
        except MalformedResponse:
            return None  # a damaged file holds no usable session: log in and overwrite it

    def write(self, bundle: TokenBundle) -> None:
        self._state.write_text(bundle.to_json())

    def refusal(self) -> AuthenticationFailed | None:
        """The login refusal another process recorded, as the error it raised."""
        try:
            record = json.loads(self._state.read_text() or "{}")[_REFUSED]
            return AuthenticationFailed(
                record["message"],
                setting=record["setting"],
                status=record["status"],
                error_code=record["error_code"],
                path=record["path"],
            )
        except (ValueError, KeyError, TypeError):
            return None

    def write_refusal(self, error: AuthenticationFailed) -> None:
        # The error's text names the setting and the API's code, never a secret (errors.py).
        message = error.message.removesuffix(f"; check {error.setting}")
        record = {"message": message, "setting": error.setting, "status": error.status}
        record |= {"error_code": error.error_code, "path": error.path}
        self._state.write_text(json.dumps({_REFUSED: record}))


class SharedSessionStore:
    """A token bundle in ``path``, shared by processes under an exclusive ``fcntl`` lock."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        ensure_private_directory(self.path.parent)

    def __repr__(self) -> str:
        return f"SharedSessionStore({str(self.path)!r})"

    @asynccontextmanager
    async def locked(self) -> AsyncIterator[_StoredBundle]:
        """The stored bundle, read and written while this process alone holds the lock."""
        async with locked_file(self.path) as state:
            yield _StoredBundle(state)

    def remove(self) -> None:
        """Delete the file (the session itself stays alive until it expires or is logged out)."""
        self.path.unlink(missing_ok=True)

    async def close(self, client: CapitalClient | None = None) -> None:
        """End the run's session: log out through ``client`` if given (it resumes this file), then remove."""
        if client is not None:
            await client.logout()
        self.remove()
