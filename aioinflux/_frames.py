"""Query answers -> pandas DataFrames: everything ``output='dataframe'`` (and aioinflux 0.9's
``serialization.dataframe.parse``) does with an answer, in one place.

Rule 1: imported only when a DataFrame is asked for (``import aioinflux`` does not load this
module, tests/test_layering.py checks it), so pandas and numpy are imported here, at the top.
Rule 2: no I/O; what the client knows about the database (which columns are tags, the type
of each field, parsed by ``_show.kinds_from_keys``) is passed in as a plain mapping.
Rule 3: frames are built column by column with numpy, never row by row, and every value
read equals the value written: a column's dtype is chosen so that nothing is rounded.
Rule 4: each chunk's rows become typed columns as the chunk arrives (while influxd produces
the next one); a column's dtype is still decided on all its chunks, by the rules of
:func:`_column_of_objects` on all its values, so that chunking never changes a frame.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Union

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from ._protocol import ResultAssembler
from ._rows import rows_to_table
from ._show import ColumnKinds, tags_only
from ._units import EPOCH_UNITS
from .iterutils import _check_answer

__all__ = [
    "ChunkColumns",
    "QueryFrames",
    "SeriesColumns",
    "answer_frames",
    "assembler",
    "rows_to_table",
    "to_dataframe",
]

#: What :func:`to_dataframe` returns: a frame (one statement, one series), a dict of frames
#: (one statement, any other number of series), or a list of such dicts (several statements).
QueryFrames = Union["pd.DataFrame", dict[str | None, "pd.DataFrame"], list[Any]]


#: infer_dtype(skipna=False) of a column without any missing value that becomes a typed
#: array (a None makes it 'mixed...', a NaN among ints 'integer-na')
_CLEAN = {
    "integer": "int",
    "floating": "float",
    "mixed-integer-float": "float",
    "boolean": "bool",
    "string": "str",
}
#: the same, for a column with missing values: infer_dtype(skipna=True)
_GAPPED = {**_CLEAN, "empty": "empty"}
#: what a missing value becomes in a typed array, before its mask says it is missing
_FILL = {"int": 0, "float": np.nan, "bool": False}
_DTYPE = {"int": np.int64, "float": np.float64, "bool": np.bool_}
_NONE = np.full(1, None, dtype=object)
#: pandas >= 3 gives a column of strings its default ``str`` dtype (missing values NaN), as
#: a frame built with its defaults has: a string field is read back as it was written
#: (tests/test_query_results.py round-trips such a frame); pandas 2 keeps ``object`` (None)
_STR: Any = "str" if int(pd.__version__.split(".")[0]) >= 3 else object


class _Piece:
    """One column of one chunk, typed as soon as the chunk arrives (while the server sends
    the next one); the column's dtype is decided once all its pieces are in (:func:`_column`).

    ``kind`` is ``'int'``, ``'float'``, ``'bool'`` (``values`` int64, float64, bool),
    ``'str'`` (``values`` the codes into ``uniques``, -1 where missing), ``'empty'`` (every
    value missing) or ``'object'`` (anything else: ``values`` the objects as read). ``nulls``
    marks the missing values (each was None) of a typed piece, or is None. ``original`` keeps
    the objects of a ``'float'`` piece that mixed ints and floats, so that
    :meth:`objects` gives back every value exactly as read.
    """

    __slots__ = ("kind", "length", "nulls", "original", "uniques", "values")

    def __init__(
        self,
        kind: str,
        values: np.ndarray[Any, Any],
        nulls: np.ndarray[Any, Any] | None = None,
        uniques: np.ndarray[Any, Any] | None = None,
        original: np.ndarray[Any, Any] | None = None,
    ) -> None:
        self.kind = kind
        self.values = values
        self.length = len(values)
        self.nulls = nulls
        self.uniques = uniques
        self.original = original

    @classmethod
    def of(cls, column: np.ndarray[Any, Any]) -> _Piece:
        """The piece of an object array of the server's values."""
        inferred = infer_dtype(column, skipna=False)
        nulls = None
        kind = _CLEAN.get(inferred)
        if kind is None:  # missing values, or types that stay objects
            inferred = infer_dtype(column, skipna=True)
            kind = _GAPPED.get(inferred)
            nulls = pd.isna(column)
            # a NaN (not None) among ints or strings would not come back as it was
            if kind is None or any(value is not None for value in column[nulls]):
                return cls("object", column.copy())
            if kind == "empty":
                return cls("empty", np.empty(len(column), dtype=np.int8))
        if kind == "str":
            codes, uniques = pd.factorize(column)
            return cls("str", codes, uniques=uniques)
        original = column.copy() if inferred == "mixed-integer-float" else None
        if nulls is not None:
            column = column.copy()
            column[nulls] = _FILL[kind]
        try:
            values: np.ndarray[Any, Any] = column.astype(_DTYPE[kind])
        except OverflowError:  # an int beyond int64: decided (and refused) as a whole
            return cls("object", np.asarray(original if original is not None else column))
        if kind == "float":
            gaps = 0 if nulls is None else np.count_nonzero(nulls)
            if np.count_nonzero(np.isnan(values)) != gaps:
                # a NaN read (influxd stores none): the whole column's values decide
                return cls("object", np.asarray(original if original is not None else column))
        return cls(kind, values, nulls=nulls, original=original)

    def objects(self) -> np.ndarray[Any, Any]:
        """The values as read: Python objects, None where missing."""
        if self.kind == "object":
            return self.values
        if self.kind == "empty":
            return np.full(self.length, None, dtype=object)
        if self.original is not None:
            return self.original
        if self.kind == "str":
            assert self.uniques is not None
            # a code of -1 (missing) takes the None put last
            objects = np.concatenate([self.uniques, _NONE]).take(self.values)
        else:
            objects = self.values.astype(object)
            if self.nulls is not None:
                objects[self.nulls] = None
        return objects


