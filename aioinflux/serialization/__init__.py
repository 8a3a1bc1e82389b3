"""Everything ``write()`` accepts, turned into line-protocol bytes: one entry point, no I/O.

Rule 1: ``serialize()`` (``write_bodies()`` for the client) is the only way data reaches a
write; the whole batch is checked before anything is sent, so a batch with one bad point
writes nothing. (A large DataFrame is checked completely up front and then encoded slice by
slice as it is sent; see dataframe.py.)
Rule 2: what cannot be encoded raises (LineProtocolError, a ValueError, for a bad value;
LineProtocolTypeError, also a TypeError, for an object that is not a point; TypeError for
a value of an unsupported type) naming the point; nothing is dropped or altered.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from ..exceptions import LineProtocolError, LineProtocolTypeError
from .common import precision_factor
from .mapping import encode_tags, serialize_mapping

__all__ = [
    "MAX_BODY",
    "STREAM_ROWS",
    "counted_bodies",
    "line_slices",
    "serialize",
    "write_bodies",
]

#: A DataFrame with more rows than this is encoded and sent in slices of at most this many.
STREAM_ROWS = 100_000
#: The largest body sent in one request. influxd 1.x refuses a body over its
#: ``max-body-size``, 25 MB by default (measured: 23 MB accepted, 46 MB cut off).
MAX_BODY = 16 << 20


class _Batch:
    """The write's options, checked and encoded once for the whole batch."""

    __slots__ = ("encoded_extra_tags", "extra_tags", "factor", "measurement", "tag_columns")

    def __init__(
        self,
        measurement: str | None,
        tag_columns: Iterable[str] | None,
        precision: str | None,
        extra_tags: dict[str, Any],
    ):
        self.measurement = measurement
        self.tag_columns = list(tag_columns) if tag_columns is not None else []
        self.factor = precision_factor(precision)
        self.extra_tags = extra_tags
        try:
            self.encoded_extra_tags = encode_tags(extra_tags)
        except (LineProtocolError, TypeError) as exc:
            raise type(exc)(f"extra tags: {exc}") from None

    def frame_options(self) -> dict[str, Any]:
        return {
            "measurement": self.measurement,
            "tag_columns": self.tag_columns,
            "factor": self.factor,
            "extra_tags": self.extra_tags,
        }


def _is_dataframe(obj: object) -> bool:
    pd, pl = sys.modules.get("pandas"), sys.modules.get("polars")
    return (pd is not None and isinstance(obj, pd.DataFrame)) or (
        pl is not None and isinstance(obj, pl.DataFrame)
    )


def _encode_point(point: object, batch: _Batch) -> str | bytes:
    if isinstance(point, Mapping):
        return serialize_mapping(
            point, batch.measurement, batch.extra_tags, batch.encoded_extra_tags, batch.factor
        )
    if isinstance(point, (str, bytes)):
        if batch.extra_tags:
            raise LineProtocolError(
                f"extra tags cannot be added to line protocol given as {type(point).__name__} "
                "(it is written exactly as given); put the tags in the line"
            )
        return point
    encoder = getattr(type(point), "_lineprotocol_encoder", None)
    if encoder is not None:
        return encoder(point, batch.extra_tags, batch.encoded_extra_tags, batch.factor)  # type: ignore[no-any-return]
    if _is_dataframe(point):
        from .dataframe import dataframe_to_bytes

        return dataframe_to_bytes(point, **batch.frame_options())
    if isinstance(point, (bytearray, memoryview)):
        return _encode_point(bytes(point), batch)
    raise LineProtocolTypeError(
        f"cannot write an object of type {type(point).__name__} (expected line protocol as "
        "str or bytes, a mapping, a pandas DataFrame or an instance of a @lineprotocol class)"
    )


def _encode_one(
    point: object,
    index: int,
    batch: _Batch,
    encode: Callable[[Any, _Batch], Any] = _encode_point,
) -> Any:
    try:
        return encode(point, batch)
    except LineProtocolError as exc:
        raise type(exc)(f"point {index}: {exc}") from None
    except TypeError as exc:
        raise TypeError(f"point {index}: {exc}") from None


