"""Declarative JSON-to-record parsing that never loses what the API sent.

A record is a frozen dataclass whose fields say which JSON key they come from: ``update_time_utc:
Annotated[datetime | None, api("updateTimeUTC", utc_time)] = None``. A field without a default is required:
missing or mistyped, it raises ``MalformedResponse``. An optional field that is mistyped becomes None (unless
``strict``). Unknown keys land in ``extra`` and the object as received in ``raw``, because the API grows
fields over time (REFERENCE.md section 11) and a snapshot should keep them.

Typed fields hold only what every consumer can store: text is valid Unicode (a lone surrogate, which a JSON
``\\uD800`` escape can carry but UTF-8 cannot, reads as U+FFFD), numbers are finite, integers within JSON's
exact range, timestamps within ``datetime``'s; anything else is mistyped. ``raw`` keeps the value as sent."""

from __future__ import annotations

import json
import math
import re
import typing
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import MISSING, dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from capital_pipeline.capital.errors import MalformedResponse

__all__ = [
    "ApiKey",
    "ApiRecord",
    "ParseContext",
    "WrongType",
    "api",
    "epoch_ms",
    "flag",
    "integer",
    "json_text",
    "local_time",
    "mapping",
    "nested",
    "nested_list",
    "number",
    "parse_record",
    "parse_records",
    "text",
    "text_list",
    "unicode_text",
    "utc_time",
]


@dataclass(frozen=True)
class ParseContext:
    """What parsing needs beyond the JSON: the account's ``timezoneOffset`` (hours) for local timestamps."""

    timezone_offset: float | None = None


class WrongType(Exception):
    """A value does not have the type its field declares."""


Parser = Callable[[Any, ParseContext], Any]
R = TypeVar("R", bound="ApiRecord")
# I-JSON (RFC 7493): integers beyond +-(2**53 - 1) do not survive a trip through a float, as in most decoders.
_LARGEST_INTEGER = 2**53 - 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, kw_only=True)
class ApiRecord:
    """Base of every record: ``raw`` is the JSON object as received, ``extra`` its keys no field reads."""

    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class ApiKey:
    """Where a record field comes from: JSON key ``name``, read by ``parser``."""

    name: str
    parser: Parser
    # A mistyped value raises instead of becoming None: for values whose loss would go unnoticed.
    strict: bool = False


def api(name: str, parser: Parser, *, strict: bool = False) -> ApiKey:
    """The ``Annotated`` marker of a record field read from JSON key ``name``."""
    return ApiKey(name, parser, strict)


@dataclass(frozen=True)
class _FieldSpec:
    attribute: str
    key: ApiKey
    required: bool


_SPECS: dict[type, tuple[_FieldSpec, ...]] = {}


def _field_specs(record_type: type) -> tuple[_FieldSpec, ...]:
    if record_type in _SPECS:
        return _SPECS[record_type]
    hints = typing.get_type_hints(record_type, include_extras=True)
    specs = []
    for record_field in fields(record_type):
        markers = getattr(hints[record_field.name], "__metadata__", ())
        for marker in markers:
            if isinstance(marker, ApiKey):
                required = record_field.default is MISSING and record_field.default_factory is MISSING
                specs.append(_FieldSpec(record_field.name, marker, required))
    _SPECS[record_type] = tuple(specs)
    return _SPECS[record_type]


def unicode_text(value: str) -> str:
    """``value`` with any lone surrogate replaced by U+FFFD, so that it encodes as UTF-8."""
    return value if value.isascii() else _SURROGATE.sub("\ufffd", value)


def text(value: Any, _: ParseContext) -> str:
    if not isinstance(value, str):
        raise WrongType
    return unicode_text(value)


def number(value: Any, _: ParseContext) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise WrongType
    try:
        result = float(value)
    except OverflowError as error:  # an integer beyond the float range
        raise WrongType from error
    if not math.isfinite(result):  # NaN and Infinity: Python's decoder accepts them, JSON has no such number
        raise WrongType
    return result


def integer(value: Any, _: ParseContext) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise WrongType
    if isinstance(value, float) and not value.is_integer():  # also NaN and Infinity
        raise WrongType
    if not -_LARGEST_INTEGER <= value <= _LARGEST_INTEGER:
        raise WrongType
    return int(value)


def flag(value: Any, _: ParseContext) -> bool:
    if not isinstance(value, bool):
        raise WrongType
    return value


def text_list(value: Any, _: ParseContext) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise WrongType
    return tuple(unicode_text(item) for item in value)


def mapping(value: Any, _: ParseContext) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise WrongType
    return value


def _timestamp(value: Any) -> datetime:
    if not isinstance(value, str):
        raise WrongType
    try:
        return datetime.fromisoformat(value)
    except ValueError as error:
        raise WrongType from error


def _in_utc(moment: datetime) -> datetime:
    try:
        return moment.astimezone(UTC)
    except OverflowError as error:  # 0001-01-01T00:00+01:00 is before the first representable instant
        raise WrongType from error


