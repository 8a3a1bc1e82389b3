"""One mapping (``measurement``, ``time``, ``tags``, ``fields``) → one line of line protocol.

Rule 1: every value is checked as it is encoded (common.py); a point that cannot be written
exactly raises, naming the field or tag; the dispatcher adds the point's position.
Rule 2: the common case is the fast path: exact-type checks first, cached escaped names,
and the general (subclass, numpy, Decimal) handling only when the fast path misses.
Rule 3: a list of mappings is encoded in chunks of 1024 points (:func:`mapping_blocks`),
each column by column when its points are alike (the same tag keys and field keys in the
same order, each field of one type throughout): every check runs on every value, in loops
that run in C (``set(map(type, column))``, ``min``/``max``, ``isfinite``), names are
escaped once per distinct value, and the lines come from one ``%`` template per chunk. A
chunk that is not alike, or holds a value that fails a check, goes point by point, which
writes the same lines or raises naming the point (tests/test_serialization_mapping.py
compares the two paths).
Rule 4: where it is built, the compiled encoder (_cencode.c) takes a list of dicts instead,
point by point straight into one body; it writes the common points itself (plain names;
floats, ints, bools, strs; int and datetime times) and hands every other one to
:func:`serialize_mapping`, so errors and warnings are the pure ones
(tests/test_serialization_compiled.py compares the two on random points).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from itertools import repeat
from math import isfinite
from operator import itemgetter
from typing import Any

from .._compiled import load
from ..exceptions import LineProtocolError
from .common import (
    _FIELD_KEYS,
    _INT_MAX,
    _INT_MIN,
    _MEASUREMENTS,
    _TAG_KEYS,
    _TAG_VALUES,
    LEADING_STRIPPED,
    MAX_NS,
    MIN_NS,
    _int_text,
    escape_field_key,
    escape_measurement,
    escape_tag_key,
    escape_tag_value,
    field_value,
    string_field,
    tag_value_text,
    time_to_int,
)
from .lines import Lines

__all__ = [
    "Block",
    "encode_tags",
    "first_field_kept",
    "mapping_blocks",
    "mapping_lines",
    "serialize",
    "serialize_mapping",
]


def encode_tags(tags: Mapping[str, Any], *, warn: bool = True) -> str:
    """``,key=value`` for each tag to write (None and empty values are omitted), escaped.

    :param warn: warn, as aioinflux 0.9 did, about a value that is a number, not a str
        (False where the same tags were encoded, and warned about, before).
    """
    out = ""
    for key, value in tags.items():
        if type(value) is not str:
            value = tag_value_text(value, key, warn=warn)
            if value is None:
                continue
        elif not value:
            continue
        try:
            ekey = _TAG_KEYS[key]
        except (KeyError, TypeError):
            ekey = escape_tag_key(key)
        try:
            evalue = _TAG_VALUES[value]
        except KeyError:
            evalue = escape_tag_value(value)
        out += f",{ekey}={evalue}"
    return out


def first_field_kept(parts: list[str]) -> list[str]:
    """``parts`` (``key=value``) reordered so that the first key does not start with a tab or
    NUL, which influxd would drop there (and only there); raises if every key does."""
    for i, part in enumerate(parts):
        if part[0] not in LEADING_STRIPPED:
            return [part, *parts[:i], *parts[i + 1 :]]
    raise LineProtocolError(
        f"field key {parts[0].partition('=')[0]!r}: InfluxDB 1.x drops a leading tab or NUL "
        "of the first field key, and every field key of this point starts with one"
    )


_TAG_SETS: dict[tuple[tuple[Any, Any], ...], str] = {}


def _tag_set(items: tuple[tuple[Any, Any], ...]) -> str:
    text = encode_tags(dict(items))
    # only exact strs: 1 == 1.0 == True, and a name that is not a str warns at each write
    if all(type(key) is str and type(value) is str for key, value in items):
        if len(_TAG_SETS) >= 100_000:
            _TAG_SETS.clear()
        _TAG_SETS[items] = text
    return text


def serialize_mapping(
    point: Mapping[str, Any],
    measurement: str | None,
    extra_tags: Mapping[str, Any],
    encoded_extra_tags: str,
    factor: int,
) -> str:
    """One mapping as one line (no trailing newline).

    :param measurement: used when the point has no ``measurement`` (or it is None).
    :param extra_tags: tags added to every point; they override the point's tags of the same
        key. ``encoded_extra_tags`` is ``encode_tags(extra_tags)``, computed once per batch.
    :param factor: nanoseconds per unit of the write's precision.
    """
    name = point.get("measurement")
    if name is None:
        name = measurement
        if name is None:
            raise LineProtocolError(
                "the point has no measurement: give it one or pass measurement=..."
            )
    try:
        head = _MEASUREMENTS[name]
    except (KeyError, TypeError):
        head = escape_measurement(name)

    tags = point.get("tags")
    if tags:
        if type(tags) is not dict and not isinstance(tags, Mapping):
            raise TypeError(f"tags must be a mapping, got {type(tags).__name__}")
        if extra_tags and not extra_tags.keys().isdisjoint(tags.keys()):
            tag_text = encode_tags({**tags, **extra_tags})
        else:
            items = tuple(tags.items())
            try:
                # only sets of exact-str keys and values are cached: a hit means equal strs
                # (a str subclass at most), which have the same text (1 == 1.0 == True never
                # hit)
                tag_text = _TAG_SETS[items] + encoded_extra_tags
            except KeyError:
                tag_text = _tag_set(items) + encoded_extra_tags
            except TypeError:  # an unhashable value: raises, naming it
                tag_text = encode_tags(tags)
    else:
        tag_text = encoded_extra_tags

    fields = point.get("fields")
    if type(fields) is not dict and not isinstance(fields, Mapping):
        if fields is None:
            raise LineProtocolError("a point needs at least one field; it has none")
        raise TypeError(f"fields must be a mapping, got {type(fields).__name__}")
    parts: list[str] = []
    append = parts.append
    for key, value in fields.items():
        try:
            ekey = _FIELD_KEYS[key]
        except (KeyError, TypeError):
            ekey = escape_field_key(key)
        # common.field_value's rule, inlined for the four common types (no call per field
        # on the per-point path); tests/test_serialization_mapping.py checks they agree
        kind = type(value)
        if kind is float:
            if value - value != 0.0:  # NaN or +-inf: rejected by 1.x
                raise LineProtocolError(
                    f"field {key!r}: {value!r} cannot be written to InfluxDB 1.x"
                )
            append(f"{ekey}={value!r}")
        elif kind is int:
            if _INT_MIN <= value <= _INT_MAX:
                append(f"{ekey}={value}i")
            else:
                _int_text(value, key)  # raises, naming the field
        elif kind is str:
            if '"' in value or "\\" in value:
                value = value.replace("\\", "\\\\").replace('"', '\\"')
            append(f'{ekey}="{value}"')
        elif kind is bool:
            append(f"{ekey}=true" if value else f"{ekey}=false")
        elif value is not None:
            append(f"{ekey}={field_value(value, key)}")
    if not parts:
        if not fields:
            raise LineProtocolError("a point needs at least one field; it has none")
        raise LineProtocolError("a point needs at least one field; all its fields are None")
    if parts[0][0] in LEADING_STRIPPED:
        parts = first_field_kept(parts)

    time = point.get("time")
    if time is None:
        return f"{head}{tag_text} {','.join(parts)}"
    if type(time) is not int or factor != 1 or not MIN_NS <= time <= MAX_NS:
        time = time_to_int(time, factor)
    return f"{head}{tag_text} {','.join(parts)} {time}"


_NONE = type(None)
_BOOL_TEXT = ("false", "true")  # indexed by a bool
#: Points encoded column by column at a time: enough to spread the work done once per
#: chunk, few enough that a chunk's points stay in the CPU's cache from one column to the
#: next (measured: 1024 beats 256 and the whole list).
_CHUNK = 1024
#: Shorter lists go point by point: the work done once per chunk would cost more than it saves.
_FEWEST = 16
#: After this many chunks in a row that were not alike, the rest of the list goes point by
#: point: a list with an odd point in every chunk costs (almost) no more than before.
_UNLIKE_CHUNKS = 2
_CACHE_LIMIT = 100_000


class _NotAlike(Exception):
    """The points are not alike: the caller encodes them point by point."""


def _template_text(text: str) -> str:
    return text.replace("%", "%%")


def _texts(column: list[str], escape: Callable[[str], str]) -> list[str]:
    """``column`` (exact strs) as ``escape`` writes each, escaped once per distinct value."""
    texts = {value: escape(value) for value in set(column)}
    return list(map(texts.__getitem__, column))


def _values(points: Sequence[dict[str, Any]], key: str) -> list[Any]:
    """``point.get(key)`` of each point, in a loop that runs in C."""
    return list(map(dict.get, points, repeat(key)))


def _keys(dicts: list[dict[Any, Any]]) -> tuple[str, ...]:
    """The one key order of ``dicts`` (exact dicts), all exact strs; else _NotAlike."""
    shapes = set(map(tuple, dicts))
    if len(shapes) != 1:
        raise _NotAlike
    (keys,) = shapes
    if not all(type(key) is str for key in keys):  # numbers warn, as 0.9 did, at each point
        raise _NotAlike
    return keys


#: tag keys → their values (a tuple, or the value itself for one key) → the text of the tags.
#: Only values that are all exact, non-empty strs are remembered (1 == 1.0 == True).
_TAG_ROWS: dict[tuple[str, ...], dict[Any, str]] = {}


def _tag_texts(tags: list[dict[str, Any]], keys: tuple[str, ...]) -> list[str]:
    """``,key=value`` for every tag of each of ``tags`` (dicts with ``keys`` in this order),
    escaped once per distinct set of values; _NotAlike when a value is not a non-empty str,
    LineProtocolError when one cannot be written."""
    rows = list(map(itemgetter(*keys), tags))
    texts = _TAG_ROWS.get(keys)
    if texts is None:
        if len(_TAG_ROWS) >= 1_000:
            _TAG_ROWS.clear()
        texts = _TAG_ROWS[keys] = {}
    try:
        return list(map(texts.__getitem__, rows))
    except KeyError:
        pass
    if len(texts) >= _CACHE_LIMIT:
        texts.clear()
    ekeys = [escape_tag_key(key) for key in keys]
    for row in set(rows).difference(texts):
        values = (row,) if len(keys) == 1 else row
        # None and "" omit the tag, a number warns at each point: point by point
        if not all(type(value) is str and value for value in values):
            raise _NotAlike
        texts[row] = "".join(
            f",{ekey}={escape_tag_value(value)}" for ekey, value in zip(ekeys, values, strict=True)
        )
    return list(map(texts.__getitem__, rows))


def _column_lines(
    points: Sequence[dict[str, Any]],
    measurement: str | None,
    extra_tags: Mapping[str, Any],
    encoded_extra_tags: str,
    factor: int,
) -> list[str]:
    """The lines of ``points`` (exact dicts), column by column; _NotAlike, or the error of a
    value that fails its check, when they are not alike (the caller then goes point by
    point, which names the point). The shape of the points is checked first, as it costs
    least: a chunk that is not alike wastes little."""
    fields = _values(points, "fields")
    if set(map(type, fields)) != {dict}:
        raise _NotAlike
    field_keys = _keys(fields)
    names = _values(points, "measurement")
    name_kinds = set(map(type, names))
    tags = _values(points, "tags")
    tag_kinds = set(map(type, tags))
    tag_keys = _keys(tags) if tag_kinds == {dict} else ()
    times = _values(points, "time")
    time_kinds = set(map(type, times))
    if (
        not field_keys
        or not (tag_kinds == {dict} or tag_kinds == {_NONE})  # falsy non-dicts, a mix
        or (extra_tags and not extra_tags.keys().isdisjoint(tag_keys))  # the extra tags win
        or not (time_kinds == {int} or time_kinds == {datetime} or time_kinds == {_NONE})
    ):  # (a time string may go to pandas, which may warn: point by point)
        raise _NotAlike

    columns: list[list[Any]] = []
    if name_kinds == {str}:
        if len(distinct := set(names)) == 1:
            template = _template_text(escape_measurement(distinct.pop()))
        else:
            columns.append(_texts(names, escape_measurement))
            template = "%s"
    elif name_kinds == {_NONE} and type(measurement) is str:
        template = _template_text(escape_measurement(measurement))
    else:  # no measurement anywhere (raises), numbers (warn at each point), a mix
        raise _NotAlike
    if tag_keys:
        columns.append(_tag_texts(tags, tag_keys))
        template += "%s"
    template += f"{_template_text(encoded_extra_tags)} "

    separator = ""
    # each column by common.field_value's rule, as a template spelling (tested to agree)
    for key in field_keys:
        column = list(map(itemgetter(key), fields))
        kinds = set(map(type, column))
        if kinds == {float}:
            if not all(map(isfinite, column)):  # NaN or +-inf: rejected by 1.x
                raise _NotAlike
            text = "%r"
        elif kinds == {int}:
            if min(column) < _INT_MIN or max(column) > _INT_MAX:
                raise _NotAlike
            text = "%di"
        elif kinds == {bool}:
            column = list(map(_BOOL_TEXT.__getitem__, column))
            text = "%s"
        elif kinds == {str}:
            column = _texts(column, string_field)
            text = "%s"
        else:  # None (skipped), numpy, Decimal, subclasses, a mix: point by point
            raise _NotAlike
        columns.append(column)
        ekey = escape_field_key(key)
        if not separator and ekey[0] in LEADING_STRIPPED:
            raise _NotAlike  # another field goes first: point by point
        template += f"{separator}{_template_text(ekey)}={text}"
        separator = ","

    if time_kinds == {int}:
        if min(times) * factor < MIN_NS or max(times) * factor > MAX_NS:
            raise _NotAlike
        columns.append(times)
        template += " %d"
    elif time_kinds == {datetime}:
        columns.append([time_to_int(time, factor) for time in times])
        template += " %d"
    return list(map(template.__mod__, zip(*columns, strict=True)))


def _point_line(
    point: Any,
    index: int,
    measurement: str | None,
    extra_tags: Mapping[str, Any],
    encoded_extra_tags: str,
    factor: int,
) -> str:
    """:func:`serialize_mapping` of the point at position ``index``, whose errors name it."""
    try:
        return serialize_mapping(point, measurement, extra_tags, encoded_extra_tags, factor)
    except LineProtocolError as exc:
        raise type(exc)(f"point {index}: {exc}") from None
    except TypeError as exc:
        raise TypeError(f"point {index}: {exc}") from None


def _point_lines(
    points: Sequence[Any],
    start: int,
    measurement: str | None,
    extra_tags: Mapping[str, Any],
    encoded_extra_tags: str,
    factor: int,
) -> list[str]:
    """``points`` encoded one by one; an error names the point (its position ``start`` + i)."""
    options = (measurement, extra_tags, encoded_extra_tags, factor)
    return [_point_line(point, index, *options) for index, point in enumerate(points, start)]


#: A block of lines: ``(lines joined by "\\n", None)``, or, when a line holds a newline
#: (inside a string field value), ``(joined, the lines)``: the lines this library made are
#: never scanned for their ends.
Block = tuple[str, "list[str] | None"]


def _block(lines: list[str]) -> Block:
    text = "\n".join(lines)
    return text, None if text.count("\n") == len(lines) - 1 else lines


def mapping_blocks(
    points: Sequence[Any],
    measurement: str | None,
    extra_tags: Mapping[str, Any],
    encoded_extra_tags: str,
    factor: int,
) -> list[Block] | None:
    """The lines of ``points`` when every point is an exact ``dict`` (else None: the caller
    handles the mix), in one :data:`Block` per chunk of :data:`_CHUNK` points (a chunk's
    lines are joined while they are still in the CPU's cache, not kept one by one). Raises
    as the point-by-point path does, naming the point.

    A chunk of points that are alike (the same tag keys and field keys in the same order,
    each field of one type and never None, every value passing its check) is encoded column
    by column; any other chunk point by point, with :func:`serialize_mapping`, which writes
    the same lines, and so is the rest of the list after :data:`_UNLIKE_CHUNKS` chunks in a
    row that were not alike. The arguments are those of :func:`serialize_mapping`.
    """
    if not points or type(points[0]) is not dict or set(map(type, points)) != {dict}:
        return None
    options = (measurement, extra_tags, encoded_extra_tags, factor)
    if len(points) < _FEWEST:
        return [_block(_point_lines(points, 0, *options))]
    blocks: list[Block] = []
    unlike = 0  # chunks in a row that were not alike
    for start in range(0, len(points), _CHUNK):
        chunk = points[start : start + _CHUNK]
        lines = None
        if unlike < _UNLIKE_CHUNKS:
            try:
                lines = _column_lines(chunk, *options)
                unlike = 0
            except Exception:  # _NotAlike, or a value failing its check: named point by point
                unlike += 1
        if lines is None:
            lines = _point_lines(chunk, start, *options)
        blocks.append(_block(lines))
    return blocks


_MODULE = load("encode", "aioinflux.serialization._cencode")
#: The compiled encoder of mappings (_cencode.c), or None: it writes the common points
#: itself and hands every other one to :func:`_point_line`, so its errors are the pure ones.
_COMPILED: Callable[..., tuple[Any, Any] | None] | None = (
    None if _MODULE is None else _MODULE.mappings
)


def mapping_lines(
    points: Sequence[Any],
    measurement: str | None,
    extra_tags: Mapping[str, Any],
    encoded_extra_tags: str,
    factor: int,
) -> Lines | None:
    """The lines of ``points`` when every point is an exact ``dict`` (else None: the caller
    handles the mix), as one body; raises as :func:`serialize_mapping` does, naming the
    point. The arguments are those of :func:`serialize_mapping`.

    The compiled encoder writes the body when it is built (the same bytes, the same errors:
    tests/test_serialization_mapping.py runs every case on both, and
    tests/test_serialization_compiled.py compares them on random points); else
    :func:`mapping_blocks`.
    """
    if not points or type(points[0]) is not dict:
        return None
    try:
        extra_text = encoded_extra_tags.encode()
    except UnicodeEncodeError:  # in every line: the pure path names the first point
        extra_text = None
    if _COMPILED is not None and extra_text is not None:

        def pure_line(point: Any, index: int) -> str:
            return _point_line(point, index, measurement, extra_tags, encoded_extra_tags, factor)

        tags = extra_tags if type(extra_tags) is dict else dict(extra_tags)
        written = _COMPILED(points, measurement, tags, extra_text, factor, pure_line)
        if written is None:  # not all dicts
            return None
        body, ends = written
        if type(body) is str:  # the first line that UTF-8 cannot encode, and its point
            raise _unencodable(body, ends)
        return Lines(body, len(points), ends)  # bytes, and None or a list of ints
    blocks = mapping_blocks(points, measurement, extra_tags, encoded_extra_tags, factor)
    if blocks is None:  # not all dicts
        return None
    if all(lines is None for _, lines in blocks):  # no line holds a newline
        try:
            return Lines("\n".join([text for text, _ in blocks]).encode(), len(points))
        except UnicodeEncodeError:
            pass  # named below
    # a string value holds a newline (the lines of such blocks as the encoder made them), or
    # a line cannot be encoded
    made: list[bytes] = []
    for index, line in enumerate(
        line for text, lines in blocks for line in (text.split("\n") if lines is None else lines)
    ):
        try:
            made.append(line.encode())
        except UnicodeEncodeError:
            raise _unencodable(line, index) from None
    return Lines.of(made)


def _unencodable(line: str, index: int) -> LineProtocolError:
    """The error of a point whose ``line`` UTF-8 cannot encode (a lone surrogate)."""
    try:
        line.encode()
    except UnicodeEncodeError as exc:
        return LineProtocolError(f"point {index}: {exc} (lone surrogates are not text)")
    raise AssertionError(f"line {line!r} can be encoded")


def serialize(point: Mapping[str, Any], measurement: str | None = None, **extra_tags: Any) -> bytes:
    """One mapping as one line of line protocol, as aioinflux 0.9's
    ``aioinflux.serialization.mapping.serialize`` (:func:`aioinflux.serialize` takes any
    data).

    :param point: the mapping (``measurement``, ``time``, ``tags``, ``fields``).
    :param measurement: the measurement if the point has none.
    :param extra_tags: tags added to the point.
    """
    return serialize_mapping(point, measurement, extra_tags, encode_tags(extra_tags), 1).encode()
