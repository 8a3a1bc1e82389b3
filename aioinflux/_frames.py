"""Query answers -> pandas DataFrames: everything ``output='dataframe'`` (and aioinflux 0.9's
``serialization.dataframe.parse``) does with an answer, in one place.

Rule 1: imported only when a DataFrame is asked for (``import aioinflux`` does not load this
module, tests/test_layering.py checks it), so pandas and numpy are imported here, at the top.
Rule 2: no I/O; what the client knows about the database (which columns are tags, the type
of each field, parsed by ``_show.kinds_from_keys``) is passed in as a plain mapping.
Rule 3: frames are built column by column with numpy, never row by row, and every value
read equals the value written: a column's dtype is chosen so that nothing is rounded.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any, Union

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from ._protocol import ResultAssembler
from ._show import ColumnKinds, tags_only
from ._units import EPOCH_UNITS
from .iterutils import _check_answer

__all__ = [
    "QueryFrames",
    "answer_frames",
    "assembler",
    "join_tables",
    "rows_to_table",
    "to_dataframe",
]

#: What :func:`to_dataframe` returns: a frame (one statement, one series), a dict of frames
#: (one statement, any other number of series), or a list of such dicts (several statements).
QueryFrames = Union["pd.DataFrame", dict[str | None, "pd.DataFrame"], list[Any]]


def rows_to_table(rows: list[Any]) -> np.ndarray[Any, Any]:
    """The server's rows as a 2-D object array: the first step of a frame, which the client
    takes for each chunk as it arrives (the row lists can then be freed)."""
    width = len(rows[0]) if rows else 0
    if sum(map(len, rows)) != len(rows) * width:
        raise ValueError("the rows of a series have different lengths")
    # one flat pass in C, twice as fast as filling a 2-D array row by row (or zip(*rows)):
    # 1.1 ms vs 2.2 ms per 10,000 rows of 7 values, measured
    flat = np.fromiter(itertools.chain.from_iterable(rows), dtype=object, count=len(rows) * width)
    return flat.reshape(len(rows), width)


def join_tables(tables: list[np.ndarray[Any, Any]]) -> np.ndarray[Any, Any]:
    """The tables of one series' chunks, one under the other."""
    return tables[0] if len(tables) == 1 else np.concatenate(tables)


def assembler() -> ResultAssembler:
    """A :class:`~aioinflux._protocol.ResultAssembler` that turns each chunk's rows into a
    table as the chunk arrives (while the server sends the rest)."""
    return ResultAssembler(rows_to_table, join_tables)


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
    return index


def _column(values: np.ndarray[Any, Any], kind: str | None, index: pd.Index) -> Any:
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
    # strings, columns without any value, and mixed types (a field whose type differs
    # between shards) stay Python objects, exactly as the server sent them (a Series, so
    # that pandas 3 does not turn strings into its ``str`` dtype)
    return pd.Series(values, index=index, dtype=object, copy=False)


def _frame(series: Mapping[str, Any], kinds: ColumnKinds, epoch: str | None) -> pd.DataFrame:
    columns: list[str] = list(series.get("columns", ()))
    rows = series.get("values")
    known = kinds.get(series.get("name", ""), {})
    table = rows if isinstance(rows, np.ndarray) else rows_to_table(rows or [])
    if table.shape[1] != len(columns):  # no rows at all: nothing to take from them
        table = np.empty((len(table), len(columns)), dtype=object)
    length = len(table)
    timed = bool(columns) and columns[0] == "time"
    index = _index(table[:, 0], epoch) if timed else pd.RangeIndex(length)
    data: dict[str, Any] = {}
    for j in range(1 if timed else 0, len(columns)):
        data[columns[j]] = _column(table[:, j], known.get(columns[j]), index)
    for key, value in sorted((series.get("tags") or {}).items()):
        data[key] = pd.Categorical.from_codes(np.zeros(length, dtype=np.int8), [value])
    return pd.DataFrame(data, index=index, copy=False)


def _statement(
    result: Mapping[str, Any], kinds: ColumnKinds, epoch: str | None
) -> dict[str | None, pd.DataFrame]:
    frames = {}
    for series in result.get("series") or ():
        frame = _frame(series, kinds, epoch)
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
    aioinflux 0.9, unless it has a column ``name``.

    Times become a tz-aware UTC ``DatetimeIndex``; when every time is 0 (aggregates over
    all time) the index is a plain ``RangeIndex``. Dtypes: float → ``float64`` (missing:
    NaN), integer → ``int64`` (with gaps: the nullable ``Int64``, missing: ``<NA>``, so that
    no value is rounded), boolean → ``bool`` (with gaps: nullable ``boolean``), string →
    ``object`` (missing: None), tag → ``category``.

    :param resp: the answer, as ``output='json'`` gives it (a series' ``values`` may also be
        a 2-D object array, see :func:`rows_to_table`).
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
