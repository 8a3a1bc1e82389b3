"""Everything ``write()`` accepts, turned into line protocol: one dispatcher, no I/O.

Rule 1: :func:`write_lines` is the one way data reaches a write (the client's ``write()``
and the batch writer's): it picks the route of the input by its kind, from one table
(:data:`_ROUTES`), and hands over whole lines as :class:`~.lines.Lines`, slice by slice,
saying whether the slices are encoded as they are taken (a DataFrame) or were encoded
already (anything else). :func:`~.lines.bodies` is the one packer of those lines into
request bodies. :func:`serialize` joins what the same encoders make into one ``bytes``
(the user's text exactly as given, comment lines too).
Rule 2: the whole batch is checked before anything is sent, so a batch with one bad point
writes nothing (a DataFrame is checked whole up front, then encoded slice by slice; see
_plan.py). What cannot be encoded raises (LineProtocolError, a ValueError, for a bad
value; LineProtocolTypeError, also a TypeError, for an object that is not a point;
TypeError for a value of an unsupported type) naming the point; nothing is dropped or
altered.
Rule 3: lines are split once, where they are made: the encoders hand over whole lines, and
only line protocol the user gave as ``str``/``bytes`` is looked at: checked once, as influxd
1.x would read it (a refused line raises, naming it; see _textcheck.py), which also finds
where its lines end.
Rule 4: precision is checked by one rule (``_config.precision_factor``): once per write by
the client and the writer, who hand :func:`write_lines` its factor; :func:`serialize`,
called directly, applies the same rule.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import ModuleType
from typing import Any

from .._config import precision_factor
from ..exceptions import LineProtocolError, LineProtocolTypeError
from . import lines as _lines
from ._textcheck import check_text
from .lines import Lines, bodies, exact_lines, join, text_lines
from .mapping import encode_tags, mapping_lines, serialize_mapping
from .usertype import object_lines

__all__ = ["LineSlices", "Lines", "bodies", "serialize", "write_lines"]


class _WriteOptions:
    """The options of one write (measurement, tag columns, precision factor, extra tags),
    checked and encoded once for all its points."""

    __slots__ = ("encoded_extra_tags", "extra_tags", "factor", "measurement", "tag_columns")

    def __init__(
        self,
        measurement: str | None,
        tag_columns: Iterable[str] | None,
        factor: int,
        extra_tags: Mapping[str, Any],
    ):
        self.measurement = measurement
        self.tag_columns = list(tag_columns) if tag_columns is not None else []
        self.factor = factor
        self.extra_tags = extra_tags
        try:
            self.encoded_extra_tags = encode_tags(extra_tags)
        except (LineProtocolError, TypeError) as exc:
            raise type(exc)(f"extra tags: {exc}") from None


class LineSlices:
    """The lines of one write, as :func:`write_lines` hands them over: an iterator of slices,
    each a :class:`~aioinflux.serialization.lines.Lines` (whole lines) with the rows it
    stands for: None when its points are its lines; a DataFrame of more than one slice
    counts its rows instead (a row without a field is written as nothing).

    ``on_demand`` says what the data is: true for a DataFrame, whose slices are encoded as
    they are taken (the batch writer takes them in its worker thread, off the event loop);
    false for anything else, encoded whole already (in one slice).

    .. versionadded:: 0.10
    """

    __slots__ = ("_ahead", "_slices", "_total", "on_demand")

    def __init__(self, slices: Iterator[tuple[Lines, int | None]], total: int | None = None):
        self._slices = slices
        self._ahead: list[tuple[Lines, int | None]] = []
        self._total = total  # None: the lines of the one slice, counted when asked
        self.on_demand = False

    @classmethod
    def made(cls, lines: Lines) -> LineSlices:
        """Lines encoded already, as one slice (none when there is no line)."""
        return cls(iter([(lines, None)] if lines.stop else []))

    def __iter__(self) -> LineSlices:
        return self

    def __next__(self) -> tuple[Lines, int | None]:
        if self._ahead:
            return self._ahead.pop()
        return next(self._slices)

    def total(self) -> int:
        """The points of the whole write, for a progress report: the rows of a DataFrame of
        more than one slice, else the lines of the one slice (a DataFrame's encoded now),
        counted now: only a report asks for them."""
        if self._total is None:
            self._ahead = [first] if (first := next(self._slices, None)) else []
            self._total = self._ahead[0][0].count if self._ahead else 0
        return self._total

    def requests(self, max_lines: int | None = None) -> Iterator[tuple[Lines, int]]:
        """The request bodies of the write (:func:`~.lines.bodies` of each slice, at most
        ``max_lines`` lines each), each with the points it stands for besides its lines:
        0, but for the last body of a DataFrame's slice, the rows of the slice that have no
        line (a slice without any line gives an empty body with its rows, so that every
        point is reported)."""
        for lines, rows in self:
            extra = 0 if rows is None else rows - lines.count
            pieces = bodies(lines, max_lines)
            piece = next(pieces, None)
            if piece is None:
                if extra:
                    yield lines, extra
                continue
            for after in pieces:
                yield piece, 0
                piece = after
            yield piece, extra


def write_lines(
    data: Any,
    measurement: str | None = None,
    tag_columns: Iterable[str] | None = None,
    *,
    factor: int = 1,
    extra_tags: Mapping[str, Any] | None = None,
    slice_rows: int | None = None,
) -> LineSlices:
    """The lines of one write: everything ``write()`` accepts (see :func:`serialize`),
    checked completely before this returns, as :class:`LineSlices`.

    The route is chosen by the kind of ``data`` from one table (:data:`_ROUTES`). Line
    protocol given as ``str``/``bytes`` (or a list or tuple of them) is joined, checked as
    influxd 1.x would read it (a line it would refuse raises
    :class:`~aioinflux.LineProtocolError` naming it) and split as influxd splits it (blank
    and comment lines are no lines): counted in C when the check's fast path takes the whole
    body. A list or tuple of mappings is encoded column by column where they are alike. A
    DataFrame is checked whole (roles and dtypes of its columns, its index, every name and
    tag value, infinities) and then encoded ``slice_rows`` rows at a time (at most
    :data:`~aioinflux.serialization.lines.MAX_ROWS`, the default) as the slices are taken,
    so encoding cannot fail on the data and memory stays flat. Anything else (one point, a
    mixed iterable, a generator) is encoded point by point. Lines made by the encoders are
    taken as they made them, never scanned.

    :param factor: nanoseconds per unit of the write's precision, checked by the caller
        (``_config.check_write_options``).
    :param extra_tags: tags added to every point.
    :param slice_rows: at most this many rows of a DataFrame per slice.

    .. versionadded:: 0.10
    """
    rows = _lines.MAX_ROWS if slice_rows is None else min(_lines.MAX_ROWS, slice_rows)
    if rows < 1:
        raise ValueError(f"slice_rows must be positive, got {slice_rows}")
    options = _WriteOptions(measurement, tag_columns, factor, extra_tags or {})
    route, on_demand = _ROUTES[_kind(data)]
    result = route(data, options, rows)
    result.on_demand = on_demand
    return result


# --- the table: the kind of the data -> its route ----------------------------------------------


def _kind(data: Any) -> str:
    """The kind of ``data``, a key of :data:`_ROUTES` (a list is known by its first item;
    a route that finds the rest otherwise hands it to ``points``)."""
    if _is_dataframe(data):
        return "frame"
    kind = type(data)
    if kind is str or kind is bytes:
        return "text"
    if (kind is list or kind is tuple) and data:
        first = type(data[0])
        if first is str or first is bytes:
            return "texts"
        if first is dict:
            return "mappings"
        if hasattr(first, "_lineprotocol_encoder"):
            return "objects"
    return "points"


def _text(data: str | bytes, options: _WriteOptions, rows: int) -> LineSlices:
    if options.extra_tags:  # line protocol cannot take them: the general path says so
        return _points(data, options, rows)
    body = data.encode() if isinstance(data, str) else data
    return LineSlices.made(text_lines(body, factor=options.factor, items=[data]))


def _texts(data: Sequence[Any], options: _WriteOptions, rows: int) -> LineSlices:
    body = None if options.extra_tags else _text_body(data)
    if body is None:  # extra tags (refused, naming the point), or not all text
        return _points(data, options, rows)
    return LineSlices.made(text_lines(body, factor=options.factor, items=data))


def _whole(kind: str) -> Callable[[Any, _WriteOptions, int], LineSlices]:
    """The route of a list its encoder (:data:`_WHOLE`) makes into one body, or leaves to
    ``points`` (None: not all of its kind, or, for objects, not for the compiled one)."""

    def route(data: Sequence[Any], options: _WriteOptions, rows: int) -> LineSlices:
        lines = _WHOLE[kind](data, options)
        return _points(data, options, rows) if lines is None else LineSlices.made(lines)

    return route


def _points(data: Any, options: _WriteOptions, rows: int) -> LineSlices:
    return LineSlices.made(_encode(data, options).lines())


def _frame(frame: Any, options: _WriteOptions, rows: int) -> LineSlices:
    slices = _encode_one(frame, 0, options, lambda f, _: _frame_slices(f, options, rows))
    # one slice: its lines are its points; more: its rows, known before any is encoded
    return LineSlices(slices, len(frame) if len(frame) > rows else None)


def _frame_slices(
    frame: Any, options: _WriteOptions, rows: int
) -> Iterator[tuple[Lines, int | None]]:
    """A DataFrame checked whole now (every check that can raise, by its plan), then
    encoded ``rows`` rows at a time as the iterator is consumed: each slice's ``Lines``
    (every line ending with a newline; none when no row of the slice has a field) with the
    rows it stands for (None when the frame is one slice: its points are its lines)."""
    plan, kernel = _frame_plan(frame, options)
    encode = kernel.slice_lines
    end = len(frame)

    def slices() -> Iterator[tuple[Lines, int | None]]:
        for start in range(0, end, rows):
            stop = min(start + rows, end)
            yield encode(plan, start, stop), (stop - start if end > rows else None)

    return slices()


#: The kind of the data (:func:`_kind`) -> its route, and whether its slices are encoded as
#: they are taken (the batch writer then takes them in its worker thread).
_ROUTES: dict[str, tuple[Callable[[Any, _WriteOptions, int], LineSlices], bool]] = {
    "text": (_text, False),  # one str/bytes of line protocol: checked as influxd reads it
    "texts": (_texts, False),  # a list/tuple of them: joined in C, checked once
    "mappings": (_whole("mappings"), False),  # a list/tuple of dicts: compiled if built
    "frame": (_frame, True),  # a pandas/polars DataFrame: checked whole, encoded by slices
    "objects": (_whole("objects"), False),  # a list/tuple of @lineprotocol objects: ditto
    "points": (_points, False),  # one point, @lineprotocol objects, mixes, generators
}


# --- the encoders' shapes ------------------------------------------------------------------


def _object_lines(data: Sequence[Any], options: _WriteOptions) -> Lines | None:
    return object_lines(
        data,
        options.extra_tags,
        options.encoded_extra_tags,
        options.factor,
        lambda point, index: _encode_one(point, index, options),
    )


def _mapping_lines(data: Sequence[Any], options: _WriteOptions) -> Lines | None:
    return mapping_lines(
        data, options.measurement, options.extra_tags, options.encoded_extra_tags, options.factor
    )


#: The kinds of list encoded whole, into one body: their encoders (None: point by point).
_WHOLE: dict[str, Callable[[Sequence[Any], _WriteOptions], Lines | None]] = {
    "mappings": _mapping_lines,
    "objects": _object_lines,
}


def _text_body(items: Sequence[Any]) -> bytes | None:
    """``items`` joined by newlines (in C) when they are all ``str`` or all ``bytes``;
    None for anything else (mappings, objects, a mix), which goes point by point."""
    try:
        return "\n".join(items).encode()
    except TypeError:  # not all str
        pass
    try:
        return b"\n".join(items)
    except TypeError:
        return None


def _is_dataframe(obj: object) -> bool:
    pd, pl = sys.modules.get("pandas"), sys.modules.get("polars")
    return (pd is not None and isinstance(obj, pd.DataFrame)) or (
        pl is not None and isinstance(obj, pl.DataFrame)
    )


def _encode_point(point: object, batch: _WriteOptions) -> str | bytes:
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
    if isinstance(point, (bytearray, memoryview)):
        return _encode_point(bytes(point), batch)
    raise LineProtocolTypeError(
        f"cannot write an object of type {type(point).__name__} (expected line protocol as "
        "str or bytes, a mapping, a pandas DataFrame or an instance of a @lineprotocol class)"
    )


def _encode_one(
    point: object,
    index: int,
    batch: _WriteOptions,
    encode: Callable[[Any, _WriteOptions], Any] = _encode_point,
) -> Any:
    try:
        return encode(point, batch)
    except LineProtocolError as exc:
        raise type(exc)(f"point {index}: {exc}") from None
    except TypeError as exc:
        raise TypeError(f"point {index}: {exc}") from None


def _is_single(data: object) -> bool:
    return (
        isinstance(data, (str, bytes, bytearray, memoryview, Mapping))
        or hasattr(type(data), "_lineprotocol_encoder")
        or not isinstance(data, Iterable)
    )


class _Encoded:
    """A batch encoded: ``items`` are whole lines as the encoders made them, except the
    runs ``items[start:stop]`` listed in ``text``: line protocol the user gave, each item
    holding any number of lines (blank and comment ones too). Each run is joined and
    checked once, as influxd would read it (a refused line raises, naming its point):
    ``checked`` has, per run, its joined body and its lines (None when every newline in
    the body ends a line)."""

    __slots__ = ("checked", "items", "text")

    def __init__(self, items: list[str | bytes], text: list[tuple[int, int, int]], factor: int):
        self.items = items
        self.text = text
        self.checked = [
            (body, check_text(body, factor, items[start:stop], point))
            for start, stop, point in text
            for body in (join(items[start:stop]),)
        ]

    def body(self) -> bytes:
        """Everything, as one body (no line is looked at)."""
        if len(self.text) == 1 and self.text[0][:2] == (0, len(self.items)):
            return self.checked[0][0]  # the user's text only: joined once already
        return join(self.items)

    def lines(self) -> Lines:
        """Every line: the encoders' lines as they made them (joined once, counted in C;
        listed one by one only when a string value holds a newline), the user's text split
        as influxd splits it (without blank and comment lines)."""
        items, text = self.items, self.text
        if not text:
            body = join(items)
            if body.count(b"\n") == len(items) - 1:
                return Lines(body, len(items))
            return Lines.of(exact_lines(items, body))
        lines: list[bytes] = []
        done = 0
        for (start, stop, _), (joined, found) in zip(text, self.checked, strict=True):
            lines += exact_lines(items[done:start])
            if found is None:  # every newline ends a line
                run = joined[:-1] if joined.endswith(b"\n") else joined
                lines += run.split(b"\n") if run else []
            else:
                lines += found
            done = stop
        lines += exact_lines(items[done:])
        return Lines.of(lines)


def _encode(data: Any, batch: _WriteOptions) -> _Encoded:
    """Every point of ``data`` encoded (and so checked) point by point, its lines kept
    apart."""
    points = (data,) if _is_single(data) or _is_dataframe(data) else data
    items: list[str | bytes] = []
    append = items.append
    text: list[tuple[int, int, int]] = []
    opened = -1  # where the current run of the user's text starts in items, or -1
    opened_point = 0  # and which point it starts with
    name, tags, encoded, factor = (
        batch.measurement,
        batch.extra_tags,
        batch.encoded_extra_tags,
        batch.factor,
    )
    for index, point in enumerate(points):
        kind = type(point)
        if kind is dict:  # the common cases, without the general dispatch
            try:
                line = serialize_mapping(point, name, tags, encoded, factor)
            except LineProtocolError as exc:
                raise type(exc)(f"point {index}: {exc}") from None
            except TypeError as exc:
                raise TypeError(f"point {index}: {exc}") from None
        elif (kind is str or kind is bytes) and not tags:
            # line protocol is written as given; the general path costs ~2 us a line
            if opened < 0:
                opened, opened_point = len(items), index
            append(point)
            continue
        elif isinstance(point, (str, bytes, bytearray, memoryview)):
            # a str subclass, bytearray or memoryview; raises when extra tags are given
            line = _encode_one(point, index, batch)
            if opened < 0:
                opened, opened_point = len(items), index
            append(line)
            continue
        elif _is_dataframe(point):
            slices = _encode_one(
                point, index, batch, lambda f, _: _frame_slices(f, batch, _lines.MAX_ROWS)
            )
            frame_lines = [line for lines, _ in slices for line in lines.lines()]
            if opened >= 0:
                text.append((opened, len(items), opened_point))
                opened = -1
            items += frame_lines
            continue
        else:
            line = _encode_one(point, index, batch)
        if opened >= 0:
            text.append((opened, len(items), opened_point))
            opened = -1
        append(line)
    if opened >= 0:
        text.append((opened, len(items), opened_point))
    return _Encoded(items, text, batch.factor)


def _frame_bytes(frame: Any, options: _WriteOptions) -> bytes:
    """A DataFrame checked whole, then written slice by slice straight into one buffer (no
    slice is held beside it, and no copy of the whole is made): ``serialize()``'s bytes."""
    plan, kernel = _frame_plan(frame, options)
    out = io.BytesIO()
    end = len(frame)
    for start in range(0, end, _lines.MAX_ROWS):
        kernel.write_slice(plan, start, min(start + _lines.MAX_ROWS, end), out)
    if out.tell():
        out.truncate(out.tell() - 1)  # the last newline
    return out.getvalue()  # the buffer itself, shrunk in place: not a copy


