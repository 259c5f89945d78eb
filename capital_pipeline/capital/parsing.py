"""Declarative JSON-to-record parsing that never loses what the API sent.

A record is a frozen dataclass whose fields say which JSON key they come from: ``update_time_utc:
Annotated[datetime | None, api("updateTimeUTC", utc_time)] = None``. A field without a default is required:
missing or mistyped, it raises ``MalformedResponse``. An optional field that is mistyped becomes None (unless
``strict``). Unknown keys land in ``extra`` and the object as received in ``raw``, because the API grows
fields over time (REFERENCE.md section 11) and a snapshot should keep them.

Typed fields hold only what every consumer can store: text is valid Unicode (a lone surrogate, which a JSON
``\\uD800`` escape can carry but UTF-8 cannot, reads as U+FFFD), numbers are finite, integers within JSON's
exact range, timestamps within ``datetime``'s; anything else is mistyped. ``raw`` keeps the value as sent.

Each record type is compiled once into one function (``record_parser``) with its keys, converters and nested
parsers bound in, and the common well-typed value of each converter read inline: a market detail (12 nested
objects) costs about a third of what walking the field declarations for every object did. The converters stay
the definition: any value off the fast path goes through them."""

from __future__ import annotations

import json
import math
import re
import typing
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import MISSING, dataclass, field, fields
from datetime import UTC, datetime, timedelta
from functools import cached_property
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
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
    "record_parser",
    "text",
    "text_list",
    "unicode_text",
    "utc_time",
]


@dataclass(frozen=True)
class ParseContext:
    """What parsing needs beyond the JSON: the account's ``timezoneOffset`` (hours) for local timestamps."""

    timezone_offset: float | None = None

    @cached_property
    def utc_offset(self) -> timedelta | None:
        """``timezone_offset`` hours as a ``timedelta``, made once per context (not once per timestamp); None
        without an offset or with one no ``timedelta`` holds (NaN, infinite, too large)."""
        if self.timezone_offset is None:
            return None
        try:
            return timedelta(hours=self.timezone_offset)
        except (OverflowError, ValueError):
            return None


class WrongType(Exception):
    """A value does not have the type its field declares."""


Parser = Callable[[Any, ParseContext], Any]
R = TypeVar("R", bound="ApiRecord")
# I-JSON (RFC 7493): integers beyond +-(2**53 - 1) do not survive a trip through a float, as in most decoders.
_LARGEST_INTEGER = 2**53 - 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_MILLISECOND = timedelta(milliseconds=1)
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


def _as_utc(naive: datetime) -> datetime:
    """``naive.replace(tzinfo=UTC)`` (fold 0), by arithmetic: a fifth of the time on Python 3.11."""
    return _EPOCH + (naive - _NAIVE_EPOCH)


def utc_time(value: Any, _: ParseContext) -> datetime:
    """``...UTC`` fields: ``2022-04-06T13:17:38.477`` (no zone suffix) read as UTC."""
    moment = _timestamp(value)
    return _as_utc(moment) if moment.tzinfo is None else _in_utc(moment)


def local_time(value: Any, context: ParseContext) -> datetime:
    """Local fields are UTC + ``timezoneOffset`` hours (REFERENCE.md section 2); no offset → WrongType."""
    moment = _timestamp(value)
    if moment.tzinfo is not None:
        return _in_utc(moment)
    offset = context.utc_offset
    if offset is None:  # no offset, or a NaN or huge one
        raise WrongType
    try:
        return _as_utc(moment - offset)
    except OverflowError as error:  # out of datetime's range
        raise WrongType from error


def epoch_ms(value: Any, context: ParseContext) -> datetime:
    """``serverTime``/``timeStamp``: epoch milliseconds (integer arithmetic: exact in every year)."""
    try:
        return _EPOCH + _MILLISECOND * integer(value, context)  # |value| < 2**53 ms: no timedelta overflow
    except OverflowError as error:  # beyond year 9999 or before year 1
        raise WrongType from error


def nested(record_type: type[R]) -> Parser:
    """A field holding one object of ``record_type``; a broken object inside raises ``MalformedResponse``."""
    return _Nested(record_type, many=False)