class ChunkColumns:
    """The rows of one chunk of a series, as typed columns (:class:`_Piece`)."""

    __slots__ = ("length", "pieces")

    def __init__(self, rows: list[Any]) -> None:
        table = rows_to_table(rows)
        self.length = len(table)
        self.pieces = [_Piece.of(table[:, j]) for j in range(table.shape[1])]


class SeriesColumns:
    """The columns of a whole series: for each column, its pieces from every chunk."""

    __slots__ = ("columns", "length")

    def __init__(self, chunks: list[ChunkColumns]) -> None:
        chunks = [chunk for chunk in chunks if chunk.length]
        widths = {len(chunk.pieces) for chunk in chunks}
        if len(widths) > 1:
            raise ValueError("the rows of a series have different lengths")
        self.length = sum(chunk.length for chunk in chunks)
        self.columns: list[list[_Piece]] = [
            list(column) for column in zip(*(c.pieces for c in chunks), strict=True)
        ]


def assembler() -> ResultAssembler:
    """A :class:`~aioinflux._protocol.ResultAssembler` that turns each chunk's rows into
    typed columns as the chunk arrives (while the server sends the rest)."""
    return ResultAssembler(ChunkColumns, SeriesColumns)


def _series_key(series: Mapping[str, Any]) -> str | None:
    """``'name,tag=value,...'`` as aioinflux 0.9 named a series (None: no name, no tags)."""
    tags = [f"{k}={v}" for k, v in sorted((series.get("tags") or {}).items())]
    return ",".join(filter(None, [series.get("name"), *tags])) or None


