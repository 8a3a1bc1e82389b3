"""``@lineprotocol``: typed schemas that turn dataclass / NamedTuple instances into lines.

Rule 1: the schema is checked once, when the class is decorated (``SchemaError``); each
attribute's role, escaped key and encoder are decided then. No code is generated from text
(no ``eval``): an instance is encoded by walking that plan.
Rule 2: values are checked like everywhere else (common.py): a value that does not fit its
declared type, or cannot be written exactly, raises naming the attribute.
"""

from __future__ import annotations

import enum
import sys
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from operator import attrgetter
from typing import Any, TypeVar, Union

from .._compiled import load
from ..exceptions import LineProtocolError
from .common import (
    LEADING_STRIPPED,
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
from .mapping import encode_tags, first_field_kept

__all__ = [
    "BOOL",
    "DECIMAL",
    "ENUM",
    "FLOAT",
    "INT",
    "MEASUREMENT",
    "STR",
    "TAG",
    "TAGENUM",
    "TIMEDT",
    "TIMEINT",
    "TIMESTR",
    "SchemaError",
    "lineprotocol",
]

MEASUREMENT = TypeVar("MEASUREMENT", bound=str)  #: the measurement of the point
TIMEINT = TypeVar("TIMEINT", bound=int)  #: the time, an int in the write's precision
TIMESTR = TypeVar("TIMESTR", bound=str)  #: the time, an ISO 8601 string
TIMEDT = TypeVar("TIMEDT", bound=datetime)  #: the time, a datetime (naive = UTC)
TAG = TypeVar("TAG", bound=str)  #: a tag
TAGENUM = TypeVar("TAGENUM", enum.Enum, str)  #: a tag: an Enum member's name, or a str
BOOL = TypeVar("BOOL", bound=bool)  #: a boolean field
INT = TypeVar("INT", bound=int)  #: an integer field (signed 64 bits)
DECIMAL = TypeVar("DECIMAL", bound=Decimal)  #: a float field given as a Decimal
FLOAT = TypeVar("FLOAT", bound=float)  #: a float field
STR = TypeVar("STR", bound=str)  #: a string field
ENUM = TypeVar("ENUM", enum.Enum, str)  #: a string field: an Enum member's name, or a str

_TIMES = (TIMEINT, TIMESTR, TIMEDT)
_TAGS = (TAG, TAGENUM)


class SchemaError(TypeError):
    """The schema given to :func:`lineprotocol` (or the class's annotations) is invalid."""


# --- value encoders of each field type: value, attribute name -> text ----------------------


def _numpy() -> Any:
    return sys.modules.get("numpy")


def _bool(value: Any, attr: str) -> str:
    np = _numpy()
    if isinstance(value, bool) or (np is not None and isinstance(value, np.bool_)):
        return "true" if value else "false"
    raise _mismatch(attr, "BOOL", value)


def _is_integer(value: Any) -> bool:
    np = _numpy()
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (np is not None and isinstance(value, np.integer))


def _int(value: Any, attr: str) -> str:
    if not _is_integer(value):
        raise _mismatch(attr, "INT", value)
    return field_value(int(value), attr) or ""


def _float(value: Any, attr: str) -> str:
    np = _numpy()
    if isinstance(value, (float, Decimal)) or (np is not None and isinstance(value, np.floating)):
        return field_value(value, attr) or ""
    if _is_integer(value):
        try:
            return field_value(float(value), attr) or ""
        except OverflowError:
            raise LineProtocolError(f"field {attr!r}: {value} is too large for a float") from None
    raise _mismatch(attr, "FLOAT", value)


def _str(value: Any, attr: str) -> str:
    if not isinstance(value, str):
        raise _mismatch(attr, "STR", value)
    return string_field(value)


def _enum(value: Any, attr: str) -> str:
    if isinstance(value, enum.Enum):
        return string_field(value.name)
    return _str(value, attr)


def _mismatch(attr: str, kind: str, value: Any) -> TypeError:
    return TypeError(f"attribute {attr!r} is declared {kind} but holds {type(value).__name__}")


_FIELD_ENCODERS: dict[Any, Callable[[Any, str], str]] = {
    BOOL: _bool,
    INT: _int,
    DECIMAL: _float,
    FLOAT: _float,
    STR: _str,
    ENUM: _enum,
}


def _tag_text(value: Any, attr: str, enum_name: bool) -> str | None:
    if enum_name and isinstance(value, enum.Enum):
        return value.name or None
    return tag_value_text(value, attr)


# --- the schema ----------------------------------------------------------------------------


def _unwrap_optional(attr: str, hint: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(hint)
    if origin is Union or origin is types.UnionType:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(hint)) == 2:
            return args[0], True
        raise SchemaError(f"attribute {attr!r}: unsupported type {hint!r}")
    return hint, False


class _Plan:
    """What to do with each attribute, decided once per class."""

    measurement_attr: str | None = None
    time_attr: str | None = None
    time_kind: Any = None

    def __init__(
        self,
        cls: type,
        schema: Mapping[str, Any],
        name: str | None,
        rm_none: bool,
        extra_tags: Mapping[str, Any] | None,
        placeholder: bool,
    ):
        self.tags: list[tuple[str, str, bool]] = []  # attribute, escaped key, Enum by name
        self.fields: list[tuple[str, str, Callable[[Any, str], str], bool]] = []
        optional_tags: list[str] = []
        for attr, hint in schema.items():
            kind, optional = _unwrap_optional(attr, hint)
            try:
                self._add(attr, kind, optional, rm_none)
            except LineProtocolError as exc:
                raise SchemaError(f"attribute {attr!r}: {exc}") from None
            if optional and kind in _TAGS:
                optional_tags.append(attr)
        if not self.fields and not placeholder:
            raise SchemaError(
                "a schema needs at least one field attribute (BOOL, INT, DECIMAL, FLOAT, STR, "
                "ENUM) or placeholder=True"
            )
        try:
            self.measurement = escape_measurement(name or cls.__name__)
            # 0.9 wrote a class's extra tags as str(value), without a warning
            self.extra = encode_tags(extra_tags or {}, warn=False)
        except (LineProtocolError, TypeError) as exc:
            raise SchemaError(str(exc)) from None
        self.extra_tags = dict(extra_tags or {})
        if both := sorted(self.extra_tags.keys() & {a for a, *_ in self.tags}):
            raise SchemaError(f"extra_tags and tag attributes both define {both}")
        self.tag_keys = frozenset(a for a, *_ in self.tags) | self.extra_tags.keys()
        self.prefix = "_=true" if placeholder else ""
        self.names = [a for a, *_ in self.tags] + [a for a, *_ in self.fields]
        if self.measurement_attr:
            self.names.append(self.measurement_attr)
        if self.time_attr:
            self.names.append(self.time_attr)
        self.get: Callable[[Any], tuple[Any, ...]]
        if len(self.names) > 1:
            self.get = attrgetter(*self.names)
        elif self.names:
            one = attrgetter(self.names[0])
            self.get = lambda obj: (one(obj),)
        else:
            self.get = lambda obj: ()
        self.compiled = self._compiled_plan()

    def _compiled_plan(self) -> tuple[Any, ...] | None:
        """This plan as the compiled encoder reads it (``_cencode.objects``), without the
        write's extra tags; None when a name cannot be encoded (the pure path raises)."""
        try:
            return (
                None if self.measurement_attr else self.measurement.encode(),
                self.measurement_attr,
                tuple((attr, f",{key}=".encode()) for attr, key, _ in self.tags),
                self.extra.encode(),
                self.prefix.encode(),
                tuple(
                    (attr, f"{key}=".encode(), _COMPILED_KINDS[encode], skip_none)
                    for attr, key, encode, skip_none in self.fields
                ),
                self.time_attr,
                0 if self.time_kind is TIMEINT else 1,  # an int only, or an int or datetime
            )
        except UnicodeEncodeError:
            return None

    def _add(self, attr: str, kind: Any, optional: bool, rm_none: bool) -> None:
        if kind is MEASUREMENT or kind in _TIMES:
            if optional:
                raise SchemaError(f"attribute {attr!r}: only fields and tags can be Optional")
            if kind is MEASUREMENT:
                if self.measurement_attr is not None:
                    raise SchemaError("a schema can have only one MEASUREMENT attribute")
                self.measurement_attr = attr
            else:
                if self.time_attr is not None:
                    raise SchemaError(
                        "a schema can have only one time attribute (TIMEINT, TIMESTR, TIMEDT)"
                    )
                self.time_attr, self.time_kind = attr, kind
        elif kind in _TAGS:
            self.tags.append((attr, escape_tag_key(attr), kind is TAGENUM))
        elif kind in _FIELD_ENCODERS:
            self.fields.append(
                (attr, escape_field_key(attr), _FIELD_ENCODERS[kind], optional or rm_none)
            )
        else:
            raise SchemaError(f"attribute {attr!r}: invalid type {kind!r}")

    def encode(
        self, obj: Any, extra_tags: Mapping[str, Any], encoded_extra_tags: str, factor: int
    ) -> str:
        values = dict(zip(self.names, self.get(obj), strict=True))
        if self.measurement_attr is not None:
            line = escape_measurement(values[self.measurement_attr])
        else:
            line = self.measurement
        if extra_tags and not self.tag_keys.isdisjoint(extra_tags.keys()):
            # a tag of the write wins over the attribute (or class extra tag) of the same key
            own = {attr: _tag_text(values[attr], attr, by_name) for attr, _, by_name in self.tags}
            # the write's extra tags were warned about once, for the batch
            line += encode_tags({**own, **self.extra_tags, **extra_tags}, warn=False)
        else:
            for attr, key, by_name in self.tags:
                text = _tag_text(values[attr], attr, by_name)
                if text:
                    line += f",{key}={escape_tag_value(text)}"
            line += self.extra + encoded_extra_tags
        parts = [self.prefix] if self.prefix else []
        for attr, key, encode, skip_none in self.fields:
            value = values[attr]
            if value is None:
                if skip_none:
                    continue
                raise LineProtocolError(
                    f"field {attr!r} is None (declare it Optional[...] or use rm_none=True)"
                )
            parts.append(f"{key}={encode(value, attr)}")
        if not parts:
            raise LineProtocolError("a point needs at least one field; all its fields are None")
        if parts[0][0] in LEADING_STRIPPED:
            parts = first_field_kept(parts)
        line += " " + ",".join(parts)
        if self.time_attr is not None:
            time = values[self.time_attr]
            if self.time_kind is TIMEINT and (isinstance(time, bool) or not isinstance(time, int)):
                raise _mismatch(self.time_attr, "TIMEINT", time)
            if time is None:
                raise LineProtocolError(f"time {self.time_attr!r} is None")
            line += f" {time_to_int(time, factor)}"
        return line


#: The field kinds of the compiled encoder (_cencode.c): the exact types it writes itself
#: (bool; int; float, or an int written as a float; str), anything else is handed back.
_COMPILED_KINDS: dict[Callable[[Any, str], str], int] = {
    _bool: 0,
    _int: 1,
    _float: 2,
    _str: 3,
    _enum: 3,
}
_MODULE = load("encode", "aioinflux.serialization._cencode")
#: The compiled encoder of @lineprotocol objects, or None (see :func:`object_lines`).
_COMPILED: Callable[..., tuple[Any, Any] | None] | None = (
    None if _MODULE is None else _MODULE.objects
)


def object_lines(
    objects: Sequence[Any],
    extra_tags: Mapping[str, Any],
    encoded_extra_tags: str,
    factor: int,
    fallback: Callable[[Any, int], str],
) -> Lines | None:
    """The lines of ``objects``, all of one ``@lineprotocol`` class, by the compiled encoder:
    it writes the common objects itself (plain str names and tags; bool, int, float and str
    fields of their declared exact type; int and datetime times) and hands every other one
    to ``fallback(obj, index)``, the pure encoder, so errors are the pure ones. None when it
    is not built, the objects are not of one class, the write's extra tags name a tag of
    the class, or a line holds a lone surrogate: the pure path then encodes them.
    """
    plan: _Plan | None = getattr(type(objects[0]), "_lineprotocol_plan", None)
    if _COMPILED is None or plan is None or plan.compiled is None:
        return None
    if extra_tags and not plan.tag_keys.isdisjoint(extra_tags.keys()):
        return None  # the write's tag wins over the class's: merged by the pure encoder
    try:
        extra_text = encoded_extra_tags.encode()
    except UnicodeEncodeError:
        return None
    # after the class's extra tags (encoded with the plan), the write's
    spec = (*plan.compiled[:3], plan.compiled[3] + extra_text, *plan.compiled[4:])
    written = _COMPILED(objects, type(objects[0]), spec, factor, fallback)
    if written is None or type(written[0]) is str:  # not of one class; a lone surrogate
        return None
    body, ends = written
    return Lines(body, len(objects), ends)


def _schema_of(cls: type, schema: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if schema is not None:
        return schema
    try:
        hints = typing.get_type_hints(cls)
    except Exception as exc:  # unresolvable string annotations
        raise SchemaError(f"cannot read the annotations of {cls.__name__}: {exc}") from exc
    if not hints:
        raise SchemaError(f"{cls.__name__} has no annotations and no schema was given")
    return hints


def lineprotocol(
    cls: type | None = None,
    *,
    schema: Mapping[str, Any] | None = None,
    name: str | None = None,
    rm_none: bool = False,
    extra_tags: Mapping[str, Any] | None = None,
    placeholder: bool = False,
) -> Any:
    """Make instances of a dataclass or NamedTuple writable; adds ``to_lineprotocol()``.

    Use it as a decorator (``@lineprotocol`` or ``@lineprotocol(name=...)``) or call it on a
    class made functionally (``lineprotocol(Point, schema={...})``). Each annotated attribute
    has one of the types ``MEASUREMENT``, ``TIMEINT``, ``TIMESTR``, ``TIMEDT``, ``TAG``,
    ``TAGENUM``, ``BOOL``, ``INT``, ``DECIMAL``, ``FLOAT``, ``STR``, ``ENUM``; fields and
    tags may be ``Optional[...]``. Instances go to ``write()`` like any point.

    :param schema: attribute name → type; default: the class's annotations.
    :param name: the measurement when there is no ``MEASUREMENT`` attribute; default: the
        class's name.
    :param rm_none: skip every field whose value is None (by default only ``Optional``
        fields may be None; any other None field raises).
    :param extra_tags: tags added to every point of this class.
    :param placeholder: add a field ``_=true`` to every point (for classes with no field).
    :raises SchemaError: (a ``TypeError``) for an invalid schema, when decorating.

    .. versionchanged:: 0.10
        exact escaping and validation, ``Optional`` fields skipped when None, no ``eval``.
    """

    def decorate(cls: type) -> type:
        plan = _Plan(cls, _schema_of(cls, schema), name, rm_none, extra_tags, placeholder)

        def to_lineprotocol(self: Any) -> bytes:
            """This point as one line of line protocol."""
            return plan.encode(self, {}, "", 1).encode()

        cls._lineprotocol_encoder = plan.encode  # type: ignore[attr-defined]
        cls._lineprotocol_plan = plan  # type: ignore[attr-defined]
        cls.to_lineprotocol = to_lineprotocol  # type: ignore[attr-defined]
        return cls

    return decorate(cls) if cls is not None else decorate
