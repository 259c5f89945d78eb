"""Small state files that only their owner can read, locked with ``fcntl`` for use by several processes.

Shared by the file-backed rate limiters and the shared session store: a directory 0700, files 0600, never
followed through a symlink, and an exclusive ``flock`` taken by polling so the event loop never blocks on it.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import stat
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

from capital_pipeline.capital.errors import ConfigurationError

__all__ = ["LockedFile", "ensure_private_directory", "locked_file"]

# Holders keep the lock for microseconds (a limiter) or one login (a session store): a short poll is enough.
_LOCK_POLL_SECONDS = 0.002


def _check_owned(status: os.stat_result, path: Path) -> None:
    if status.st_uid != os.geteuid():
        raise ConfigurationError(f"{path} belongs to another user")


def ensure_private_directory(directory: Path) -> Path:
    """Create ``directory`` as 0700, and any parents it lacks, or tighten an existing one we own to 0700.

    Parents made here are 0700 too (``mkdir(parents=True)`` would give them the umask's 0755): the state
    folder a user names holds every run's folder. Parents that already exist are left as they are."""
    missing: list[Path] = []
    current = directory
    while not os.path.lexists(current) and current != current.parent:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        # FileExistsError: another process made it first; the leaf is checked below.
        with suppress(FileExistsError):
            path.mkdir(mode=0o700)
    status = os.lstat(directory)
    if not stat.S_ISDIR(status.st_mode):
        raise ConfigurationError(f"{directory} is not a directory")
    _check_owned(status, directory)
    if stat.S_IMODE(status.st_mode) != 0o700:
        os.chmod(directory, 0o700)
    return directory


class LockedFile:
    """An open state file while its exclusive lock is held."""

    def __init__(self, descriptor: int) -> None:
        self._descriptor = descriptor

    def read_bytes(self) -> bytes:
        """The whole file (b'' when new)."""
        os.lseek(self._descriptor, 0, os.SEEK_SET)
        chunks = []
        while chunk := os.read(self._descriptor, 65536):
            chunks.append(chunk)
        return b"".join(chunks)

    def read_text(self) -> str:
        """The whole file ('' when new)."""
        return self.read_bytes().decode("utf-8", errors="replace")

    def write_bytes(self, data: bytes) -> None:
        """Replace the file's content."""
        os.lseek(self._descriptor, 0, os.SEEK_SET)
        os.ftruncate(self._descriptor, 0)
        os.write(self._descriptor, data)

    def write_text(self, text: str) -> None:
        """Replace the file's content."""
        self.write_bytes(text.encode("utf-8"))

    def append_bytes(self, data: bytes) -> None:
        """Add ``data`` at the end."""
        os.lseek(self._descriptor, 0, os.SEEK_END)
        os.write(self._descriptor, data)

    def write_at(self, offset: int, data: bytes) -> None:
        """Overwrite ``len(data)`` bytes at ``offset``."""
        os.pwrite(self._descriptor, data, offset)


@asynccontextmanager
async def locked_file(path: Path) -> AsyncIterator[LockedFile]:
    """Open (creating 0600) and exclusively lock ``path`` inside a private directory; unlock on exit."""
    ensure_private_directory(path.parent)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        status = os.fstat(descriptor)
        _check_owned(status, path)
        if stat.S_IMODE(status.st_mode) != 0o600:
            os.fchmod(descriptor, 0o600)
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                await asyncio.sleep(_LOCK_POLL_SECONDS)
        yield LockedFile(descriptor)
    finally:
        os.close(descriptor)  # closing the descriptor releases the flock
