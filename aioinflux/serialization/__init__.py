"""Everything ``write()`` accepts, turned into line-protocol bytes: one entry point, no I/O.

Rule 1: ``serialize()`` is the only way data reaches a write; it encodes the whole batch
before anything is sent, so a batch with one bad point writes nothing.
Rule 2: what cannot be encoded raises (TypeError for an unsupported type, ValueError for a
bad value) naming the point; nothing is dropped or altered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["serialize"]


def _point_bytes(point: object, index: int) -> bytes:
    if isinstance(point, bytes):
        return point
    if isinstance(point, str):
        return point.encode("utf-8")
    raise TypeError(
        f"point {index}: cannot write an object of type {type(point).__name__} "
        "(expected line protocol as str or bytes)"
    )


def serialize(
    data: Any,
    measurement: str | None = None,
    tag_columns: Iterable[str] | None = None,
    precision: str | None = None,
    **extra_tags: Any,
) -> bytes:
    """Turn ``data`` into the body of a write: lines of line protocol joined by ``\\n``.

    ``data`` is line protocol (``str`` or ``bytes``, one or more lines) or an iterable of
    those, in any mix. Line protocol is sent exactly as given.

    :raises TypeError: for an object of an unsupported type, naming its position.
    :raises ValueError: when ``measurement``, ``tag_columns`` or extra tags are given for
        line protocol, which is sent as it is and cannot take them.
    """
    if measurement is not None or tag_columns is not None or extra_tags:
        raise ValueError(
            "measurement, tag_columns and extra tags cannot be applied to line protocol, "
            "which is written exactly as given"
        )
    if isinstance(data, Mapping):
        raise TypeError("cannot write a mapping: pass line protocol as str or bytes")
    if isinstance(data, (bytes, str)):
        return _point_bytes(data, 0)
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    if isinstance(data, Iterable):
        return b"\n".join(_point_bytes(point, i) for i, point in enumerate(data))
    raise TypeError(f"cannot write an object of type {type(data).__name__}")
