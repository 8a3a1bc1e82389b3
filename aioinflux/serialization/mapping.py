"""One mapping (``measurement``, ``time``, ``tags``, ``fields``) → one line of line protocol.

Rule 1: every value is checked as it is encoded (common.py); a point that cannot be written
exactly raises, naming the field or tag; the dispatcher adds the point's position.
Rule 2: the common case is the fast path: exact-type checks first, cached escaped names,
and the general (subclass, numpy, Decimal) handling only when the fast path misses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
    tag_value_text,
    time_to_int,
)

__all__ = ["encode_tags", "first_field_kept", "serialize", "serialize_mapping"]


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


def serialize(point: Mapping[str, Any], measurement: str | None = None, **extra_tags: Any) -> bytes:
    """One mapping as one line of line protocol, as aioinflux 0.9's
    ``aioinflux.serialization.mapping.serialize`` (:func:`aioinflux.serialize` takes any
    data).

    :param point: the mapping (``measurement``, ``time``, ``tags``, ``fields``).
    :param measurement: the measurement if the point has none.
    :param extra_tags: tags added to the point.
    """
    return serialize_mapping(point, measurement, extra_tags, encode_tags(extra_tags), 1).encode()
