"""Market details: any number of epics in concurrent batches of at most 50, missing epics reported."""

from __future__ import annotations

import pytest

from capital_pipeline.capital.records import MarketDetails
from capital_pipeline_tests.capital.fake_api import FakeCapital, FakeClock, client_for, error

EPICS = [f"E{number:03d}" for number in range(120)]


def fake() -> FakeCapital:
    return FakeCapital(FakeClock(), top=["all"], tree={"all": ("All", [], EPICS)})


@pytest.mark.anyio
async def test_any_number_of_epics_goes_out_in_batches_of_at_most_50() -> None:
    api = fake()
    async with client_for(api) as client:
        batch = await client.market_details(EPICS)
    sizes = [len(arrival.params["epics"].split(",")) for arrival in api.arrivals("GET /markets")]
    assert sorted(sizes) == [20, 50, 50]
    assert [details.epic for details in batch.details] == EPICS
    assert batch.missing == [] and batch.failures == []


@pytest.mark.anyio
async def test_duplicates_are_asked_for_once_and_unknown_epics_are_reported_missing() -> None:
    api = fake()
    async with client_for(api) as client:
        batch = await client.market_details(["E001", "NOPE", "E001", "E002", "GONE"])
    (arrival,) = api.arrivals("GET /markets")
    assert arrival.params["epics"] == "E001,NOPE,E002,GONE"
    assert [details.epic for details in batch.details] == ["E001", "E002"]
    assert batch.missing == ["NOPE", "GONE"]


@pytest.mark.anyio
async def test_a_shape_keeps_only_what_it_makes_of_each_record_in_the_order_asked() -> None:
    api = fake()
    shaped: list[str] = []

    def epic_only(details: MarketDetails) -> str:
        shaped.append(details.epic)
        return details.epic.lower()

    async with client_for(api) as client:
        batch = await client.market_details(["E002", "NOPE", "E001", "E002"], shape=epic_only)
    assert batch.details == ["e002", "e001"]
    assert batch.missing == ["NOPE"]
    assert sorted(shaped) == ["E001", "E002"]


@pytest.mark.anyio
async def test_a_failing_batch_is_reported_and_its_epics_listed_missing() -> None:
    api = fake()
    api.answer_next("GET /markets", error(400, "error.invalid.epics"))
    async with client_for(api) as client:
        batch = await client.market_details(EPICS[:60])
    assert len(batch.failures) == 1 and batch.failures[0].error_code == "error.invalid.epics"
    assert len(batch.details) + len(batch.missing) == 60
    assert sorted(batch.failures[0].subject.split(",")) == sorted(batch.missing)


@pytest.mark.anyio
async def test_no_epics_means_no_request() -> None:
    api = fake()
    async with client_for(api) as client:
        batch = await client.market_details([])
    assert api.requests == [] and batch.details == []


@pytest.mark.anyio
async def test_progress_counts_epics_fetched() -> None:
    seen: list[tuple[str, int, int | None]] = []
    async with client_for(fake()) as client:
        await client.market_details(EPICS, on_progress=lambda *report: seen.append(report))
    assert sorted(done for _, done, _ in seen)[-1] == 120
    assert {(stage, total) for stage, _, total in seen} == {("market_details", 120)}


@pytest.mark.anyio
async def test_a_single_batch_call_refuses_more_than_50_epics() -> None:
    async with client_for(fake()) as client:
        with pytest.raises(ValueError, match="50"):
            await client.markets_batch(EPICS[:51])