def nested_list(record_type: type[R]) -> Parser:
    """A field holding a list of ``record_type`` objects; a broken item raises ``MalformedResponse``."""
    return _Nested(record_type, many=True)


@dataclass(frozen=True)
class _Nested:
    record_type: type[ApiRecord]
    many: bool

    def __call__(self, value: Any, context: ParseContext) -> Any:
        if not isinstance(value, list if self.many else dict):
            raise WrongType
        if self.many:
            return parse_records(self.record_type, value, context)
        return parse_record(self.record_type, value, context)


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


# The common well-typed value of a converter, as (condition, result) on ``value``: exactly what the converter
# returns for it, without the call. Any other value goes through the converter itself.
_FLOAT_SAFE = 2**1000  # an integer below this in magnitude converts to a finite float
_FAST_PATHS: dict[Any, tuple[tuple[str, str], ...]] = {
    text: (("value.__class__ is str and value.isascii()", "value"),),
    number: (
        ("value.__class__ is float and value - value == 0.0", "value"),  # finite: inf - inf and NaN are NaN
        ("value.__class__ is int and -_FLOAT_SAFE < value < _FLOAT_SAFE", "float(value)"),
    ),
    integer: (("value.__class__ is int and -_LARGEST_INTEGER <= value <= _LARGEST_INTEGER", "value"),),
    flag: (("value is True or value is False", "value"),),
    mapping: (("value.__class__ is dict", "value"),),
    text_list: (("value.__class__ is list and _ascii_texts(value)", "tuple(value)"),),
}


def _ascii_texts(items: list[Any]) -> bool:
    return all(item.__class__ is str and item.isascii() for item in items)


_PARSERS: dict[type, Callable[[Any, ParseContext], Any]] = {}


def record_parser(record_type: type[R]) -> Callable[[Any, ParseContext], R]:
    """The parser of ``record_type``, compiled on first use: one function with the record's keys, converters
    and nested parsers bound in, so each object costs a lookup and a type test per field."""
    parser = _PARSERS.get(record_type)
    if parser is None:
        _PARSERS[record_type] = lambda data, context: _PARSERS[record_type](data, context)  # while compiling
        parser = _PARSERS[record_type] = _compile(record_type)
    return parser


def _compile(record_type: type) -> Callable[[Any, ParseContext], Any]:
    where = record_type.__name__
    specs = _field_specs(record_type)
    record_fields = _constructible_fields(record_type, specs)
    names = {spec.attribute: f"a{index}" for index, spec in enumerate(specs)}
    scope: dict[str, Any] = {
        "MalformedResponse": MalformedResponse,
        "WrongType": WrongType,
        "RECORD": record_type,
        "KNOWN": frozenset(spec.key.name for spec in specs),
        "NOT_OBJECT": f"{where}: expected a JSON object, got ",
        "new": object.__new__,
        "_FLOAT_SAFE": _FLOAT_SAFE,
        "_LARGEST_INTEGER": _LARGEST_INTEGER,
        "_ascii_texts": _ascii_texts,
    }
    lines = [
        "def parse(data, context):",
        "    if not isinstance(data, dict):",
        "        raise MalformedResponse(NOT_OBJECT + type(data).__name__)",
        "    get = data.get",
    ]
    for record_field in record_fields[2:]:
        if record_field.default is not MISSING:
            scope[f"D_{names[record_field.name]}"] = record_field.default
            lines.append(f"    {names[record_field.name]} = D_{names[record_field.name]}")
    for index, spec in enumerate(specs):
        lines += _field_lines(index, spec, names[spec.attribute], where, scope)
    lines += [
        "    record = new(RECORD)",
        "    attributes = record.__dict__",  # set in field order, as __init__ would: instances share keys
        "    attributes['raw'] = data",
        "    attributes['extra'] = {} if data.keys() <= KNOWN else "
        "{name: item for name, item in data.items() if name not in KNOWN}",
        *(f"    attributes[{f.name!r}] = {names[f.name]}" for f in record_fields[2:]),
        "    return record",
    ]
    exec(compile("\n".join(lines), f"<parser of {where}>", "exec"), scope)
    return scope["parse"]


