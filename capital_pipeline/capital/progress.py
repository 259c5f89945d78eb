"""Progress reporting for long walks (the navigation crawl, market-detail batches), e.g. for CLI progress
lines."""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["ProgressCallback", "no_progress"]

# on_progress(stage, done, total): total is None when unknown, and may grow while a crawl discovers more work.
ProgressCallback = Callable[[str, int, int | None], None]


def no_progress(stage: str, done: int, total: int | None) -> None:
    """The default callback: report nothing."""