def _index(column: np.ndarray[Any, Any], epoch: str | None) -> pd.Index:
    if epoch is None:
        times = pd.to_datetime(column, utc=True, format="ISO8601")
    else:
        ints = np.asarray(column, dtype=np.int64)
        if not ints.any():  # aggregates over all time come at time 0: no time at all
            return pd.RangeIndex(len(ints))
        times = pd.to_datetime(ints, unit=EPOCH_UNITS[epoch], utc=True)
    index = pd.DatetimeIndex(times)
    if epoch is None and len(index) and not index.asi8.any():
        return pd.RangeIndex(len(index))
    return _with_freq(index)


def _with_freq(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """``index`` with the ``freq`` pandas infers when its times are evenly spaced (a frame
    indexed by ``pd.date_range`` reads back equal, freq included; GROUP BY time() answers
    get theirs); unchanged otherwise. The spacing is checked with numpy first: pandas'
    inference alone costs 50 times as much on an uneven index of 1M times."""
    if len(index) < 3:
        return index  # pandas infers no freq from fewer than 3 times
    steps = np.diff(index.asi8)
    if steps[0] <= 0 or not (steps == steps[0]).all():
        return index
    return pd.DatetimeIndex(index, freq="infer")


def _objects(pieces: list[_Piece]) -> np.ndarray[Any, Any]:
    """A column's values as read, Python objects (None where missing)."""
    if not pieces:
        return np.empty(0, dtype=object)
    return np.concatenate([piece.objects() for piece in pieces])


def _typed(pieces: list[_Piece], dtype: Any) -> tuple[np.ndarray[Any, Any], Any]:
    """A column's typed pieces joined as ``dtype``, and where values are missing (None: nowhere)."""
    values = np.concatenate(
        [p.values if p.kind != "empty" else np.zeros(p.length, dtype) for p in pieces]
    )
    if all(p.nulls is None and p.kind != "empty" for p in pieces):
        return values.astype(dtype, copy=False), None
    nulls = np.concatenate(
        [
            np.ones(p.length, bool)
            if p.kind == "empty"
            else p.nulls
            if p.nulls is not None
            else np.zeros(p.length, bool)
            for p in pieces
        ]
    )
    return values.astype(dtype, copy=False), nulls


def _categorical(pieces: list[_Piece]) -> pd.Categorical:
    """A tag column of string (or missing) pieces: each chunk's codes put on the categories of
    the whole column, which ``pd.Categorical`` builds from every chunk's distinct values."""
    whole = pd.Categorical(np.concatenate([p.uniques for p in pieces if p.uniques is not None]))
    mapping = whole.codes
    codes, start = [], 0
    for piece in pieces:
        if piece.uniques is None:  # every value missing
            codes.append(np.full(piece.length, -1, dtype=mapping.dtype))
            continue
        end = start + len(piece.uniques)
        # a code of -1 (missing) takes the -1 appended last
        codes.append(np.append(mapping[start:end], -1).take(piece.values))
        start = end
    return pd.Categorical.from_codes(np.concatenate(codes), dtype=whole.dtype)


def _column(pieces: list[_Piece], kind: str | None, index: pd.Index) -> Any:
    """One column from its pieces, with the dtype :func:`_column_of_objects` gives the whole
    column's values; decided from the pieces' kinds where they agree, without any object."""
    kinds = {piece.kind for piece in pieces} - {"empty"}
    if kinds == {"str"}:
        if kind == "tag":
            return _categorical(pieces)
        return pd.Series(_objects(pieces), index=index, dtype=_STR, copy=False)
    if kind != "tag" and kinds and kinds <= {"int", "float"}:
        if kind == "float" or "float" in kinds:
            values, nulls = _typed(pieces, np.float64)
            if nulls is not None:
                values[nulls] = np.nan
            return values
        values, nulls = _typed(pieces, np.int64)
        return values if nulls is None else pd.arrays.IntegerArray(values, nulls)
    if kind != "tag" and kinds == {"bool"}:
        values, nulls = _typed(pieces, np.bool_)
        return values if nulls is None else pd.arrays.BooleanArray(values, nulls)
    # mixed types, or no value at all: decided on every value of the column at once
    return _column_of_objects(_objects(pieces), kind, index)


def _column_of_objects(values: np.ndarray[Any, Any], kind: str | None, index: pd.Index) -> Any:
    """One column from an object array of the server's values, with the exact dtype."""
    if kind == "tag":
        return pd.Categorical(values)
    inferred = infer_dtype(values, skipna=True)
    numbers = inferred in ("integer", "floating", "mixed-integer-float")
    if numbers and (kind == "float" or inferred != "integer"):
        # JSON writes the float 1.0 as 1 (influxd 1.6.7): a float field's whole values
        # arrive as ints, so its declared type decides; None becomes NaN
        return np.array(values, dtype=np.float64)
    if inferred == "integer":
        if not pd.isna(values).any():
            return np.array(values, dtype=np.int64)
        # int64 cannot hold a gap and float64 would round large values: nullable Int64
        return pd.array(values, dtype="Int64")
    if inferred == "boolean":
        if not pd.isna(values).any():
            return np.array(values, dtype=bool)
        return pd.array(values, dtype="boolean")
    if inferred == "string" and not any(v is not None for v in values[pd.isna(values)]):
        # strings, missing values None: pandas' string dtype (a NaN read stays an object)
        return pd.Series(values, index=index, dtype=_STR, copy=False)
    # columns without any value, and mixed types (a field whose type differs between
    # shards) stay Python objects, exactly as the server sent them (a Series, so that
    # pandas 3 does not turn them into another dtype)
    return pd.Series(values, index=index, dtype=object, copy=False)


def _times(pieces: list[_Piece]) -> np.ndarray[Any, Any]:
    """The time column: int64 straight from its pieces, when every time is an int."""
    if pieces and all(p.kind == "int" and p.nulls is None for p in pieces):
        return np.concatenate([p.values for p in pieces])
    return _objects(pieces)


def _frame(series: Mapping[str, Any], kinds: ColumnKinds, epoch: str | None) -> pd.DataFrame:
    columns: list[str] = list(series.get("columns", ()))
    rows = series.get("values")
    known = kinds.get(series.get("name", ""), {})
    table = rows if isinstance(rows, SeriesColumns) else SeriesColumns([ChunkColumns(rows or [])])
    pieces = table.columns
    if len(pieces) != len(columns):
        if table.length:
            raise ValueError(
                f"a series has {len(columns)} columns but rows of {len(pieces)} values"
            )
        pieces = [[] for _ in columns]  # no rows at all: nothing to take from them
    length = table.length
    timed = bool(columns) and columns[0] == "time"
    index = _index(_times(pieces[0]), epoch) if timed else pd.RangeIndex(length)
    data: dict[str, Any] = {}
    for j in range(1 if timed else 0, len(columns)):
        data[columns[j]] = _column(pieces[j], known.get(columns[j]), index)
    for key, value in sorted((series.get("tags") or {}).items()):
        data[key] = pd.Categorical.from_codes(np.zeros(length, dtype=np.int8), [value])
    return pd.DataFrame(data, index=index, copy=False)


def _statement(
    result: Mapping[str, Any], kinds: ColumnKinds, epoch: str | None
) -> dict[str | None, pd.DataFrame]:
    frames = {}
    for series in result.get("series") or ():
        frame = _frame(series, kinds, epoch)
        # which series the frame is, where a key cannot say it unambiguously (a name or a
        # tag holding ',' or '='): as_dataframeclient() keys the frames by them
        frame.attrs["name"] = series.get("name")
        frame.attrs["tags"] = dict(series.get("tags") or {})
        if "name" in series and "name" not in frame.columns:
            # aioinflux 0.9 set the series' name as an attribute: ``df.name == 'cpu'``
            object.__setattr__(frame, "name", series["name"])
        frames[_series_key(series)] = frame
    return frames


def to_dataframe(
    resp: Mapping[str, Any], *, kinds: ColumnKinds | None = None, epoch: str | None = "ns"
) -> QueryFrames:
    """Turn a query answer (``output='json'``) into DataFrames, in aioinflux 0.9's shapes.

    Each statement gives a dict of DataFrames, one per series, keyed
    ``'measurement,tag=value,...'`` (the series' name and its group's tags; None for a
    series without either). One statement gives its only DataFrame when it has exactly one
    series, else its dict (``{}`` when nothing matched); several statements give a list of
    their dicts, one per statement. A group's tags also become categorical columns.

    Each DataFrame's ``name`` attribute is its series' name (``df.name == 'cpu'``), as in
    aioinflux 0.9, unless it has a column ``name``; ``df.attrs['name']`` and
    ``df.attrs['tags']`` (its group's tags, ``{}`` when none) say it in every case.

    Times become a tz-aware UTC ``DatetimeIndex``; when every time is 0 (aggregates over
    all time) the index is a plain ``RangeIndex``. Dtypes: float → ``float64`` (missing:
    NaN), integer → ``int64`` (with gaps: the nullable ``Int64``, missing: ``<NA>``, so that
    no value is rounded), boolean → ``bool`` (with gaps: nullable ``boolean``), string →
    pandas' default string dtype ``str`` with pandas 3 (missing: NaN), ``object`` with
    pandas 2 (missing: None), tag → ``category``. The index's unit is what pandas makes
    for the ``epoch``: ns for ``'ns'``; for the others, us with pandas 3 and ns with pandas 2.

    :param resp: the answer, as ``output='json'`` gives it (a series' ``values`` may also be
        the :class:`SeriesColumns` of its chunks, as :func:`assembler` joins them).
    :param kinds: what is known about the measurements' columns (``{measurement: {column:
        kind}}``, kind ``'tag'``, a field type as ``SHOW FIELD KEYS`` says, or None); a
        column named there as a tag becomes categorical, and a field's declared type
        decides its dtype (JSON cannot tell the float 1.0 from the integer 1).
    :param epoch: the ``epoch`` the query was made with (None: RFC3339 strings).
    """
    _check_answer(resp, "to_dataframe()")
    kinds = kinds or {}
    statements = [_statement(result, kinds, epoch) for result in resp.get("results", ())]
    if len(statements) != 1:
        return statements
    frames = statements[0]
    return next(iter(frames.values())) if len(frames) == 1 else frames


def parse(resp: Mapping[str, Any]) -> QueryFrames:
    """A query answer as DataFrames, as aioinflux 0.9's
    ``aioinflux.serialization.dataframe.parse``: :func:`to_dataframe` without what the client
    knows of the database (so tags are categorical in grouped series only, and a float field
    whose values are all whole numbers in JSON reads as integers, as in 0.9).
    """
    return to_dataframe(resp)


def answer_frames(
    resp: dict[str, Any], kinds: ColumnKinds, epoch: str | None, *, msgpack: bool
) -> QueryFrames:
    """What ``query(output='dataframe')`` returns for ``resp`` (a whole answer or one chunk).

    :param kinds: what ``SHOW TAG KEYS``/``SHOW FIELD KEYS`` said of the columns read.
    :param msgpack: the answer came as MessagePack, whose values carry their own types:
        only which columns are tags is taken from ``kinds``.

    Each statement's id goes into ``DataFrame.attrs['statement_id']`` of its frames (a chunk
    of a chunked query says no other way which statement it belongs to).
    """
    frames = to_dataframe(resp, kinds=tags_only(kinds) if msgpack else kinds, epoch=epoch)
    ids = [result.get("statement_id") for result in resp.get("results", ())]
    parts = frames if isinstance(frames, list) and len(ids) > 1 else [frames]
    for part, statement_id in zip(parts, ids, strict=False):
        for frame in part.values() if isinstance(part, dict) else [part]:
            frame.attrs["statement_id"] = statement_id
    return frames