def _field_lines(index: int, spec: _FieldSpec, target: str, where: str, scope: dict[str, Any]) -> list[str]:
    """``value = data.get(key)``, then the fast paths, then the converter, raising as ``spec`` says."""
    parser = spec.key.parser
    scope[f"P{index}"] = parser
    fast = _FAST_PATHS.get(parser, ())
    if isinstance(parser, _Nested):
        scope[f"N{index}"] = record_parser(parser.record_type)
        fast = (
            (("value.__class__ is list", f"[N{index}(item, context) for item in value]"),)
            if parser.many
            else (("value.__class__ is dict", f"N{index}(value, context)"),)
        )
    lines = [f"    value = get({spec.key.name!r})", "    if value is None:"]
    if spec.required:
        scope[f"MISSING{index}"] = f"{where}: {spec.key.name} is missing"
        lines.append(f"        raise MalformedResponse(MISSING{index})")
    else:
        lines.append("        pass")
    for condition, result in fast:
        lines += [f"    elif {condition}:", f"        {target} = {result}"]
    lines += ["    else:", "        try:", f"            {target} = P{index}(value, context)"]
    if spec.required or spec.key.strict:
        scope[f"WRONG{index}"] = f"{where}: {spec.key.name} has an unexpected type"
        raising = f"            raise MalformedResponse(WRONG{index}) from error"
        lines += ["        except WrongType as error:", raising]
    else:
        lines += ["        except WrongType:", "            pass"]
    return lines


def _constructible_fields(record_type: type, specs: tuple[_FieldSpec, ...]) -> tuple[Any, ...]:
    """The record's fields, checked to be what the compiled parser can set without ``__init__``: ``raw`` and
    ``extra`` first, then fields read from JSON, each required or with a plain default."""
    record_fields = fields(record_type)
    read = {spec.attribute for spec in specs}
    base = [f.name for f in record_fields[:2]] == ["raw", "extra"]
    own = all(f.name in read and f.init and f.default_factory is MISSING for f in record_fields[2:])
    if not (base and own) or hasattr(record_type, "__post_init__") or hasattr(record_type, "__slots__"):
        raise TypeError(
            f"{record_type.__name__}: every field is read from JSON and is required or has a default"
        )
    return record_fields


def _at_path(error: MalformedResponse, path: str | None) -> MalformedResponse:
    return error if path is None or error.path is not None else MalformedResponse(error.message, path=path)


def parse_record(
    record_type: type[R], data: Any, context: ParseContext | None = None, *, path: str | None = None
) -> R:
    """Build ``record_type`` from one JSON object; ``MalformedResponse`` names the record and key at fault,
    and the request ``path`` the object came from."""
    try:
        return record_parser(record_type)(data, context or ParseContext())
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
    parse = record_parser(record_type)
    try:
        return [parse(item, context) for item in data]
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


def _not_json(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _compact_encoder(sort_keys: bool) -> Callable[[Any], str]:
    """``json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)``, made once.

    ``json.dumps`` with options builds an encoder per call: a third of the cost of a small value, and the
    markets step writes four values per market (~100,000 at x30). No circular-reference check: decoded JSON
    cannot hold a cycle (a cycle still ends, in ``RecursionError``)."""
    if c_make_encoder is None:  # CPython without its accelerator: the same text, the slow way
        encoder = json.JSONEncoder(
            ensure_ascii=False, separators=(",", ":"), allow_nan=False, sort_keys=sort_keys
        )
        return encoder.encode
    encode = c_make_encoder(None, _not_json, encode_basestring, None, ":", ",", sort_keys, False, False)
    return lambda value: "".join(encode(value, 0))


_COMPACT = {sort_keys: _compact_encoder(sort_keys) for sort_keys in (False, True)}


def _dumps(value: Any, sort_keys: bool) -> str:
    try:
        return _COMPACT[sort_keys](value)
    except ValueError:  # NaN or Infinity somewhere: no JSON database accepts them
        options: dict[str, Any] = {"ensure_ascii": False, "separators": (",", ":"), "sort_keys": sort_keys}
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
