"""Market details for any number of epics: distinct epics in batches of 50, fetched concurrently within the
pace.

``GET /markets?epics=`` takes at most 50 epics and leaves unknown ones out of its answer (REFERENCE.md
sections 4 and 11), so the batch result says which requested epics did not come back."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from capital_pipeline.capital.concurrency import gather_all
from capital_pipeline.capital.errors import LOCAL_ERRORS, RequestFailure
from capital_pipeline.capital.progress import ProgressCallback
from capital_pipeline.capital.records import MarketDetails

if TYPE_CHECKING:
    from capital_pipeline.capital.client import CapitalClient

__all__ = ["MarketDetailsBatch", "fetch_market_details"]

Shaped = TypeVar("Shaped")


@dataclass(frozen=True)
class MarketDetailsBatch(Generic[Shaped]):
    """Details in the order the epics were asked for, each as ``shape`` made it (the record by default);
    ``missing`` epics were asked for but not returned."""

    details: list[Shaped]
    missing: list[str]
    # A failed batch's epics are also in ``missing``; ``subject`` is the batch's epics joined by commas.
    failures: list[RequestFailure]


def itself(details: MarketDetails) -> MarketDetails:
    """The default shape: the parsed record as it is."""
    return details


async def fetch_market_details(
    client: CapitalClient,
    epics: Iterable[str],
    *,
    batch_size: int,
    on_progress: ProgressCallback,
    shape: Callable[[MarketDetails], Shaped],
) -> MarketDetailsBatch[Shaped]:
    """⌈distinct epics / batch_size⌉ requests; a batch that fails is reported and the others go on.

    ``shape`` turns each record into what the caller keeps as soon as its batch arrives, so a large universe
    never holds every parsed record (with its raw JSON tree, ~6 kB each) at once.
    """
    wanted = list(dict.fromkeys(epics))
    batches = [wanted[start : start + batch_size] for start in range(0, len(wanted), batch_size)]
    failures: list[RequestFailure] = []
    done = 0

    async def fetch(batch: list[str]) -> list[tuple[str, Shaped]]:
        nonlocal done
        try:
            details = await client.markets_batch(batch)
        except LOCAL_ERRORS as error:
            failures.append(RequestFailure.of(",".join(batch), error))
            details = []
        done += len(batch)
        on_progress("market_details", done, len(wanted))
        return [(item.epic, shape(item)) for item in details]

    by_epic: dict[str, Shaped] = {}
    for shaped in await gather_all(fetch(batch) for batch in batches):
        for epic, item in shaped:
            by_epic.setdefault(epic, item)
    ordered = [by_epic[epic] for epic in wanted if epic in by_epic]
    # Anything returned that was not asked for (a renamed epic, say) is kept rather than lost.
    asked = set(wanted)
    unasked = [item for epic, item in by_epic.items() if epic not in asked]
    missing = [epic for epic in wanted if epic not in by_epic]
    return MarketDetailsBatch(ordered + unasked, missing, failures)