def _join(lines: list[str | bytes]) -> bytes:
    try:
        return "\n".join(lines).encode()  # type: ignore[arg-type]
    except TypeError:  # some points were bytes
        return b"\n".join(line if isinstance(line, bytes) else line.encode() for line in lines)


def _is_single(data: object) -> bool:
    return (
        isinstance(data, (str, bytes, bytearray, memoryview, Mapping))
        or hasattr(type(data), "_lineprotocol_encoder")
        or not isinstance(data, Iterable)
    )


def write_bodies(
    data: Any,
    measurement: str | None = None,
    tag_columns: Iterable[str] | None = None,
    precision: str | None = None,
    **extra_tags: Any,
) -> Iterator[bytes]:
    """The bodies of the requests of one write: like :func:`serialize`, checked completely
    before this returns, but cut into bodies of at most :data:`MAX_BODY` bytes at line
    boundaries (influxd refuses larger ones by default).

    A DataFrame of more than :data:`STREAM_ROWS` rows is checked whole (roles and dtypes of
    its columns, its index, every name and tag value, infinities) and then encoded one body
    at a time as the iterator is consumed, so encoding cannot fail on the data and memory
    stays flat. Everything else is encoded whole first.
    """
    batch = _Batch(measurement, tag_columns, precision, extra_tags)
    if _is_dataframe(data) and len(data) > STREAM_ROWS:
        return _encode_one(data, 0, batch, _stream_frame)  # type: ignore[no-any-return]
    body = _serialize(data, batch)
    if len(body) <= MAX_BODY:
        return iter([body] if body else [])
    return _cut(body)


def counted_bodies(
    data: Any,
    measurement: str | None = None,
    tag_columns: Iterable[str] | None = None,
    precision: str | None = None,
    *,
    max_points: int = STREAM_ROWS,
    **extra_tags: Any,
) -> tuple[int, Iterator[tuple[bytes, int]]]:
    """Like :func:`write_bodies`, with the number of points: ``(total, bodies)`` where each
    body comes with the points it holds, at most ``max_points`` (and :data:`MAX_BODY`
    bytes). For progress reports; checked completely before this returns.

    Points are the lines written; for a DataFrame of more than :data:`STREAM_ROWS` rows,
    encoded as it is sent, they are its rows (a row with no field is written as nothing).
    """
    from .._batching import split_lines

    batch = _Batch(measurement, tag_columns, precision, extra_tags)
    if _is_dataframe(data) and len(data) > STREAM_ROWS:
        from .dataframe import serialize_dataframe_counted

        options = batch.frame_options()
        pieces = _encode_one(
            data,
            0,
            batch,
            lambda frame, _: serialize_dataframe_counted(
                frame, **options, slice_rows=min(STREAM_ROWS, max_points), max_bytes=MAX_BODY
            ),
        )
        return len(data), pieces
    lines = split_lines(_serialize(data, batch))
    return len(lines), _group(lines, max_points)


def line_slices(
    data: Any,
    measurement: str | None = None,
    tag_columns: Iterable[str] | None = None,
    precision: str | None = None,
    *,
    max_lines: int = STREAM_ROWS,
    **extra_tags: Any,
) -> Iterator[list[bytes]]:
    """The lines of one write for the batch writer, each its own ``bytes``, checked
    completely before this returns: a DataFrame in slices of at most ``max_lines`` rows,
    each encoded as the iterator is consumed (so a writer can queue a huge frame as room is
    made, never holding it whole as lines); anything else as one list of all its lines."""
    from .._batching import split_lines

    batch = _Batch(measurement, tag_columns, precision, extra_tags)
    if _is_dataframe(data):
        from .dataframe import dataframe_line_slices

        options = batch.frame_options()
        slices: Iterator[list[bytes]] = _encode_one(
            data,
            0,
            batch,
            lambda frame, _: dataframe_line_slices(frame, **options, slice_rows=max_lines),
        )
        return slices
    lines = split_lines(_serialize(data, batch))
    return iter([lines] if lines else [])


