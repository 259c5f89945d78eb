"""Running a walk's requests concurrently: they queue at the limiter, and the first real failure stops them
all."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Iterable
from contextlib import asynccontextmanager
from typing import TypeVar

__all__ = ["gather_all", "task_group"]

T = TypeVar("T")


@asynccontextmanager
async def task_group() -> AsyncIterator[asyncio.TaskGroup]:
    """An ``asyncio.TaskGroup`` that raises its first failure itself, not wrapped in an ``ExceptionGroup``.

    Callers catch ``CapitalError`` subclasses; the group has already cancelled the other tasks.
    """
    try:
        async with asyncio.TaskGroup() as group:
            yield group
    except ExceptionGroup as failures:
        raise failures.exceptions[0] from None


async def gather_all(awaitables: Iterable[Awaitable[T]]) -> list[T]:
    """Results in order; on the first failure the rest are cancelled and that failure is raised."""
    async with task_group() as group:
        tasks = [group.create_task(_awaited(awaitable)) for awaitable in awaitables]
    return [task.result() for task in tasks]


async def _awaited(awaitable: Awaitable[T]) -> T:
    return await awaitable
