"""Date and time in the API's formats (REFERENCE §2): naive UTC datetimes inside, local twins outside."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["QUERY_FORMAT", "format_timestamp", "local", "parse_query_datetime", "utc_now"]

# Request parameters `from`, `to`, `goodTillDate`: no zone, no millis; a trailing `Z` is rejected (S13).
QUERY_FORMAT = "%Y-%m-%dT%H:%M:%S"


def utc_now() -> datetime:
    """The wall clock in UTC, naive like every timestamp the API sends."""
    return datetime.now(UTC).replace(tzinfo=None)


def parse_query_datetime(text: str) -> datetime | None:
    """A ``YYYY-MM-DDTHH:MM:SS`` parameter as a naive datetime, or ``None`` if it is not in that format."""
    try:
        return datetime.strptime(text, QUERY_FORMAT)
    except ValueError:
        return None


def format_timestamp(moment: datetime, *, millis: bool = True) -> str:
    """``2022-04-06T07:32:19.193`` (millis) or ``2022-04-06T07:32:19``."""
    return moment.isoformat(timespec="milliseconds" if millis else "seconds")


def local(moment: datetime, timezone_offset_hours: float) -> datetime:
    """The local twin of a UTC timestamp: UTC shifted by the account's ``timezoneOffset`` (REFERENCE §2)."""
    return moment + timedelta(hours=timezone_offset_hours)