def utc_time(value: Any, _: ParseContext) -> datetime:
    """``...UTC`` fields: ``2022-04-06T13:17:38.477`` (no zone suffix) read as UTC."""
    moment = _timestamp(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else _in_utc(moment)


def local_time(value: Any, context: ParseContext) -> datetime:
    """Local fields are UTC + ``timezoneOffset`` hours (REFERENCE.md section 2); no offset → WrongType."""
    moment = _timestamp(value)
    if moment.tzinfo is not None:
        return _in_utc(moment)
    if context.timezone_offset is None:
        raise WrongType
    try:
        return (moment - timedelta(hours=context.timezone_offset)).replace(tzinfo=UTC)
    except (OverflowError, ValueError) as error:  # out of datetime's range, or a NaN offset
        raise WrongType from error


def epoch_ms(value: Any, context: ParseContext) -> datetime:
    """``serverTime``/``timeStamp``: epoch milliseconds (integer arithmetic: exact in every year)."""
    try:
        return _EPOCH + timedelta(milliseconds=integer(value, context))
    except OverflowError as error:  # beyond year 9999 or before year 1
        raise WrongType from error


def nested(record_type: type[R]) -> Parser:
    """A field holding one object of ``record_type``; a broken object inside raises ``MalformedResponse``."""

    def parse(value: Any, context: ParseContext) -> R:
        if not isinstance(value, dict):
            raise WrongType
        return parse_record(record_type, value, context)

    return parse


def nested_list(record_type: type[R]) -> Parser:
    """A field holding a list of ``record_type`` objects; a broken item raises ``MalformedResponse``."""

    def parse(value: Any, context: ParseContext) -> list[R]:
        if not isinstance(value, list):
            raise WrongType
        return parse_records(record_type, value, context)

    return parse


def _record(record_type: type[R], data: Any, context: ParseContext) -> R:
    where = record_type.__name__
    if not isinstance(data, dict):
        raise MalformedResponse(f"{where}: expected a JSON object, got {type(data).__name__}")
    values: dict[str, Any] = {}
    for spec in _field_specs(record_type):
        value = data.get(spec.key.name)
        if value is None:
            if spec.required:
                raise MalformedResponse(f"{where}: {spec.key.name} is missing")
            continue
        try:
            values[spec.attribute] = spec.key.parser(value, context)
        except WrongType as error:
            if spec.required or spec.key.strict:
                raise MalformedResponse(f"{where}: {spec.key.name} has an unexpected type") from error
    known = {spec.key.name for spec in _field_specs(record_type)}
    extra = {name: value for name, value in data.items() if name not in known}
    return record_type(raw=data, extra=extra, **values)


def _at_path(error: MalformedResponse, path: str | None) -> MalformedResponse:
    return error if path is None or error.path is not None else MalformedResponse(error.message, path=path)


def parse_record(
    record_type: type[R], data: Any, context: ParseContext | None = None, *, path: str | None = None
) -> R:
    """Build ``record_type`` from one JSON object; ``MalformedResponse`` names the record and key at fault,
    and the request ``path`` the object came from."""
    try:
        return _record(record_type, data, context or ParseContext())
    except MalformedResponse as error:
        raise _at_path(error, path) from error.__cause__


def parse_records(
    record_type: type[R], data: Any, context: ParseContext | None = None, *, path: str | None = None
) -> list[R]:
    """Build a list of ``record_type`` from a JSON array (``path`` as for ``parse_record``)."""
    if not isinstance(data, list):
        where = f"{record_type.__name__}: expected a JSON array, got {type(data).__name__}"
        raise MalformedResponse(where, path=path)
    context = context or ParseContext()
    try:
        return [_record(record_type, item, context) for item in data]
    except MalformedResponse as error:
        raise _at_path(error, path) from error.__cause__


def _finite(value: Any) -> Any:
    """A copy of ``value`` with NaN and Infinity as None; iterative, as ``value`` may nest ~1000 levels."""
    root = [value]
    pending: list[tuple[Any, Any]] = [(root, 0)]
    while pending:
        container, key = pending.pop()
        item = container[key]
        if isinstance(item, float) and not math.isfinite(item):
            container[key] = None
        elif isinstance(item, list | dict):
            container[key] = copy = item.copy()
            pending.extend((copy, inner) for inner in (range(len(copy)) if isinstance(copy, list) else copy))
    return root[0]


def _dumps(value: Any, sort_keys: bool) -> str:
    options: dict[str, Any] = {"ensure_ascii": False, "separators": (",", ":"), "sort_keys": sort_keys}
    try:
        return json.dumps(value, allow_nan=False, **options)
    except ValueError:  # NaN or Infinity somewhere: no JSON database accepts them
        return json.dumps(_finite(value), **options)


def json_text(value: Any, *, sort_keys: bool = False) -> str:
    """Compact JSON text of a decoded value (``raw``, say) that DuckDB's and PostgreSQL's JSON types accept.

    Exact for everything JSON can express. NaN and Infinity (Python's decoder accepts them; JSON and both
    databases do not) become null, lone surrogates U+FFFD (DuckDB refuses their escapes). Any nesting the
    decoder accepted is written, however deep the caller's stack.
    """
    try:
        serialized = _dumps(value, sort_keys)
    except RecursionError:
        # The decoder's depth limit counts the stack it ran on; a fresh thread's stack always has that room.
        with ThreadPoolExecutor(max_workers=1) as pool:
            serialized = pool.submit(_dumps, value, sort_keys).result()
    return unicode_text(serialized)
