"""Everything ``write()`` accepts, turned into line-protocol bytes: one entry point, no I/O.

Rule 1: ``serialize()`` (``write_bodies()``/``counted_bodies()`` for the client,
``line_chunks()`` for the batch writer) is the only way data reaches a write; the whole
batch is checked before anything is sent, so a batch with one bad point writes nothing.
(A large DataFrame is checked completely up front and then encoded slice by slice as it is
sent; see _plan.py.)
Rule 2: what cannot be encoded raises (LineProtocolError, a ValueError, for a bad value;
LineProtocolTypeError, also a TypeError, for an object that is not a point; TypeError for
a value of an unsupported type) naming the point; nothing is dropped or altered.
Rule 3: lines are split once, where they are made: the encoders hand over whole lines, and
only line protocol the user gave as ``str``/``bytes`` is looked at: checked once, as influxd
1.x would read it (a refused line raises, naming it; see _textcheck.py), which also finds
where its lines end.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from ..exceptions import LineProtocolError, LineProtocolTypeError
from . import lines as _lines
from ._textcheck import check_text, fast_check
from .common import precision_factor
from .lines import Lines, exact_lines, join, text_lines
from .mapping import Block, encode_tags, mapping_blocks, serialize_mapping

__all__ = ["LineSlices", "Lines", "counted_bodies", "line_chunks", "serialize", "write_bodies"]


class _WriteOptions:
    """The options of one write (measurement, tag columns, precision, extra tags), checked
    and encoded once for all its points."""

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


class LineSlices:
    """The lines of one write, slice by slice: an iterator of lists of
    :class:`~aioinflux.serialization.lines.Lines` (each list queued together), made by
    :func:`line_chunks`.

    ``on_demand`` says what the data is: true for a DataFrame, whose slices are encoded as
    they are taken (the batch writer takes them in its worker thread, off the event loop);
    false for anything else, encoded whole already.

    .. versionadded:: 0.10
    """

    __slots__ = ("_slices", "on_demand")

    def __init__(self, slices: Iterator[list[Lines]], *, on_demand: bool):
        self._slices = slices
        self.on_demand = on_demand

    def __iter__(self) -> LineSlices:
        return self

    def __next__(self) -> list[Lines]:
        return next(self._slices)


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
    if _is_dataframe(point):
        return _frame_bytes(point, batch)
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

    def lines(self, body: bytes | None = None) -> list[bytes]:
        """Every line, as bytes: the encoders' lines as they made them, the user's text split
        as influxd splits it (without blank and comment lines). ``body`` is :meth:`body`
        when the caller has it already."""
        items, text = self.items, self.text
        if not text:
            return exact_lines(items, body)
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
        return lines


class _Blocks:
    """A list of mappings encoded: one block of whole lines per chunk of points (see
    :data:`.mapping.Block`), never scanned for the ends of its lines."""

    __slots__ = ("blocks",)

    def __init__(self, blocks: list[Block]):
        self.blocks = blocks

    def body(self) -> bytes:
        """Everything, as one body."""
        return "\n".join([text for text, _ in self.blocks]).encode()

    def lines(self, body: bytes | None = None) -> list[bytes]:
        """Every line, as bytes (``body`` is :meth:`body` when the caller has it already):
        one split of the body when no line holds a newline, else block by block."""
        if body is None:
            body = self.body()
        if all(lines is None for _, lines in self.blocks):
            return body.split(b"\n")
        found: list[bytes] = []
        for text, lines in self.blocks:
            if lines is None:
                found += text.encode().split(b"\n")
            else:
                found += [line.encode() for line in lines]
        return found

    def pieces(self, size: int) -> list[Lines]:
        """Every line, in bodies of ``size`` lines (the last one has the rest), counted in
        C when no line holds a newline (no line is blank)."""
        if all(lines is None for _, lines in self.blocks):
            return Lines.pieces(self.body(), size)
        found = self.lines()
        return [Lines.of(found[i : i + size]) for i in range(0, len(found), size)]


def _encode(data: Any, batch: _WriteOptions) -> _Encoded | _Blocks:
    """Every point of ``data`` encoded (and so checked), its lines kept apart."""
    points = (data,) if _is_single(data) or _is_dataframe(data) else data
    if type(points) is list or type(points) is tuple:  # all mappings: in blocks of lines
        blocks = mapping_blocks(
            points, batch.measurement, batch.extra_tags, batch.encoded_extra_tags, batch.factor
        )
        if blocks is not None:
            return _Blocks(blocks)
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
            frame_lines = _encode_one(point, index, batch, _frame_lines)
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


def _frame_lines(frame: Any, batch: _WriteOptions) -> list[bytes]:
    """Every line of a DataFrame as its own ``bytes`` (a row with no field has none)."""
    slices = _frame_slices(frame, **batch.frame_options(), slice_rows=_lines.MAX_ROWS)
    return [line for lines, _ in slices for line in lines.lines()]


def _frame_bytes(frame: Any, batch: _WriteOptions) -> bytes:
    """All the lines of a DataFrame as one ``bytes`` (joined by ``\\n``, no trailing
    newline), each slice written into the result as it is made."""
    slices = _frame_slices(frame, **batch.frame_options(), slice_rows=_lines.MAX_ROWS)
    bodies: list[bytes | memoryview] = [lines.body for lines, _ in slices if lines.body]
    if bodies:
        bodies[-1] = memoryview(bodies[-1])[:-1]  # the last newline, without a copy
    # one copy of each slice into a result of the right size (a BytesIO grows by steps,
    # copying what it holds: 3 times as long on a 1M-row frame, bench_dataframes.py)
    return b"".join(bodies)


def _frame_kernel() -> Callable[[Any, int, int], Lines]:
    """The kernel that encodes a slice of a DataFrame's plan: polars' where it is installed
    (the ``fast`` extra; ``columnar.ENABLED = False`` turns it off), else the pure one.
    Both write the same data (tests/test_serialization_columnar.py)."""
    # the DataFrame modules import numpy and pandas: loaded only when a frame is met
    from . import _purekernel, columnar

    return columnar.slice_lines if columnar.available() else _purekernel.slice_lines


def _frame_slices(
    frame: Any,
    *,
    measurement: str | None,
    tag_columns: Iterable[str],
    factor: int,
    extra_tags: Mapping[str, Any],
    slice_rows: int | None = None,
    max_bytes: int | None = None,
) -> Iterator[tuple[Lines, int]]:
    """A DataFrame checked whole now (every check that can raise, by its plan), then
    encoded ``slice_rows`` rows at a time (default
    :data:`~aioinflux.serialization.lines.MAX_ROWS`) as the iterator is consumed: each
    slice's :class:`~.lines.Lines` (every line ending with a newline; none when no row of
    the slice has a field) with the number of rows it stands for (they add up to
    ``len(frame)``). With ``max_bytes``, a slice whose text is longer is cut into fewer
    rows (and the following slices with it), down to one row."""
    rows = _lines.MAX_ROWS if slice_rows is None else slice_rows
    if rows < 1:
        raise ValueError(f"slice_rows must be positive, got {rows}")
    from ._plan import FramePlan  # numpy and pandas: loaded only when a frame is met

    plan = FramePlan(frame, measurement, tag_columns, extra_tags, factor)
    encode = _frame_kernel()

    def slices() -> Iterator[tuple[Lines, int]]:
        size, start, end = rows, 0, len(frame)
        while start < end:
            stop = min(start + size, end)
            lines = encode(plan, start, stop)
            while max_bytes is not None and len(lines.body) > max_bytes and stop - start > 1:
                # too big for one request: fewer rows, for this slice and the next ones
                size = max(1, (stop - start) * max_bytes // len(lines.body) * 9 // 10)
                stop = start + size
                lines = encode(plan, start, stop)
            yield lines, stop - start
            start = stop

    return slices()


def _streamed(data: Any) -> bool:
    """A DataFrame too long to encode at once: checked whole, then encoded as it is sent."""
    return _is_dataframe(data) and len(data) > _lines.MAX_ROWS


def write_bodies(
    data: Any,
    measurement: str | None = None,
    tag_columns: Iterable[str] | None = None,
    precision: str | None = None,
    **extra_tags: Any,
) -> Iterator[bytes]:
    """The bodies of the requests of one write: like :func:`serialize`, checked completely
    before this returns, but cut into bodies of at most
    :data:`~aioinflux.serialization.lines.MAX_BODY` bytes at line boundaries (influxd
    refuses larger ones by default).

    A DataFrame is checked whole (roles and dtypes of its columns, its index, every name and
    tag value, infinities) and then encoded one body of at most
    :data:`~aioinflux.serialization.lines.MAX_ROWS` rows at a time as the iterator is
    consumed, so encoding cannot fail on the data and memory stays flat. Everything else is
    encoded whole first, and cut (without scanning the lines the encoders made) only when it
    is too big for one body.
    """
    batch = _WriteOptions(measurement, tag_columns, precision, extra_tags)
    if _is_dataframe(data):
        return _encode_one(data, 0, batch, _stream_frame)  # type: ignore[no-any-return]
    encoded = _encode(data, batch)
    body = encoded.body()
    if len(body) <= _lines.MAX_BODY:
        return iter([body] if body else [])
    return (piece for piece, _ in _lines.bodies(encoded.lines(body), _lines.MAX_BODY))


def counted_bodies(
    data: Any,
    measurement: str | None = None,
    tag_columns: Iterable[str] | None = None,
    precision: str | None = None,
    *,
    max_points: int | None = None,
    **extra_tags: Any,
) -> tuple[int, Iterator[tuple[bytes, int]]]:
    """Like :func:`write_bodies`, with the number of points: ``(total, bodies)`` where each
    body comes with the points it holds, at most ``max_points`` (default
    :data:`~aioinflux.serialization.lines.MAX_ROWS`) and
    :data:`~aioinflux.serialization.lines.MAX_BODY` bytes. For progress reports; checked
    completely before this returns.

    Points are the lines written; for a DataFrame of more than ``MAX_ROWS`` rows, encoded as
    it is sent, they are its rows (a row with no field is written as nothing).
    """
    if max_points is None:
        max_points = _lines.MAX_ROWS
    batch = _WriteOptions(measurement, tag_columns, precision, extra_tags)
    if _streamed(data):
        options = batch.frame_options()
        slices = _encode_one(
            data,
            0,
            batch,
            lambda frame, _: _frame_slices(
                frame,
                **options,
                slice_rows=min(_lines.MAX_ROWS, max_points),
                max_bytes=_lines.MAX_BODY,
            ),
        )
        return len(data), ((lines.body, rows) for lines, rows in slices)
    lines = _encode(data, batch).lines()
    return len(lines), _lines.bodies(lines, _lines.MAX_BODY, max_points)


def line_chunks(
    data: Any,
    measurement: str | None = None,
    tag_columns: Iterable[str] | None = None,
    precision: str | None = None,
    *,
    max_lines: int | None = None,
    piece_lines: int | None = None,
    **extra_tags: Any,
) -> LineSlices:
    """The lines of one write as :class:`~aioinflux.serialization.lines.Lines`: bodies
    with their number of lines (points), which the batch writer queues and cuts into
    requests without a Python object per line; checked completely before this returns.

    Comes in slices (each a list of pieces, to be queued together): a DataFrame in slices
    of at most :data:`~aioinflux.serialization.lines.MAX_ROWS` rows (and ``max_lines``),
    each encoded as the iterator is consumed (slices whose rows all lack a field are left
    out), so that a writer can queue a huge frame as room is made; anything else as one
    slice, in pieces of ``piece_lines`` points (a writer's batch size: each piece is then a
    request's body as it is). Line protocol given as ``str``/``bytes`` (or a list or tuple
    of them) is joined, checked as influxd 1.x would read it (a line it would refuse raises
    :class:`~aioinflux.LineProtocolError` naming it) and split as influxd splits it (blank
    and comment lines are no lines): counted in C when the check's regular expression takes
    the whole body. Lines made from mappings, DataFrames and ``@lineprotocol`` objects are
    taken as the encoders made them.

    .. versionadded:: 0.10
    """
    batch = _WriteOptions(measurement, tag_columns, precision, extra_tags)
    if _is_dataframe(data):
        rows = _lines.MAX_ROWS if max_lines is None else min(_lines.MAX_ROWS, max_lines)
        if rows < 1:
            raise ValueError(f"max_lines must be positive, got {max_lines}")
        chunks: Iterator[list[Lines]] = _encode_one(
            data, 0, batch, lambda frame, _: _frame_chunks(frame, batch, rows, piece_lines)
        )
        return LineSlices(chunks, on_demand=True)
    piece = piece_lines or sys.maxsize
    pieces = _text_pieces(data, batch, piece)
    if pieces is None:
        encoded = _encode(data, batch)
        if isinstance(encoded, _Blocks):  # mappings only
            pieces = encoded.pieces(piece)
        elif encoded.text:  # the user's text among the encoders' lines
            pieces = [Lines.of(encoded.lines())]
        else:
            items = encoded.items
            pieces = [_made(items[i : i + piece]) for i in range(0, len(items), piece)]
    pieces = [p for p in pieces if p.count]
    return LineSlices(iter([pieces] if pieces else []), on_demand=False)


def _made(items: list[str | bytes]) -> Lines:
    """Lines the encoders made, each whole: joined once, counted in C (listed one by one
    only when a string value holds a newline)."""
    body = join(items)
    if body.count(b"\n") == len(items) - 1:
        return Lines(body, len(items))
    return Lines.of(exact_lines(items, body))


def _text_pieces(data: Any, batch: _WriteOptions, piece: int) -> list[Lines] | None:
    """Line protocol given as text only (one ``str``/``bytes``, or a list or tuple of
    them) as bodies of ``piece`` items each, joined and checked in C; None for anything
    else (encoded point by point).

    Where the check's one regular expression accepts a piece, every newline in it ends a
    line, so each piece is counted on its own; from the first piece it does not accept on,
    the rest is joined into one body and checked and split as a whole (a string value may
    go on over the next items)."""
    if batch.extra_tags:  # line protocol cannot take them: the general path says so
        return None
    kind = type(data)
    factor = batch.factor
    if kind is bytes or kind is str:
        body = data.encode() if kind is str else data
        return text_lines(body, piece, factor, [data])
    if kind is not list and kind is not tuple:
        return None
    pieces: list[Lines] = []
    for start in range(0, len(data), piece):
        group = data[start : start + piece]
        body = _text_body(group)
        if body is None:
            return None
        if not fast_check(body, factor):
            rest = data[start:]
            body = _text_body(rest)
            if body is None:
                return None
            return pieces + text_lines(body, piece, factor, rest, start)
        count = body.count(b"\n") + 1 - body.endswith(b"\n")
        if count == len(group):
            pieces.append(Lines(body, count, stop=len(body) - body.endswith(b"\n")))
        else:
            pieces += Lines.pieces(body, piece, len(body) - body.endswith(b"\n"))
    return pieces


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


def _frame_chunks(
    frame: Any, batch: _WriteOptions, rows: int, piece_lines: int | None
) -> Iterator[list[Lines]]:
    """A DataFrame checked whole now, then encoded ``rows`` rows at a time as the iterator
    is consumed: each slice the encoder's bytes, cut into pieces of ``piece_lines`` lines by
    counting newlines in C, when no string field may put a newline inside a line; else
    line by line as the encoder hands them over."""
    slices = _frame_slices(frame, **batch.frame_options(), slice_rows=rows)

    def chunks() -> Iterator[list[Lines]]:
        for lines, _ in slices:
            if not lines.count:
                continue
            if lines.ends is None:  # every newline ends a line: cut by counting them in C
                yield Lines.pieces(lines.body, piece_lines or sys.maxsize, lines.stop)
            else:  # a string value holds a newline: the lines' ends are listed
                yield [Lines(lines.body[: lines.stop], lines.count, lines.ends)]

    return chunks()


def _stream_frame(frame: Any, batch: _WriteOptions) -> Iterator[bytes]:
    slices = _frame_slices(
        frame, **batch.frame_options(), slice_rows=_lines.MAX_ROWS, max_bytes=_lines.MAX_BODY
    )
    return (lines.body for lines, _ in slices if lines.count)


def _serialize(data: Any, batch: _WriteOptions) -> bytes:
    if _is_dataframe(data):  # one pass into one buffer, without a list of its lines
        line = _encode_one(data, 0, batch)
        return line if isinstance(line, bytes) else line.encode()
    return _encode(data, batch).body()


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
    return _serialize(data, _WriteOptions(measurement, tag_columns, precision, extra_tags))