def _group(lines: list[bytes], max_points: int) -> Iterator[tuple[bytes, int]]:
    """``lines`` joined into bodies of at most ``max_points`` lines and MAX_BODY bytes (a
    longer line goes alone)."""
    piece: list[bytes] = []
    size = 0
    for line in lines:
        if piece and (size + len(line) + 1 > MAX_BODY or len(piece) == max_points):
            yield b"\n".join(piece), len(piece)
            piece, size = [], 0
        piece.append(line)
        size += len(line) + 1
    if piece:
        yield b"\n".join(piece), len(piece)


def _cut(body: bytes) -> Iterator[bytes]:
    """``body`` in pieces of at most MAX_BODY bytes (a longer line goes alone), cut between
    lines as influxd finds them (a newline inside a string value is not a boundary)."""
    from .._batching import split_lines

    return (piece for piece, _ in _group(split_lines(body), len(body) + 1))


def _stream_frame(frame: Any, batch: _Batch) -> Iterator[bytes]:
    from .dataframe import serialize_dataframe

    options = batch.frame_options()
    return serialize_dataframe(frame, **options, slice_rows=STREAM_ROWS, max_bytes=MAX_BODY)


def _serialize(data: Any, batch: _Batch) -> bytes:
    if _is_single(data) or _is_dataframe(data):
        line = _encode_one(data, 0, batch)
        return line if isinstance(line, bytes) else line.encode()
    lines: list[str | bytes] = []
    append = lines.append
    name, tags, encoded, factor = (
        batch.measurement,
        batch.extra_tags,
        batch.encoded_extra_tags,
        batch.factor,
    )
    for index, point in enumerate(data):
        kind = type(point)
        if kind is dict:  # the common cases, without the general dispatch
            try:
                append(serialize_mapping(point, name, tags, encoded, factor))
            except LineProtocolError as exc:
                raise type(exc)(f"point {index}: {exc}") from None
            except TypeError as exc:
                raise TypeError(f"point {index}: {exc}") from None
        elif (kind is str or kind is bytes) and not tags:
            # line protocol is written as given; the general path costs ~2 us a line
            append(point)
        else:
            append(_encode_one(point, index, batch))
    return _join(lines)


def serialize(
    data: Any,
    measurement: str | None = None,
    tag_columns: Iterable[str] | None = None,
    precision: str | None = None,
    **extra_tags: Any,
) -> bytes:
    """Turn ``data`` into the body of a write: lines of line protocol joined by ``\\n``.

    :param data: one point or an iterable (list, tuple, generator) of points, in any mix.
        A point is line protocol (``str`` or ``bytes``, sent exactly as given), a mapping
        (``measurement``, ``time``, ``tags``, ``fields``), a pandas DataFrame, or an instance
        of a :func:`~aioinflux.serialization.usertype.lineprotocol` class.
    :param measurement: the measurement of points that do not name one (mappings,
        DataFrames); line protocol has its own.
    :param tag_columns: DataFrame columns written as tags (besides ``category`` columns).
    :param precision: the write's precision (``'ns'`` default, ``'u'``, ``'ms'``, ``'s'``,
        ``'m'``, ``'h'``): integer times are taken as in it, other times are floored to it.
    :param extra_tags: tags added to every point (they win over a point's own tag of the same
        key). Line protocol given as ``str``/``bytes`` cannot take them: that raises.
    :raises ~aioinflux.LineProtocolTypeError: (a ``TypeError`` and a ``ValueError``) for an
        object that is not a point or a DataFrame without a ``DatetimeIndex``, naming its
        position.
    :raises ~aioinflux.LineProtocolError: (a ``ValueError``) for a point that cannot be
        written exactly, naming its position and the culprit.

    .. versionchanged:: 0.10
        mappings, DataFrames and ``@lineprotocol`` objects, exact escaping and validation.
    """
    return _serialize(data, _Batch(measurement, tag_columns, precision, extra_tags))