def _frame_plan(frame: Any, options: _WriteOptions) -> tuple[Any, ModuleType]:
    """The plan of a DataFrame (every check that can raise, made now) and the kernel that
    encodes its slices: polars' where it is installed (the ``fast`` extra;
    ``columnar.ENABLED = False`` turns it off), else the pure one. Both write the same
    data (tests/test_serialization_columnar.py)."""
    # numpy and pandas (imported by these modules): loaded only when a frame is met
    from . import _purekernel, columnar
    from ._plan import FramePlan

    plan = FramePlan(
        frame, options.measurement, options.tag_columns, options.extra_tags, options.factor
    )
    return plan, columnar if columnar.available() else _purekernel


def serialize(
    data: Any,
    measurement: str | None = None,
    tag_columns: Iterable[str] | None = None,
    precision: str | None = None,
    **extra_tags: Any,
) -> bytes:
    """Turn ``data`` into the body of a write: lines of line protocol joined by ``\\n``.

    :param data: one point or an iterable (list, tuple, generator) of points, in any mix.
        A point is line protocol (``str`` or ``bytes``, checked by InfluxDB 1.x's grammar
        and sent exactly as given), a mapping
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
        written exactly, naming its position and the culprit, and for a line of text that
        InfluxDB 1.x would refuse, naming its number and what is wrong.

    .. versionchanged:: 0.10
        mappings, DataFrames and ``@lineprotocol`` objects, exact escaping and validation.
    """
    options = _WriteOptions(measurement, tag_columns, precision_factor(precision), extra_tags)
    kind = _kind(data)
    if kind == "frame":  # one pass into one buffer, without a list of its lines
        encoded: bytes = _encode_one(data, 0, options, _frame_bytes)
        return encoded
    if kind in _WHOLE and (lines := _WHOLE[kind](data, options)) is not None:
        return lines.body
    return _encode(data, options).body()
